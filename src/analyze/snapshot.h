// Everything the doctor looks at, taken once: the aggregates of one socket dump (and of a
// second, `interval_seconds` later, for growth), the namespace's counters and sysctls, and the
// processes holding its sockets. Rules are pure functions of it; memory grows with listeners,
// destinations and processes, never with sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/listener_queues.h"
#include "analyze/port_usage.h"
#include "analyze/state_counts.h"
#include "collect/sysctl_config.h"
#include "model/collector_run.h"
#include "model/counters.h"
#include "model/ip_address.h"
#include "model/process_info.h"
#include "model/sysctls.h"

namespace tcpdoctor {

// How many sockets go to (or come from) one address and port: evidence such as "10.0.0.5:443
// (600)".
struct EndpointCount {
  IpAddress address;
  uint16_t port = 0;
  uint64_t count = 0;
};

// How many of each list the snapshot keeps per process or state: enough to name the culprits.
inline constexpr size_t kTopEndpoints = 5;

// A process that holds TCP sockets in the namespace.
struct ProcessSnapshot {
  ProcessInfo info;    // details read: cmdline, user, unit, nofile limits
  StateCounts states;  // a socket shared by several processes counts for each
  // Of its CLOSE_WAIT sockets, those that were not in CLOSE_WAIT at the earlier sample: the
  // growth over the interval (0 with one sample).
  uint64_t close_wait_new = 0;
  // Where its CLOSE_WAIT sockets go, most first, at most 5: for accepted connections the
  // clients' addresses (port 0) and the local service address:port; for outgoing ones the
  // remote address:port and the local address (port 0).
  std::vector<EndpointCount> close_wait_peers;
  std::vector<EndpointCount> close_wait_local;
  // The longest time since one of its CLOSE_WAIT sockets last received data (tcp_info
  // tcpi_last_data_recv), nullopt when the source gives no tcp_info (/proc/net/tcp).
  std::optional<uint64_t> close_wait_idle_ms;
};

// TIME_WAIT on a port that has a listener: this host closed those accepted connections first.
// Each lasts exactly 60 s, so time_wait / 60 is the rate of such closes.
struct ListeningPortTimeWait {
  uint16_t port = 0;
  uint64_t time_wait = 0;
  std::vector<EndpointCount> peers;  // client addresses (port 0), most first, at most 5
};

// A CLOSE_WAIT socket and the first sample that saw it in CLOSE_WAIT.
struct CloseWaitSeen {
  uint64_t inode = 0;
  std::chrono::steady_clock::time_point since;
};

struct Snapshot {
  std::string netns_label;  // "current", a name, or a container
  // 0 with one sample; then rates and growth are unknown (nullopt / equal counts).
  double interval_seconds = 0;
  // When the later sample's counters were read.
  std::chrono::steady_clock::time_point taken;

  // The socket dump is taken once, at the end of the interval; the earlier sample has only the
  // counters and the CLOSE_WAIT sockets' identities.
  StateCounts states;

  Sysctls sysctls;
  KernelCounters counters;              // the later sample
  std::optional<CounterDeltas> deltas;  // with two samples
  Sockstat sockstat;
  int64_t page_size = 4096;

  std::vector<ListenerQueue> listeners;  // with owners; queue figures across both samples
  PortBudgetSettings port_settings;
  std::vector<DestinationPorts> destinations;              // outgoing, most used first, with growth
  std::vector<ListeningPortTimeWait> listening_time_wait;  // most first

  std::vector<ProcessSnapshot> processes;  // holding sockets here, most sockets first
  bool owners_known = false;               // the owner scan ran (it does unless it failed)
  uint32_t unreadable_processes = 0;       // processes whose fds we could not read (not root)
  uint64_t close_wait_not_accepted = 0;    // CLOSE_WAIT still in an accept queue (no owner yet)
  uint64_t close_wait_hidden = 0;          // CLOSE_WAIT held by a process we could not read
  // The CLOSE_WAIT sockets, by inode, with when they were first seen in CLOSE_WAIT: a later
  // snapshot's earlier sample.
  std::vector<CloseWaitSeen> close_wait_seen;

  // How each step of taking it went: "sysctls", "counters", "sockets", "processes".
  std::vector<CollectorRun> collector_runs;

  // Close states: peer addresses (port 0) most first, at most 5 each; FIN_WAIT2 split by
  // whether the application still holds the socket (after shutdown(): no timeout) or closed it
  // (an orphan: tcp_fin_timeout applies).
  std::vector<EndpointCount> fin_wait2_peers;
  std::vector<EndpointCount> last_ack_peers;
  uint64_t fin_wait2_orphaned = 0;

  // The sysctl files (/etc/sysctl.d, /etc/sysctl.conf ...) and, per setting, whether this kernel
  // has the key. Empty when not read (a namespace other than the host's).
  struct ConfiguredSysctl {
    SysctlSetting setting;
    bool exists = true;
  };
  std::vector<ConfiguredSysctl> sysctl_config;

  // The increase of a counter over the interval, nullopt with one sample or when unknown.
  std::optional<uint64_t> Increase(std::string_view counter) const {
    return deltas ? deltas->Increase(counter) : std::nullopt;
  }
  // The same per second.
  std::optional<double> RatePerSecond(std::string_view counter) const {
    auto inc = Increase(counter);
    if (!inc || interval_seconds <= 0) return std::nullopt;
    return static_cast<double>(*inc) / interval_seconds;
  }
  bool two_samples() const { return interval_seconds > 0; }
};

}  // namespace tcpdoctor
