// What the user asked to see by owner: --pid PID, --comm NAME. Sockets without a process
// (TIME_WAIT, request sockets, orphans) never match.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "model/socket_owners.h"

namespace tcpdoctor {

// The kernel keeps at most 15 characters of a process name (TASK_COMM_LEN 16).
inline constexpr size_t kCommLength = 15;

struct OwnerFilter {
  std::optional<int32_t> pid;
  std::optional<std::string> comm;  // already cut to kCommLength

  bool active() const { return pid.has_value() || comm.has_value(); }

  bool Matches(const ProcessInfo& p) const {
    return (!pid || p.pid == *pid) && (!comm || p.comm == *comm);
  }

  bool Matches(std::span<const SocketOwners::Holder> holders, const SocketOwners& owners) const {
    for (const SocketOwners::Holder& h : holders) {
      if (Matches(owners.processes()[h.process])) return true;
    }
    return false;
  }
};

}  // namespace tcpdoctor
