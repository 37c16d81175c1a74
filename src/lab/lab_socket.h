// Socket calls for the lab's clients and servers, each bounded in time, returning the errno the
// kernel gave (Error::sys_errno) so that a scenario can report exactly what a client saw:
// EADDRNOTAVAIL, ECONNRESET, EMFILE... Waits are cut short by Ctrl-C (kInterrupted).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/unique_fd.h"
#include "model/ip_address.h"

namespace tcpdoctor {

using LabClock = std::chrono::steady_clock;

struct SocketAddress {
  IpAddress ip;
  uint16_t port = 0;

  // 127.0.0.1:port, or another 127.0.0.0/8 address given as its last byte (127.0.0.2).
  static SocketAddress Loopback(uint16_t port, uint8_t last_byte = 1);
  std::string ToString() const;  // "127.0.0.1:8080", "[::1]:8080"
};

// "127.0.0.1:8080": how a scenario names its server at `port`.
std::string LoopbackText(uint16_t port);

// "EADDRNOTAVAIL" for EADDRNOTAVAIL; "errno N" for one without a name.
std::string ErrnoName(int err);

// A listening socket bound to `at` (port 0: the kernel chooses), listen(backlog).
Result<UniqueFd> ListenOn(const SocketAddress& at, int backlog);

// A non-blocking socket whose connect() to `to` has started: the handshake goes on in the kernel
// (poll for POLLOUT, then read SO_ERROR). A connect() that fails at once (EADDRNOTAVAIL...) is an
// error with its errno, as is a socket() that fails.
Result<UniqueFd> StartConnect(const SocketAddress& to);

// A non-blocking connect() to `to`, waiting until the handshake is done or `deadline`. The
// socket stays non-blocking. SO_LINGER, buffer sizes and the like can be set afterwards.
Result<UniqueFd> ConnectTo(const SocketAddress& to, LabClock::time_point deadline);

// accept() on a non-blocking or blocking listener, waiting until `deadline`; the accepted
// socket is non-blocking.
Result<UniqueFd> AcceptFrom(int listener, LabClock::time_point deadline);

// Sends all of `data` by `deadline`.
Status SendAll(int fd, std::string_view data, LabClock::time_point deadline);

// What arrived, waiting until something does or `deadline`: "" means the peer closed (EOF).
// A reset is an error with sys_errno ECONNRESET.
Result<std::string> ReceiveSome(int fd, LabClock::time_point deadline);

// SO_LINGER {on, seconds}: {true, 0} makes close() send an RST instead of a FIN.
Status SetLinger(int fd, bool on, int seconds);

// getsockname().
Result<SocketAddress> LocalAddress(int fd);

}  // namespace tcpdoctor
