#include "support/socket_tuple.h"

#include <algorithm>

namespace tcpdoctor::itest {
namespace {

constexpr std::array<std::string_view, 12> kNames = {
    "",          "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
    "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING"};
constexpr std::array<std::string_view, 12> kSsNames = {
    "",          "ESTAB",  "SYN-SENT",   "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
    "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN",     "CLOSING"};

std::optional<State> Find(const std::array<std::string_view, 12>& names, std::string_view name) {
  for (size_t i = 1; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<State>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view StateName(State s) { return kNames[static_cast<size_t>(s)]; }

std::optional<State> StateFromName(std::string_view name) { return Find(kNames, name); }

std::optional<State> StateFromSsName(std::string_view name) { return Find(kSsNames, name); }

std::string SocketTuple::ToString() const {
  return std::string(StateName(state)) + " " + local.WithPort() + " -> " + remote.WithPort();
}

std::vector<SocketTuple> Sorted(std::vector<SocketTuple> sockets) {
  std::sort(sockets.begin(), sockets.end());
  return sockets;
}

}  // namespace tcpdoctor::itest
