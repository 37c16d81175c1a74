// Which sockets tcpdoctor's filter flags select, computed by the test from the population:
// --state, -4/-6, --sport, --dport, --port, --addr.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "support/endpoint.h"
#include "support/socket_tuple.h"

namespace tcpdoctor::itest {

struct Selection {
  std::set<State> states;  // empty: every state
  bool ipv4 = true;
  bool ipv6 = true;
  std::optional<uint16_t> sport;  // local port
  std::optional<uint16_t> dport;  // remote port
  std::optional<uint16_t> port;   // either
  std::optional<Prefix> addr;     // local or remote address in the prefix

  bool Matches(const SocketTuple& s) const;
};

std::vector<SocketTuple> Select(const std::vector<SocketTuple>& sockets, const Selection& sel);

// ss's state groups, as tcpdoctor documents them.
std::set<State> ConnectedStates();     // all but LISTEN and CLOSE
std::set<State> SynchronizedStates();  // connected but SYN_SENT
std::set<State> BucketStates();        // minisockets: SYN_RECV, TIME_WAIT
std::set<State> BigStates();           // all but the bucket

}  // namespace tcpdoctor::itest
