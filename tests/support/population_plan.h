// What socket population to build: listeners, and batches of connections each left in a known
// outcome. RandomPlan() varies addresses, ports and counts with a seed, so that the tests cover
// the general case rather than one fixture, and stay reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tcpdoctor::itest {

// Where a connection is left, and the states that gives on each side.
enum class Outcome {
  kEstablished,      // client ESTABLISHED, server ESTABLISHED (accepted)
  kClientHalfClose,  // client shutdown(SHUT_WR): client FIN_WAIT2, server CLOSE_WAIT
  kServerHalfClose,  // server shutdown(SHUT_WR): server FIN_WAIT2, client CLOSE_WAIT
  kClientTimeWait,   // client closes first: client TIME_WAIT, nothing on the server
  kServerTimeWait,   // server closes first: server TIME_WAIT on the listening port
  kSynRecv,          // TCP_DEFER_ACCEPT and no data: server SYN_RECV, client ESTABLISHED
  kSynSent,          // accept queue full (backlog 0): client SYN_SENT, nothing on the server
  kFinWait1,         // client's FIN stuck behind data the server never reads: client
                     // FIN_WAIT1, server ESTABLISHED
  kLastAck,          // client half-closes, server's FIN stuck behind data: server LAST_ACK,
                     // client FIN_WAIT2
  kClosing,          // client's FIN stuck, then the server closes: client CLOSING, server
                     // FIN_WAIT2
};

enum class ListenerKind {
  kPlain,
  kDeferAccept,  // TCP_DEFER_ACCEPT: holds data-less clients as SYN_RECV (kSynRecv only)
  kFull,         // backlog 0 with one unaccepted connection: later SYNs are dropped (kSynSent)
};

struct ListenerSpec {
  // "127.0.0.2", "::1", or "::ffff:127.0.0.9" (an IPv6 socket that takes IPv4 clients).
  std::string address;
  uint16_t port = 0;
  ListenerKind kind = ListenerKind::kPlain;
};

struct BatchSpec {
  Outcome outcome = Outcome::kEstablished;
  size_t listener = 0;         // index into PopulationPlan::listeners
  std::string client_address;  // the client binds it; the kernel picks the port
  int count = 1;
};

struct PopulationPlan {
  std::vector<ListenerSpec> listeners;
  std::vector<BatchSpec> batches;

  std::string ToString() const;  // for failure messages
};

std::string_view OutcomeName(Outcome o);

// Several IPv4 listeners (some sharing an address, some sharing a port), IPv6 listeners on ::1,
// an IPv4-mapped listener, and one to three batches of every outcome on compatible listeners
// with client addresses and counts drawn from `seed`.
PopulationPlan RandomPlan(uint32_t seed);

}  // namespace tcpdoctor::itest
