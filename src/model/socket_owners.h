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

  // Out of line: GCC 12 misreads the members' destructors inlined into a Result's
  // (-Wfree-nonheap-object).
  SocketOwners();
  ~SocketOwners();
  SocketOwners(SocketOwners&&) noexcept;
  SocketOwners& operator=(SocketOwners&&) noexcept;
  SocketOwners(const SocketOwners&) = delete;
  SocketOwners& operator=(const SocketOwners&) = delete;

  // Building (collect/): add every process, then every socket fd, then Finish().
  uint32_t AddProcess(ProcessInfo info) {
    processes_.push_back(std::move(info));
    return static_cast<uint32_t>(processes_.size() - 1);
  }
  // An inode beyond 32 bits is not a socket's (see Holder) and is ignored.
  void AddHolder(uint64_t inode, uint32_t process);
  // Takes over another scan's processes and holders (before Finish), keeping processes in
  // ascending pid order: for scans split over threads.
  void Absorb(SocketOwners&& other);
  // Sorts by inode, then by pid, so that the first holder of a socket is its lowest pid (the
  // process that created it, before forking workers that inherit it). Drops duplicates (a
  // process holding the same socket on two fds counts once).
  void Finish();

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
  void BuildIndex();

  std::vector<ProcessInfo> processes_;
  // While scanning, holders pile up in chunks of 256 KiB; Finish() moves them into one vector
  // of the exact size, freeing each chunk as it goes. A vector grown by doubling would briefly
  // hold three times the holders (at a million fds, megabytes of peak RSS in an exporter that
  // keeps one map while it builds the next); chunks this large are mmap'ed by glibc, so a freed
  // one leaves the resident size at once (where the mmap threshold is fixed: see serve).
  static constexpr size_t kChunkHolders = (size_t{256} << 10) / sizeof(Holder);
  std::vector<std::vector<Holder>> scanned_;
  std::vector<Holder> holders_;
  std::vector<uint32_t> index_;  // index_[b]: the first holder in bucket b; index_.back(): size
};

}  // namespace tcpdoctor
