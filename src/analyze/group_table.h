// A compact open-addressing table from a group key to its socket count and per-state split.
// Memory grows with the number of groups, not sockets: at a million sockets `top --by peer`
// can meet hundreds of thousands of distinct peers, so each entry is kept small (key plus
// 8 bytes) and the per-state split is stored out of line only for groups that mix states.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "model/tcp_state.h"

namespace tcpdoctor {

using PerStateCounts = std::array<uint64_t, kTcpStateCount>;

template <typename Key, typename Hash>
class GroupTable {
 public:
  struct Slot {
    Key key{};
    uint32_t total = 0;  // 0: the slot is empty
    // < kTcpStateCount: every socket of the group is in this state; otherwise
    // (detail - kTcpStateCount) indexes mixed_.
    uint32_t detail = 0;
  };

  void Add(const Key& key, TcpState state, uint32_t n = 1) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    Slot& slot = Find(key);
    const auto s = static_cast<uint32_t>(state);
    if (slot.total == 0) {
      slot.key = key;
      slot.detail = s;
      ++size_;
    } else if (slot.detail != s) {
      if (slot.detail < kTcpStateCount) {  // first time this group mixes states
        std::array<uint32_t, kTcpStateCount> split{};
        split[slot.detail] = slot.total;
        slot.detail = static_cast<uint32_t>(kTcpStateCount + mixed_.size());
        mixed_.push_back(split);
      }
      mixed_[slot.detail - kTcpStateCount][s] += n;
    }
    slot.total += n;
  }

  // Adds every group of `other`, state by state.
  void Merge(const GroupTable& other) {
    other.ForEach([&](const Slot& slot) {
      const PerStateCounts split = other.Split(slot);
      for (int s = 0; s < kTcpStateCount; ++s) {
        if (split[s] != 0) Add(slot.key, static_cast<TcpState>(s), static_cast<uint32_t>(split[s]));
      }
    });
  }

  size_t size() const { return size_; }
  void Clear() { *this = GroupTable(); }

  // Calls fn(const Slot&) for every group, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& slot : slots_) {
      if (slot.total != 0) fn(slot);
    }
  }

  PerStateCounts Split(const Slot& slot) const {
    PerStateCounts out{};
    if (slot.detail < kTcpStateCount) {
      out[slot.detail] = slot.total;
    } else {
      const auto& split = mixed_[slot.detail - kTcpStateCount];
      for (int i = 0; i < kTcpStateCount; ++i) out[i] = split[i];
    }
    return out;
  }

 private:
  Slot& Find(const Key& key) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Hash{}(key)&mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.total == 0 || slot.key == key) return slot;
    }
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 1024 : old.size() * 2);
    for (const Slot& slot : old) {
      if (slot.total != 0) Find(slot.key) = slot;
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::array<uint32_t, kTcpStateCount>> mixed_;
  size_t size_ = 0;
};

}  // namespace tcpdoctor
