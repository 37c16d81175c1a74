#include "support/selection.h"

namespace tcpdoctor::itest {

bool Selection::Matches(const SocketTuple& s) const {
  if (!states.empty() && states.count(s.state) == 0) return false;
  if (s.family() == AF_INET ? !ipv4 : !ipv6) return false;
  if (sport && s.local.port != *sport) return false;
  if (dport && s.remote.port != *dport) return false;
  if (port && s.local.port != *port && s.remote.port != *port) return false;
  if (addr && !addr->Contains(s.local) && !addr->Contains(s.remote)) return false;
  return true;
}

std::vector<SocketTuple> Select(const std::vector<SocketTuple>& sockets, const Selection& sel) {
  std::vector<SocketTuple> out;
  for (const SocketTuple& s : sockets) {
    if (sel.Matches(s)) out.push_back(s);
  }
  return out;
}

std::set<State> ConnectedStates() {
  std::set<State> out(kAllStates.begin(), kAllStates.end());
  out.erase(State::kListen);
  out.erase(State::kClose);
  return out;
}

std::set<State> SynchronizedStates() {
  std::set<State> out = ConnectedStates();
  out.erase(State::kSynSent);
  return out;
}

std::set<State> BucketStates() { return {State::kSynRecv, State::kTimeWait}; }

std::set<State> BigStates() {
  std::set<State> out(kAllStates.begin(), kAllStates.end());
  out.erase(State::kSynRecv);
  out.erase(State::kTimeWait);
  return out;
}

}  // namespace tcpdoctor::itest
