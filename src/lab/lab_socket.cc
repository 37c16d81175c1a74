#include "lab/lab_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lab/interrupt.h"

namespace tcpdoctor {
namespace {

constexpr int kSliceMs = 100;  // how often a wait looks at the interrupt flag

socklen_t ToSockaddr(const SocketAddress& a, sockaddr_storage& sa) {
  sa = {};
  if (a.ip.family == Family::kIpv4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sa);
    in->sin_family = AF_INET;
    in->sin_port = htons(a.port);
    std::memcpy(&in->sin_addr, a.ip.bytes.data(), 4);
    return sizeof *in;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(a.port);
  std::memcpy(&in6->sin6_addr, a.ip.bytes.data(), 16);
  return sizeof *in6;
}

int FamilyOf(const SocketAddress& a) { return a.ip.family == Family::kIpv4 ? AF_INET : AF_INET6; }

// Waits until `fd` has one of `events` (or an error or hang-up), `deadline` passes, or Ctrl-C.
Status WaitFor(int fd, short events, LabClock::time_point deadline, const std::string& what) {
  for (;;) {
    if (auto interrupted = CheckInterrupt(); !interrupted) return interrupted;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - LabClock::now());
    if (left.count() <= 0) return Error{ErrorCode::kIo, what + ": timed out", 0, {}, {}};
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), kSliceMs)));
    if (ready > 0) return Ok{};
    if (ready < 0 && errno != EINTR) return Error::FromErrno(errno, what + ": poll failed");
  }
}

}  // namespace

SocketAddress SocketAddress::Loopback(uint16_t port, uint8_t last_byte) {
  const uint8_t bytes[4] = {127, 0, 0, last_byte};
  return SocketAddress{IpAddress::V4(bytes), port};
}

std::string SocketAddress::ToString() const {
  return ip.ToStringForPort() + ":" + std::to_string(port);
}

std::string ErrnoName(int err) {
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

Result<UniqueFd> ListenOn(const SocketAddress& at, int backlog) {
  UniqueFd fd(::socket(FamilyOf(at), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::FromErrno(errno, "cannot create a listening socket", at.ToString());
  sockaddr_storage sa;
  const socklen_t len = ToSockaddr(at, sa);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    return Error::FromErrno(errno, "cannot bind", at.ToString());
  }
  if (::listen(fd.get(), backlog) != 0) {
    return Error::FromErrno(errno, "cannot listen", at.ToString());
  }
  return fd;
}

Result<UniqueFd> StartConnect(const SocketAddress& to) {
  UniqueFd fd(::socket(FamilyOf(to), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::FromErrno(errno, "socket() failed", to.ToString());
  sockaddr_storage sa;
  const socklen_t len = ToSockaddr(to, sa);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0 &&
      errno != EINPROGRESS) {
    return Error::FromErrno(errno, "connect() failed", to.ToString());
  }
  return fd;
}

Result<UniqueFd> ConnectTo(const SocketAddress& to, LabClock::time_point deadline) {
  auto fd = StartConnect(to);
  if (!fd) return fd;
  if (auto ready = WaitFor(fd->get(), POLLOUT, deadline, "connect() to " + to.ToString()); !ready) {
    return ready.TakeError();
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  if (::getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (err != 0) return Error::FromErrno(err, "connect() failed", to.ToString());
  return fd;
}

Result<UniqueFd> AcceptFrom(int listener, LabClock::time_point deadline) {
  for (;;) {
    UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (fd) return fd;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Error::FromErrno(errno, "accept() failed");
    }
    if (auto ready = WaitFor(listener, POLLIN, deadline, "accept()"); !ready) {
      return ready.TakeError();
    }
  }
}

Status SendAll(int fd, std::string_view data, LabClock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Error::FromErrno(errno, "send() failed");
    }
    if (auto ready = WaitFor(fd, POLLOUT, deadline, "send()"); !ready) return ready;
  }
  return Ok{};
}

Result<std::string> ReceiveSome(int fd, LabClock::time_point deadline) {
  for (;;) {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n >= 0) return std::string(buf, static_cast<size_t>(n));
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Error::FromErrno(errno, "recv() failed");
    }
    if (auto ready = WaitFor(fd, POLLIN, deadline, "recv()"); !ready) return ready.TakeError();
  }
}

Status SetLinger(int fd, bool on, int seconds) {
  const linger l{on ? 1 : 0, seconds};
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) {
    return Error::FromErrno(errno, "setsockopt(SO_LINGER) failed");
  }
  return Ok{};
}

Result<SocketAddress> LocalAddress(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return Error::FromErrno(errno, "getsockname() failed");
  }
  if (sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
    return SocketAddress{IpAddress::V4(&in->sin_addr), ntohs(in->sin_port)};
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
  return SocketAddress{IpAddress::V6(&in6->sin6_addr), ntohs(in6->sin6_port)};
}

std::string LoopbackText(uint16_t port) { return SocketAddress::Loopback(port).ToString(); }

}  // namespace tcpdoctor
