#include "cli/owner_cache.h"

#include <sys/resource.h>
#include <unistd.h>

#include "collect/process_scan.h"

namespace tcpdoctor {
namespace {

constexpr int kBackgroundNice = 10;

}  // namespace

Result<OwnerCache::Scan> OwnerCache::ScanNow(const ProcFs& proc) {
  Scan scan;
  scan.started = Clock::now();
  auto owners = ScanSocketOwners(proc);
  if (!owners) return owners.TakeError();
  scan.seconds = std::chrono::duration<double>(Clock::now() - scan.started).count();
  scan.owners = std::make_shared<SocketOwners>(std::move(*owners));
  return scan;
}

OwnerCache::~OwnerCache() {
  if (background_.valid()) background_.wait();
}

std::unique_ptr<OwnerLookup> OwnerCache::ForCollection() {
  foreground_seconds_ = 0;
  if (background_.valid() &&
      background_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    auto scanned = background_.get();
    if (scanned) {
      kept_ = std::move(*scanned);
    } else {
      warn_(scanned.error().ToString() + "; process figures are from the previous scan");
    }
  }
  if (!kept_.owners && !background_.valid()) {
    auto scanned = ScanNow(proc_);
    if (scanned) {
      kept_ = std::move(*scanned);
      foreground_seconds_ = kept_.seconds;
    }
  }
  if (!kept_.owners) return std::make_unique<OwnerLookup>(proc_, warn_);
  if (kept_.owners->unreadable > 0 && ::geteuid() != 0) {
    warn_(
        "other users' processes cannot be read; their sockets have no owner in the process "
        "metrics (run as root, or give CAP_SYS_PTRACE)");
  }
  return std::make_unique<OwnerLookup>(proc_, warn_, kept_.owners);
}

void OwnerCache::AfterCollection() {
  if (background_.valid() || !kept_.owners || AgeSeconds() < kAgeToCost * kept_.seconds) return;
  background_ = std::async(std::launch::async, [proc = proc_] {
    // Yield to collections: the scan is not in a hurry, a scrape is. Its threads inherit it.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kBackgroundNice);
    return ScanNow(proc);
  });
}

double OwnerCache::AgeSeconds() const {
  if (!kept_.owners) return 0;
  return std::chrono::duration<double>(Clock::now() - kept_.started).count();
}

}  // namespace tcpdoctor
