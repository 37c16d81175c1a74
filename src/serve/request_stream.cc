#include "serve/request_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tcpdoctor {
namespace {

using AddressOf = int (*)(int, sockaddr*, socklen_t*);

// The numeric address and port of one end of `fd` (getpeername or getsockname).
void Describe(int fd, AddressOf address_of, std::string& ip, int& port) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ip.clear();
  port = -1;
  if (address_of(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    port = ntohs(in.sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  }
  ip = text;
}

}  // namespace

RequestStream::RequestStream(int fd, Clock::duration timeout, size_t max_request_bytes)
    : fd_(fd),
      timeout_(timeout),
      read_deadline_(Clock::now() + timeout),
      budget_(max_request_bytes) {}

bool RequestStream::WaitFor(short events, Clock::time_point deadline) const {
  for (;;) {
    // Rounded up: poll() must not return, and give up, before the deadline.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (ready < 0 && errno != EINTR) return false;
  }
}

bool RequestStream::is_readable() const {
  return begin_ < end_ || (budget_ > 0 && WaitFor(POLLIN, read_deadline_));
}

bool RequestStream::is_writable() const {
  return WaitFor(POLLOUT, write_deadline_.value_or(Clock::now() + timeout_));
}

ssize_t RequestStream::read(char* ptr, size_t size) {
  while (begin_ == end_) {
    if (budget_ == 0 || !WaitFor(POLLIN, read_deadline_)) return -1;
    const ssize_t n = ::recv(fd_, buffer_.data(), std::min(buffer_.size(), budget_), MSG_DONTWAIT);
    if (n == 0) return 0;  // the client closed
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return -1;
    }
    budget_ -= static_cast<size_t>(n);
    begin_ = 0;
    end_ = static_cast<size_t>(n);
  }
  const size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buffer_.data() + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t RequestStream::write(const char* ptr, size_t size) {
  if (!write_deadline_) write_deadline_ = Clock::now() + timeout_;
  for (;;) {
    if (!WaitFor(POLLOUT, *write_deadline_)) return -1;
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
  }
}

void RequestStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  Describe(fd_, ::getpeername, ip, port);
}

void RequestStream::get_local_ip_and_port(std::string& ip, int& port) const {
  Describe(fd_, ::getsockname, ip, port);
}

}  // namespace tcpdoctor
