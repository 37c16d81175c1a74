// A process that holds sockets, as /proc/PID describes it.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace tcpdoctor {

// "unlimited" in /proc/PID/limits (RLIM_INFINITY); nofile cannot really be unlimited, but the
// file format allows it.
inline constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

struct ProcessInfo {
  int32_t pid = 0;
  std::string comm;       // /proc/PID/comm: at most 15 characters
  uint32_t uid = 0;       // owner of /proc/PID (the effective uid)
  uint32_t open_fds = 0;  // entries in /proc/PID/fd when it was scanned

  // Read on demand, only for processes a command shows (see ReadProcessDetails).
  bool details_read = false;
  std::string cmdline;  // arguments joined by spaces, shortened
  std::string user;     // name for uid, or the number when it has none
  std::string unit;     // container or service: "docker:0123456789ab", "nginx.service", or ""
  std::optional<uint64_t> nofile_soft;  // "Max open files"; kUnlimited; nullopt if unreadable
  std::optional<uint64_t> nofile_hard;
};

}  // namespace tcpdoctor
