#include "support/loopback_sockets.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

constexpr int kWaitMs = 2000;

std::string Errno() { return std::strerror(errno); }

bool PollFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r = 0;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

}  // namespace

void SetNamespaceSysctl(const std::string& name, const std::string& value) {
  if (!InNetnsSandbox()) {
    ADD_FAILURE() << "refusing to write /proc/sys/" << name << " outside a netns sandbox";
    return;
  }
  const std::string path = "/proc/sys/" + name;
  std::ofstream out(path);
  ASSERT_TRUE(out) << "cannot open " << path;
  out << value << "\n";
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write '" << value << "' to " << path;
  const auto now = ReadSysctl(name);
  ASSERT_TRUE(now.has_value()) << path;
}

std::optional<std::string> ReadSysctl(const std::string& name) {
  std::ifstream in("/proc/sys/" + name);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

UniqueFd Listen(const Endpoint& at, int backlog, Endpoint* bound, bool defer_accept) {
  UniqueFd fd(::socket(at.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    ADD_FAILURE() << "socket: " << Errno();
    return {};
  }
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (defer_accept) {
    const int seconds = 60;
    if (::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds) != 0) {
      ADD_FAILURE() << "TCP_DEFER_ACCEPT: " << Errno();
      return {};
    }
  }
  sockaddr_storage sa{};
  const socklen_t len = at.ToSockaddr(sa);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    ADD_FAILURE() << "bind " << at.WithPort() << ": " << Errno();
    return {};
  }
  if (::listen(fd.get(), backlog) != 0) {
    ADD_FAILURE() << "listen " << at.WithPort() << ": " << Errno();
    return {};
  }
  if (bound != nullptr) *bound = LocalOf(fd.get());
  return fd;
}

Connection ConnectNoWait(const Endpoint& to) {
  Connection c;
  c.fd = UniqueFd(::socket(to.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c.fd) {
    c.error = errno;
    return c;
  }
  sockaddr_storage sa{};
  const socklen_t len = to.ToSockaddr(sa);
  if (::connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0 &&
      errno != EINPROGRESS) {
    c.error = errno;
    c.fd.Reset();
  }
  return c;
}

Connection ConnectAndWait(const Endpoint& to) {
  Connection c = ConnectNoWait(to);
  if (!c.fd) return c;
  if (!PollFor(c.fd.get(), POLLOUT, kWaitMs)) {
    c.error = ETIMEDOUT;
    c.fd.Reset();
    return c;
  }
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    c.error = error;
    c.fd.Reset();
  }
  return c;
}

UniqueFd AcceptOne(int listener) {
  if (!PollFor(listener, POLLIN, kWaitMs)) {
    ADD_FAILURE() << "nothing to accept within " << kWaitMs << " ms on "
                  << LocalOf(listener).WithPort();
    return {};
  }
  UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd) ADD_FAILURE() << "accept: " << Errno();
  return fd;
}

void CloseInOrder(UniqueFd& first, UniqueFd& second) {
  first.Reset();
  ASSERT_TRUE(PollFor(second.get(), POLLIN, kWaitMs)) << "no FIN from the peer";
  char buf[16];
  ssize_t n = 0;
  do {
    n = ::recv(second.get(), buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  ASSERT_EQ(n, 0) << "expected the peer's EOF: " << (n < 0 ? Errno() : "data");
  second.Reset();
}

void AbortiveClose(UniqueFd& fd) {
  const linger l{1, 0};
  ASSERT_EQ(::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l), 0) << Errno();
  fd.Reset();
}

std::optional<State> StateOf(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  return static_cast<State>(info.tcpi_state);
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ConnectPairs(int listener, const Endpoint& at, int n, std::vector<UniqueFd>& clients,
                  std::vector<UniqueFd>& servers) {
  for (int i = 0; i < n; ++i) {
    Connection c = ConnectAndWait(at);
    ASSERT_TRUE(c.fd) << "connect: " << c.error;
    UniqueFd s = AcceptOne(listener);
    ASSERT_TRUE(s);
    clients.push_back(std::move(c.fd));
    servers.push_back(std::move(s));
  }
}

}  // namespace tcpdoctor::itest
