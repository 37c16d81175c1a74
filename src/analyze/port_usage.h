// `tcpdoctor ports`: ephemeral-port use per destination tuple (local address -> remote
// address:port). connect() needs only a unique 4-tuple, so the range of ports is a budget per
// destination, not per host (kernel-facts §4); TIME_WAIT sockets to that destination spend it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "model/socket_record.h"
#include "model/sysctls.h"

namespace tcpdoctor {

// The sysctls that size the budget, as read in the target namespace.
struct PortBudgetSettings {
  uint16_t range_low = 32768;  // ip_local_port_range
  uint16_t range_high = 60999;
  uint32_t reserved_in_range = 0;       // ip_local_reserved_ports that fall inside the range
  int tw_reuse = 2;                     // tcp_tw_reuse: 0 off, 1 on, 2 loopback only
  bool timestamps = true;               // tcp_timestamps != 0 (reuse needs them)
  double tw_reuse_delay_seconds = 1.0;  // tcp_tw_reuse_delay (6.14+), 1 s before

  // From the namespace's sysctls; a key this kernel lacks keeps the default above (a kernel
  // without tcp_tw_reuse_delay hard-codes 1 s; before 4.19 tcp_tw_reuse was 0 or 1).
  static PortBudgetSettings From(const Sysctls& sysctls);

  uint32_t RangeSize() const;  // usable ports: the range minus reserved ports in it
  bool InRange(uint16_t port) const { return port >= range_low && port <= range_high; }
};

struct DestinationPorts {
  IpAddress local;
  IpAddress remote;
  uint16_t remote_port = 0;
  uint64_t in_use = 0;     // sockets holding a port toward this destination
  uint64_t time_wait = 0;  // of which in TIME_WAIT
  uint32_t range_size = 0;
  // New connections per second: TIME_WAIT sockets younger than the window, per second of
  // window (each connection we close first leaves one for exactly 60 s).
  double rate_per_second = 0;
  // Whether connect() may take over TIME_WAIT ports here (tcp_tw_reuse and timestamps).
  bool time_wait_reusable = false;
  // The connection rate the range can sustain: free ports recycle every 60 s in TIME_WAIT,
  // or every tcp_tw_reuse_delay when reuse applies.
  double sustainable_rate_per_second = 0;
  // Only with two samples: ports taken per second, net of releases, and when they run out
  // at that pace (nullopt when the count is not growing).
  std::optional<double> net_growth_per_second;
  std::optional<double> seconds_to_exhaustion;
  // Sockets on ports of the parity bind(addr, 0) prefers: a sign of bind() before connect(),
  // whose ports are exclusive across all destinations (kernel-facts §4).
  uint64_t bind_parity = 0;

  double PercentUsed() const {
    return range_size == 0 ? 100.0 : 100.0 * static_cast<double>(in_use) / range_size;
  }
};

class PortUsageBuilder {
 public:
  // `listening_ports`: ports with a LISTEN socket; sockets on them are accepted connections,
  // not outgoing ones. `rate_window_seconds` (1..60): how far back to count new connections.
  PortUsageBuilder(PortBudgetSettings settings, std::set<uint16_t> listening_ports,
                   double rate_window_seconds = 60);

  void Add(const SocketRecord& r);
  void Reset() { tallies_.clear(); }
  // Destinations, most used first.
  std::vector<DestinationPorts> Take() const;

  const PortBudgetSettings& settings() const { return settings_; }

 private:
  struct Key {
    IpAddress local;
    IpAddress remote;
    uint16_t remote_port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Tally {
    uint64_t in_use = 0;
    uint64_t time_wait = 0;
    uint64_t recent_time_wait = 0;
    uint64_t bind_parity = 0;
  };

  PortBudgetSettings settings_;
  std::set<uint16_t> listening_ports_;
  double rate_window_seconds_;
  std::unordered_map<Key, Tally, KeyHash> tallies_;
};

// Adds growth figures to `later` from an `earlier` sample taken `seconds` before.
void AddGrowth(std::vector<DestinationPorts>& later, const std::vector<DestinationPorts>& earlier,
               double seconds);

bool IsLoopback(const IpAddress& a);

}  // namespace tcpdoctor
