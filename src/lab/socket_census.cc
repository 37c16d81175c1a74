#include "lab/socket_census.h"

#include <algorithm>
#include <cstdio>

#include "collect/collect_sockets.h"

namespace tcpdoctor {
namespace {

std::string Seconds(uint32_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", ms / 1000.0);
  return buf;
}

}  // namespace

void SocketGroup::Add(const SocketRecord& r) {
  min_local_port = count == 0 ? r.local_port : std::min(min_local_port, r.local_port);
  max_local_port = count == 0 ? r.local_port : std::max(max_local_port, r.local_port);
  ++count;
  if (r.timer == SocketTimer::kNone) return;
  min_timer_ms = with_timer == 0 ? r.timer_expires_ms : std::min(min_timer_ms, r.timer_expires_ms);
  max_timer_ms = with_timer == 0 ? r.timer_expires_ms : std::max(max_timer_ms, r.timer_expires_ms);
  ++with_timer;
}

std::string SocketGroup::PortsText() const {
  if (count == 0) return "none";
  if (min_local_port == max_local_port) return std::to_string(min_local_port);
  return std::to_string(min_local_port) + "-" + std::to_string(max_local_port);
}

std::string SocketGroup::TimerText() const {
  if (with_timer == 0) return "no timer";
  const std::string low = Seconds(min_timer_ms);
  const std::string high = Seconds(max_timer_ms);
  return (low == high ? low : low + "-" + high) + " s";
}

Result<SocketCensus> SocketCensus::Take(SocketSource& source, const WarningSink& warn,
                                        const SocketFilter& filter) {
  SocketCensus census;
  auto read = CollectSockets(
      source, filter, [&census](const SocketRecord& r) { census.sockets_.push_back(r); },
      [&census] { census.sockets_.clear(); }, warn);
  if (!read) return read.TakeError();
  return census;
}

SocketGroup SocketCensus::InState(TcpState state, const SocketPredicate& also) const {
  return Select([&](const SocketRecord& r) { return r.state == state && (!also || also(r)); });
}

SocketGroup SocketCensus::Select(const SocketPredicate& match) const {
  SocketGroup group;
  for (const SocketRecord& r : sockets_) {
    if (match(r)) group.Add(r);
  }
  return group;
}

bool OnlyListenAndTimeWait(const SocketCensus& census) {
  return std::all_of(census.sockets().begin(), census.sockets().end(), [](const SocketRecord& r) {
    return r.state == TcpState::kListen || r.state == TcpState::kTimeWait;
  });
}

SocketPredicate LocalPortIs(uint16_t port) {
  return [port](const SocketRecord& r) { return r.local_port == port; };
}

SocketPredicate RemotePortIs(uint16_t port) {
  return [port](const SocketRecord& r) { return r.remote_port == port; };
}

}  // namespace tcpdoctor
