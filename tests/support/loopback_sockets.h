// Small socket helpers for the queue, port and counter tests: listeners with a chosen backlog,
// connects that wait or not, accepts, closes in a chosen order, the kernel's state of one
// socket, and namespace sysctls (written only inside a netns sandbox).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/endpoint.h"
#include "support/socket_tuple.h"
#include "support/unique_fd.h"

namespace tcpdoctor::itest {

// Writes /proc/sys/NAME ("net/ipv4/tcp_tw_reuse") of the current namespace. Fails the test
// (and writes nothing) outside a netns sandbox, or if the kernel refuses the value.
void SetNamespaceSysctl(const std::string& name, const std::string& value);
// The text of /proc/sys/NAME without its trailing newline; nullopt if there is no such file.
std::optional<std::string> ReadSysctl(const std::string& name);

// A listening socket bound to `at` (port 0: the kernel picks one), listen(backlog).
// TCP_DEFER_ACCEPT makes it hold clients that send no data as SYN_RECV. Fails the test and
// returns an empty fd on error; `bound` gets the address as bound.
UniqueFd Listen(const Endpoint& at, int backlog, Endpoint* bound = nullptr,
                bool defer_accept = false);

// connect() without waiting: the fd is non-blocking and the handshake may still be under way
// (EINPROGRESS). On an immediate failure the fd is empty and `error` holds errno.
struct Connection {
  UniqueFd fd;
  int error = 0;
};
Connection ConnectNoWait(const Endpoint& to);
// connect() that waits for the handshake, at most 2 s. On failure the fd is empty and `error`
// holds errno (EADDRNOTAVAIL when no local port is left for this destination).
Connection ConnectAndWait(const Endpoint& to);

// accept() on a listener, waiting at most 2 s. Empty on timeout or error (test failure).
UniqueFd AcceptOne(int listener);

// `n` connections to `listener` at `at`, each accepted: the client ends are appended to
// `clients`, the accepted ends to `servers`. Uses gtest assertions.
void ConnectPairs(int listener, const Endpoint& at, int n, std::vector<UniqueFd>& clients,
                  std::vector<UniqueFd>& servers);

// `first` closes, its peer `second` reads the EOF and closes too, so that `first`'s tuple is
// left in TIME_WAIT (client first: on the client's port; server first: on the listener's).
// Both fds are closed. Uses gtest assertions.
void CloseInOrder(UniqueFd& first, UniqueFd& second);

// SO_LINGER {1, 0} and close(): an RST instead of a FIN, no TIME_WAIT.
void AbortiveClose(UniqueFd& fd);

// The state of the socket behind `fd` (TCP_INFO), nullopt if it cannot be read.
std::optional<State> StateOf(int fd);

// Polls `done` every 5 ms until it returns true or `timeout` passes; returns its last answer.
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace tcpdoctor::itest
