// The state histogram: what `tcpdoctor states` prints, and the summary line elsewhere.
#pragma once

#include <array>
#include <cstdint>

#include "model/socket_record.h"
#include "model/tcp_state.h"

namespace tcpdoctor {

class StateCounts {
 public:
  void Add(TcpState s, uint64_t n = 1) { counts_[static_cast<int>(s)] += n; }
  void Add(const SocketRecord& r) { Add(r.state); }
  void Merge(const StateCounts& other) {
    for (int i = 0; i < kTcpStateCount; ++i) counts_[i] += other.counts_[i];
  }
  void Reset() { counts_ = {}; }

  uint64_t Get(TcpState s) const { return counts_[static_cast<int>(s)]; }
  uint64_t Total() const {
    uint64_t total = 0;
    for (uint64_t c : counts_) total += c;
    return total;
  }

  friend bool operator==(const StateCounts&, const StateCounts&) = default;

 private:
  std::array<uint64_t, kTcpStateCount> counts_{};
};

}  // namespace tcpdoctor
