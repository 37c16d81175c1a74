// A TCP socket as a test expects to find it: its state and both endpoints. Also the test's own
// list of state names (netstat's, as tcpdoctor prints them, and ss's).
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/endpoint.h"

namespace tcpdoctor::itest {

// The kernel's numbering (include/net/tcp_states.h), which is also RFC order.
enum class State : int {
  kEstablished = 1,
  kSynSent,
  kSynRecv,
  kFinWait1,
  kFinWait2,
  kTimeWait,
  kClose,
  kCloseWait,
  kLastAck,
  kListen,
  kClosing,
};

inline constexpr std::array<State, 11> kAllStates = {
    State::kEstablished, State::kSynSent,  State::kSynRecv, State::kFinWait1,
    State::kFinWait2,    State::kTimeWait, State::kClose,   State::kCloseWait,
    State::kLastAck,     State::kListen,   State::kClosing};

// "ESTABLISHED", "SYN_RECV", "TIME_WAIT" ...
std::string_view StateName(State s);
std::optional<State> StateFromName(std::string_view name);
// ss's spelling: "ESTAB", "SYN-RECV", "FIN-WAIT-1", "UNCONN" ...
std::optional<State> StateFromSsName(std::string_view name);

struct SocketTuple {
  State state = State::kClose;
  Endpoint local;
  Endpoint remote;

  int family() const { return local.family; }
  // "TIME_WAIT 127.0.1.1:40000 -> 127.0.0.2:8080", for failure messages.
  std::string ToString() const;

  friend auto operator<=>(const SocketTuple&, const SocketTuple&) = default;
};

// `sockets` in a canonical order, for comparing two tables as multisets.
std::vector<SocketTuple> Sorted(std::vector<SocketTuple> sockets);

}  // namespace tcpdoctor::itest
