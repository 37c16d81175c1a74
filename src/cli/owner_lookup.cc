#include "cli/owner_lookup.h"

#include <unistd.h>

#include "collect/process_scan.h"

namespace tcpdoctor {

void OwnerLookup::Prefetch() {
  if (owners_ || pending_.valid()) return;
  pending_ = std::async(std::launch::async, [proc = proc_] { return ScanSocketOwners(proc); });
}

Result<SocketOwners*> OwnerLookup::Get() {
  if (owners_) return &*owners_;
  auto scanned = pending_.valid() ? pending_.get() : ScanSocketOwners(proc_);
  if (!scanned) return scanned.TakeError();
  owners_.emplace(std::move(*scanned));
  if (owners_->unreadable > 0) {
    const uint32_t n = owners_->unreadable;
    // Root can be refused too (a security module, another user namespace's init): then
    // running as root is not the way out.
    warn_(std::to_string(n) + (n == 1 ? " process" : " processes") + " could not be read" +
          (::geteuid() == 0 ? std::string(" even as root; ") + (n == 1 ? "its" : "their") +
                                  " sockets show no owner"
                            : "; their sockets show no owner (run as root to attribute them)"));
  }
  return &*owners_;
}

const ProcessInfo& OwnerLookup::Details(uint32_t index) {
  ProcessInfo& p = owners_->mutable_processes()[index];
  if (!p.details_read) ReadProcessDetails(proc_, p);
  return p;
}

}  // namespace tcpdoctor
