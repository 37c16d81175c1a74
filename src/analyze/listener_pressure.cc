#include "analyze/listener_pressure.h"

#include <tuple>

#include "analyze/sorted_by_rank.h"

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
  return SortedByRank(listeners, PressureRank);
}

}  // namespace tcpdoctor
