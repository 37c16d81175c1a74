// The lab namespace's sockets as sock_diag reports them at one moment (states, ports, timers
// from idiag_expires), through the project's own collectors. A lab run makes at most a few
// thousand sockets, so the census keeps them all and scenarios select from it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "collect/socket_source.h"
#include "core/result.h"
#include "core/warning_sink.h"
#include "model/socket_filter.h"
#include "model/socket_record.h"

namespace tcpdoctor {

using SocketPredicate = std::function<bool(const SocketRecord&)>;

// Some sockets of a census: how many, over which local ports, with which timers left.
struct SocketGroup {
  uint64_t count = 0;
  uint16_t min_local_port = 0;
  uint16_t max_local_port = 0;
  uint32_t min_timer_ms = 0;  // idiag_expires of the sockets with a timer
  uint32_t max_timer_ms = 0;
  uint64_t with_timer = 0;

  void Add(const SocketRecord& r);
  // "8080", "32768-35767", or "none".
  std::string PortsText() const;
  // "59.1-60.0 s", "4.8 s", or "no timer".
  std::string TimerText() const;
};

class SocketCensus {
 public:
  // Every socket of the current network namespace, all states, both families; or those that
  // `filter` selects (states and exact ports are selected by the kernel: a dump of LISTEN only
  // walks the listening table, cheap however many other sockets the host has).
  static Result<SocketCensus> Take(SocketSource& source, const WarningSink& warn,
                                   const SocketFilter& filter = SocketFilter{});

  const std::vector<SocketRecord>& sockets() const { return sockets_; }
  // The sockets in `state` (and matching `also`, when given).
  SocketGroup InState(TcpState state, const SocketPredicate& also = {}) const;
  // The sockets matching `match`, whatever their state.
  SocketGroup Select(const SocketPredicate& match) const;
  // How many are in `state`.
  uint64_t Count(TcpState state) const { return InState(state).count; }

 private:
  std::vector<SocketRecord> sockets_;
};

// True when every socket is LISTEN or TIME_WAIT: all connections have finished closing (for
// CensusWhen, in scenarios whose connections all end).
bool OnlyListenAndTimeWait(const SocketCensus& census);

// Matches sockets whose local port is `port`, or whose remote port is (a client's end).
SocketPredicate LocalPortIs(uint16_t port);
SocketPredicate RemotePortIs(uint16_t port);

}  // namespace tcpdoctor
