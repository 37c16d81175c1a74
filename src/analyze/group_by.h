// The keys `tcpdoctor top --by KEY` groups sockets by.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace tcpdoctor {

enum class GroupBy {
  kLocalPort,      // lport: 8080
  kLocalAddress,   // laddr: 10.0.0.1:8080
  kRemoteAddress,  // raddr: 10.0.0.2
  kRemotePort,     // rport: 443
  kPeer,           // peer: 10.0.0.2:443
  kDestination,    // dst: 10.0.0.1 -> 10.0.0.2:443 (one ephemeral-port budget)
  kState,          // state: ESTABLISHED
  kProcess,        // process: nginx[1234], or why no process holds the socket
  kNetns,          // netns: the network namespace (with --all-netns)
};

inline constexpr std::array<std::string_view, 9> kGroupByNames = {
    "lport", "laddr", "raddr", "rport", "peer", "dst", "state", "process", "netns"};

// Keys that need more than the socket record: the caller passes the socket's owner key
// (SocketOwner::Key) or namespace index to TopGroups::Add.
inline bool GroupNeedsContext(GroupBy by) {
  return by == GroupBy::kProcess || by == GroupBy::kNetns;
}

std::optional<GroupBy> ParseGroupBy(std::string_view name);
std::string_view GroupByName(GroupBy by);

}  // namespace tcpdoctor
