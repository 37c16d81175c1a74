#include "support/expected_answers.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace tcpdoctor::itest {
namespace {

using Bytes = std::array<uint8_t, 16>;

// The order of groups with equal counts: IPv4 (and address-less) keys first, then numerically:
// addresses by their bytes in network order, then the port or state number.
using SortKey = std::tuple<bool, Bytes, Bytes, uint32_t>;

SortKey SortKeyOf(GroupKey key, const SocketTuple& s) {
  const bool v6 = s.family() == AF_INET6;
  switch (key) {
    case GroupKey::kLport:
      return {false, {}, {}, s.local.port};
    case GroupKey::kRport:
      return {false, {}, {}, s.remote.port};
    case GroupKey::kState:
      return {false, {}, {}, static_cast<uint32_t>(s.state)};
    case GroupKey::kLaddr:
      return {v6, s.local.addr, {}, s.local.port};
    case GroupKey::kRaddr:
      return {v6, s.remote.addr, {}, 0};
    case GroupKey::kPeer:
      return {v6, s.remote.addr, {}, s.remote.port};
    case GroupKey::kDst:
      return {v6, s.local.addr, s.remote.addr, s.remote.port};
  }
  return {};
}

struct Tally {
  std::string text;
  uint64_t count = 0;
  std::map<State, uint64_t> states;
};

nlohmann::json StatesObject(const std::map<State, uint64_t>& states) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [state, n] : states) {
    if (n != 0) out[std::string(StateName(state))] = n;
  }
  return out;
}

}  // namespace

nlohmann::json ExpectedStates(const std::vector<SocketTuple>& sockets) {
  nlohmann::json states = nlohmann::json::object();
  for (State s : kAllStates) states[std::string(StateName(s))] = 0;
  for (const SocketTuple& t : sockets) {
    states[std::string(StateName(t.state))] =
        states[std::string(StateName(t.state))].get<int>() + 1;
  }
  return {{"total", sockets.size()}, {"states", states}};
}

std::string_view GroupKeyName(GroupKey key) {
  static constexpr std::array<std::string_view, 7> kNames = {"lport", "laddr", "raddr", "rport",
                                                             "peer",  "dst",   "state"};
  return kNames[static_cast<size_t>(key)];
}

std::string GroupKeyText(GroupKey key, const SocketTuple& s) {
  switch (key) {
    case GroupKey::kLport:
      return std::to_string(s.local.port);
    case GroupKey::kRport:
      return std::to_string(s.remote.port);
    case GroupKey::kState:
      return std::string(StateName(s.state));
    case GroupKey::kLaddr:
      return s.local.WithPort();
    case GroupKey::kRaddr:
      return s.remote.Address();
    case GroupKey::kPeer:
      return s.remote.WithPort();
    case GroupKey::kDst:
      return s.local.Address() + " -> " + s.remote.WithPort();
  }
  return "";
}

nlohmann::json ExpectedTop(const std::vector<SocketTuple>& sockets, GroupKey key, size_t limit) {
  std::map<SortKey, Tally> tallies;
  for (const SocketTuple& s : sockets) {
    Tally& t = tallies[SortKeyOf(key, s)];
    t.text = GroupKeyText(key, s);
    ++t.count;
    ++t.states[s.state];
  }
  std::vector<std::pair<SortKey, Tally>> ranked(tallies.begin(), tallies.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  nlohmann::json groups = nlohmann::json::array();
  Tally other;
  uint64_t other_groups = 0;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const Tally& t = ranked[i].second;
    if (i < limit) {
      groups.push_back({{"key", t.text}, {"count", t.count}, {"states", StatesObject(t.states)}});
      continue;
    }
    ++other_groups;
    other.count += t.count;
    for (const auto& [state, n] : t.states) other.states[state] += n;
  }
  return {
      {"by", std::string(GroupKeyName(key))},
      {"total", sockets.size()},
      {"groups", groups},
      {"other",
       {{"count", other.count}, {"groups", other_groups}, {"states", StatesObject(other.states)}}}};
}

size_t CountGroups(const std::vector<SocketTuple>& sockets, GroupKey key) {
  std::map<SortKey, int> groups;
  for (const SocketTuple& s : sockets) groups[SortKeyOf(key, s)] = 1;
  return groups.size();
}

}  // namespace tcpdoctor::itest
