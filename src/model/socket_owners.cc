#include "model/socket_owners.h"

#include <algorithm>

namespace tcpdoctor {

SocketOwners::SocketOwners() = default;
SocketOwners::~SocketOwners() = default;
SocketOwners::SocketOwners(SocketOwners&&) noexcept = default;
SocketOwners& SocketOwners::operator=(SocketOwners&&) noexcept = default;

void SocketOwners::AddHolder(uint64_t inode, uint32_t process) {
  if (inode > UINT32_MAX) return;
  if (scanned_.empty() || scanned_.back().size() == kChunkHolders) {
    scanned_.emplace_back().reserve(kChunkHolders);
  }
  scanned_.back().push_back({static_cast<uint32_t>(inode), process});
}

void SocketOwners::Absorb(SocketOwners&& other) {
  std::vector<ProcessInfo> mine = std::move(processes_);
  std::vector<ProcessInfo> theirs = std::move(other.processes_);
  std::vector<uint32_t> mine_to(mine.size()), theirs_to(theirs.size());
  processes_.clear();
  processes_.reserve(mine.size() + theirs.size());
  size_t i = 0, j = 0;
  while (i < mine.size() || j < theirs.size()) {
    const bool take_mine = j == theirs.size() || (i < mine.size() && mine[i].pid < theirs[j].pid);
    if (take_mine) {
      mine_to[i] = static_cast<uint32_t>(processes_.size());
      processes_.push_back(std::move(mine[i++]));
    } else {
      theirs_to[j] = static_cast<uint32_t>(processes_.size());
      processes_.push_back(std::move(theirs[j++]));
    }
  }
  for (std::vector<Holder>& chunk : scanned_) {
    for (Holder& h : chunk) h.process = mine_to[h.process];
  }
  for (std::vector<Holder>& chunk : other.scanned_) {
    for (Holder& h : chunk) h.process = theirs_to[h.process];
    scanned_.push_back(std::move(chunk));
  }
  other.scanned_.clear();
  unreadable += other.unreadable;
  vanished += other.vanished;
}

void SocketOwners::Finish() {
  size_t scanned = 0;
  for (const std::vector<Holder>& chunk : scanned_) scanned += chunk.size();
  holders_.reserve(holders_.size() + scanned);
  for (std::vector<Holder>& chunk : scanned_) {
    holders_.insert(holders_.end(), chunk.begin(), chunk.end());
    chunk = std::vector<Holder>();  // freed now; `chunk = {}` would keep its capacity
  }
  scanned_.clear();
  std::sort(holders_.begin(), holders_.end(), [this](const Holder& a, const Holder& b) {
    if (a.inode != b.inode) return a.inode < b.inode;
    return processes_[a.process].pid < processes_[b.process].pid;
  });
  holders_.erase(std::unique(holders_.begin(), holders_.end(),
                             [](const Holder& a, const Holder& b) {
                               return a.inode == b.inode && a.process == b.process;
                             }),
                 holders_.end());
  holders_.shrink_to_fit();  // the exporter keeps the map between scans
  BuildIndex();
}

void SocketOwners::BuildIndex() {
  index_.clear();
  if (holders_.empty()) return;
  const size_t buckets = holders_.size() / 4 + 1;
  index_.assign(buckets + 1, 0);
  size_t at = 0;
  for (size_t b = 0; b <= buckets; ++b) {
    while (at < holders_.size() && BucketOf(holders_[at].inode) < b) ++at;
    index_[b] = static_cast<uint32_t>(at);
  }
}

}  // namespace tcpdoctor
