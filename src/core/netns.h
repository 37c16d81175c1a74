// Network namespaces: name resolution and a scoped switch into one.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace tcpdoctor {

// "NAME" -> /run/netns/NAME (as `ip netns` names them); "pid:PID" -> /proc/PID/ns/net (a
// container's namespace, by any of its processes); anything with a '/' is a path to a
// namespace file. Checks that it exists.
Result<std::string> ResolveNetnsPath(std::string_view spec);

// Enters a network namespace for the current thread and returns to the original one when
// destroyed. Sockets opened meanwhile (netlink included) belong to the entered namespace, and
// /proc/net and /proc/sys/net read through it show that namespace.
class NetnsGuard {
 public:
  static Result<NetnsGuard> Enter(const std::string& path);

  NetnsGuard(NetnsGuard&& other) noexcept : original_fd_(other.original_fd_) {
    other.original_fd_ = -1;
  }
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  ~NetnsGuard();

 private:
  explicit NetnsGuard(int original_fd) : original_fd_(original_fd) {}
  int original_fd_;
};

}  // namespace tcpdoctor
