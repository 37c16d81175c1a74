// Counts per address and port, for the "who" of a finding: the peers of a process's CLOSE_WAIT
// sockets, the clients of a port's TIME_WAIT. Memory grows with distinct endpoints.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "analyze/snapshot.h"

namespace tcpdoctor {

class EndpointTally {
 public:
  void Add(const IpAddress& address, uint16_t port, uint64_t n = 1);
  bool empty() const { return counts_.empty(); }
  // The `limit` largest, most first; ties by address and port so the order is stable.
  std::vector<EndpointCount> Top(size_t limit) const;

 private:
  struct Key {
    IpAddress address;
    uint16_t port = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  std::unordered_map<Key, uint64_t, KeyHash> counts_;
};

}  // namespace tcpdoctor
