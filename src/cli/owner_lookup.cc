#include "cli/owner_lookup.h"

#include <unistd.h>

#include "collect/process_scan.h"

namespace tcpdoctor {

void OwnerLookup::Prefetch() {
  if (owners_ || pending_.valid()) return;
  pending_ = std::async(std::launch::async, [this] { return TimedScan(); });
}

Result<SocketOwners> OwnerLookup::TimedScan() {
  const auto started = std::chrono::steady_clock::now();
  auto scanned = ScanSocketOwners(proc_);
  scan_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return scanned;
}

Result<SocketOwners*> OwnerLookup::Get() {
  if (owners_) return owners_.get();
  auto scanned = pending_.valid() ? pending_.get() : TimedScan();
  if (!scanned) return scanned.TakeError();
  owners_ = std::make_shared<SocketOwners>(std::move(*scanned));
  // Without root, other users' processes are hidden, and running as root is the way out: say
  // so. Root can be refused too (a process with capabilities root lacks, another user
  // namespace's init); commands that list owners show that count themselves.
  if (owners_->unreadable > 0 && ::geteuid() != 0) {
    const uint32_t n = owners_->unreadable;
    warn_(std::to_string(n) + (n == 1 ? " process" : " processes") +
          " could not be read; their sockets show no owner (run as root to attribute them)");
  }
  return owners_.get();
}

const ProcessInfo& OwnerLookup::Details(uint32_t index) {
  ProcessInfo& p = owners_->mutable_processes()[index];
  if (!p.details_read) ReadProcessDetails(proc_, p);
  return p;
}

}  // namespace tcpdoctor
