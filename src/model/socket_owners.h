// Which processes hold which sockets: socket inode -> processes, from /proc/PID/fd.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/process_info.h"

namespace tcpdoctor {

class SocketOwners {
 public:
  // One fd: process `process` (an index into processes()) holds socket `inode`. Socket inodes
  // come from the kernel's get_next_ino(), an unsigned int, and sock_diag reports them as __u32:
  // 32 bits suffice, and at a million socket fds every byte here is a megabyte.
  struct Holder {
    uint32_t inode = 0;
    uint32_t process = 0;
  };

  // Building (collect/): add every process, then every socket fd, then Finish().
  uint32_t AddProcess(ProcessInfo info) {
    processes_.push_back(std::move(info));
    return static_cast<uint32_t>(processes_.size() - 1);
  }
  // An inode beyond 32 bits is not a socket's (see Holder) and is ignored.
  void AddHolder(uint64_t inode, uint32_t process) {
    if (inode <= UINT32_MAX) holders_.push_back({static_cast<uint32_t>(inode), process});
  }
  // Takes over another scan's processes and holders (before Finish), keeping processes in
  // ascending pid order: for scans split over threads.
  void Absorb(SocketOwners&& other) {
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
    for (Holder& h : holders_) h.process = mine_to[h.process];
    holders_.reserve(holders_.size() + other.holders_.size());
    for (const Holder& h : other.holders_) holders_.push_back({h.inode, theirs_to[h.process]});
    other.holders_ = {};  // freed now: at a million fds, both copies at once would double the peak
    unreadable += other.unreadable;
    vanished += other.vanished;
  }
  // Sorts by inode, then by pid, so that the first holder of a socket is its lowest pid (the
  // process that created it, before forking workers that inherit it). Drops duplicates (a
  // process holding the same socket on two fds counts once).
  void Finish() {
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

  // The processes holding `inode`, lowest pid first; empty if none is visible (inode 0, a
  // process we could not read, or a socket opened after the scan). Called for every socket of
  // a dump, in the kernel's hash order: the index narrows the search to a few holders.
  std::span<const Holder> HoldersOf(uint64_t inode) const {
    if (inode == 0 || holders_.empty() || inode < holders_.front().inode ||
        inode > holders_.back().inode) {
      return {};
    }
    const size_t bucket = BucketOf(static_cast<uint32_t>(inode));
    const auto first = holders_.begin() + index_[bucket];
    const auto last = holders_.begin() + index_[bucket + 1];
    const auto lo = std::lower_bound(first, last, inode,
                                     [](const Holder& h, uint64_t i) { return h.inode < i; });
    auto hi = lo;
    while (hi != holders_.end() && hi->inode == inode) ++hi;
    return {lo, hi};
  }

  // The index of process `pid` in processes(), if it holds a socket. Linear: for the few
  // processes a report names, not per socket.
  std::optional<uint32_t> IndexOfPid(int64_t pid) const {
    for (uint32_t i = 0; i < processes_.size(); ++i) {
      if (processes_[i].pid == pid) return i;
    }
    return std::nullopt;
  }

  const std::vector<ProcessInfo>& processes() const { return processes_; }
  std::vector<ProcessInfo>& mutable_processes() { return processes_; }
  size_t holder_count() const { return holders_.size(); }

  // Processes whose fd table could not be read: another user's without root (EACCES).
  uint32_t unreadable = 0;
  // Processes that exited while being scanned.
  uint32_t vanished = 0;

 private:
  // Socket inodes come from a counter, so they spread evenly over [first, last]: cutting that
  // range into about one bucket per four holders and keeping where each bucket starts (a byte
  // per holder) replaces a binary search over the whole map (20 cache misses at a million fds)
  // with one over a handful.
  size_t BucketOf(uint32_t inode) const {
    const uint64_t span = uint64_t{holders_.back().inode} - holders_.front().inode + 1;
    return static_cast<size_t>((uint64_t{inode} - holders_.front().inode) * (index_.size() - 1) /
                               span);
  }
  void BuildIndex() {
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

  std::vector<ProcessInfo> processes_;
  std::vector<Holder> holders_;
  std::vector<uint32_t> index_;  // index_[b]: the first holder in bucket b; index_.back(): size
};

}  // namespace tcpdoctor
