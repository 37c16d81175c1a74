#include "cli/owner_cache.h"

#include "collect/process_scan.h"

namespace tcpdoctor {

OwnerCache::~OwnerCache() {
  if (background_.valid()) background_.wait();
}

std::unique_ptr<OwnerLookup> OwnerCache::ForCollection() {
  if (background_.valid() &&
      background_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    auto scanned = background_.get();
    if (scanned) {
      kept_ = std::move(*scanned);
    } else {
      warn_(scanned.error().ToString() + "; process figures are from the previous scan");
    }
  }
  const bool due = !kept_.owners || AgeSeconds() >= kAgeToCost * kept_.seconds;
  if (due && (!kept_.owners || kept_.seconds <= kForegroundScanSeconds)) {
    return std::make_unique<OwnerLookup>(proc_, warn_);  // scans alongside the dump
  }
  if (due && !background_.valid()) {
    background_ = std::async(std::launch::async, [proc = proc_]() -> Result<Scan> {
      Scan scan;
      scan.started = Clock::now();
      auto owners = ScanSocketOwners(proc);
      if (!owners) return owners.TakeError();
      scan.seconds = std::chrono::duration<double>(Clock::now() - scan.started).count();
      scan.owners = std::make_shared<SocketOwners>(std::move(*owners));
      return scan;
    });
  }
  return std::make_unique<OwnerLookup>(proc_, warn_, kept_.owners);
}

void OwnerCache::Keep(const OwnerLookup& lookup) {
  if (lookup.scan_seconds() <= 0 || !lookup.Shared()) return;
  kept_.owners = lookup.Shared();
  kept_.seconds = lookup.scan_seconds();
  kept_.started = lookup.scan_started();
}

double OwnerCache::AgeSeconds() const {
  if (!kept_.owners) return 0;
  return std::chrono::duration<double>(Clock::now() - kept_.started).count();
}

}  // namespace tcpdoctor
