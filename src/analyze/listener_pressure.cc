#include "analyze/listener_pressure.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace tcpdoctor {
namespace {

// Negated figures: an ascending tuple comparison puts the most pressed first.
auto PressureRank(const ListenerQueue& l) {
  return std::make_tuple(-l.FillPercent(), -static_cast<int64_t>(l.syn_recv),
                         -static_cast<int64_t>(l.accept_queue), l.port, l.address.family,
                         l.address.bytes, l.inode);
}

}  // namespace

bool MorePressed(const ListenerQueue& a, const ListenerQueue& b) {
  return PressureRank(a) < PressureRank(b);
}

std::vector<const ListenerQueue*> ByPressure(const std::vector<ListenerQueue>& listeners) {
  // Each rank computed once, not at every comparison.
  std::vector<std::pair<decltype(PressureRank(ListenerQueue{})), const ListenerQueue*>> ranked;
  ranked.reserve(listeners.size());
  for (const ListenerQueue& l : listeners) ranked.emplace_back(PressureRank(l), &l);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const ListenerQueue*> order;
  order.reserve(ranked.size());
  for (const auto& [rank, l] : ranked) order.push_back(l);
  return order;
}

}  // namespace tcpdoctor
