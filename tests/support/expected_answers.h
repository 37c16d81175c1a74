// What tcpdoctor should print for a known set of sockets: the `states` and `top` JSON documents,
// computed independently of tcpdoctor's code from the sockets the test made.
#pragma once

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "support/socket_tuple.h"

namespace tcpdoctor::itest {

// {"total": N, "states": {"ESTABLISHED": n, ... every state, zeros included}}
nlohmann::json ExpectedStates(const std::vector<SocketTuple>& sockets);

enum class GroupKey { kLport, kLaddr, kRaddr, kRport, kPeer, kDst, kState };
inline constexpr std::array<GroupKey, 7> kAllGroupKeys = {
    GroupKey::kLport, GroupKey::kLaddr, GroupKey::kRaddr, GroupKey::kRport,
    GroupKey::kPeer,  GroupKey::kDst,   GroupKey::kState};

std::string_view GroupKeyName(GroupKey key);  // "lport", "laddr" ...

// The group a socket falls in, as printed: "8080", "127.0.0.1:8080", "[::1]:8080", "::1",
// "127.0.0.1 -> 127.0.0.2:80", "ESTABLISHED".
std::string GroupKeyText(GroupKey key, const SocketTuple& s);

// {"by": KEY, "total": N, "groups": [{"key", "count", "states": {non-zero only}}],
//  "other": {"count", "groups", "states"}}: the `limit` largest groups, largest first, ties
// IPv4 before IPv6 and then in numeric order of the key; the rest summed in "other".
nlohmann::json ExpectedTop(const std::vector<SocketTuple>& sockets, GroupKey key, size_t limit);

// How many distinct groups `key` makes of `sockets`.
size_t CountGroups(const std::vector<SocketTuple>& sockets, GroupKey key);

}  // namespace tcpdoctor::itest
