#include "analyze/listener_pressure.h"

#include <algorithm>
#include <tuple>

namespace tcpdoctor {

bool MorePressed(const ListenerQueue& a, const ListenerQueue& b) {
  // Negated figures: an ascending tuple comparison puts the most pressed first.
  const auto rank = [](const ListenerQueue& l) {
    return std::make_tuple(-l.FillPercent(), -static_cast<int64_t>(l.syn_recv),
                           -static_cast<int64_t>(l.accept_queue), l.port, l.address.family,
                           l.address.bytes, l.inode);
  };
  return rank(a) < rank(b);
}

std::vector<const ListenerQueue*> ByPressure(const std::vector<ListenerQueue>& listeners) {
  std::vector<const ListenerQueue*> order;
  order.reserve(listeners.size());
  for (const ListenerQueue& l : listeners) order.push_back(&l);
  std::sort(order.begin(), order.end(),
            [](const ListenerQueue* a, const ListenerQueue* b) { return MorePressed(*a, *b); });
  return order;
}

}  // namespace tcpdoctor
