// Listeners most pressed first: the order in which a report cut to a few listeners keeps them
// (the exporter's top N).
#pragma once

#include <vector>

#include "analyze/listener_queues.h"

namespace tcpdoctor {

// Whether `a` comes before `b`: the fuller accept queue (FillPercent, against the backlog + 1
// it holds), then more SYN_RECV, then the longer accept queue (the only queue figure when the
// backlog is unknown), then by port, address and inode so that the order is total.
bool MorePressed(const ListenerQueue& a, const ListenerQueue& b);

// `listeners` in that order, as pointers into it.
std::vector<const ListenerQueue*> ByPressure(const std::vector<ListenerQueue>& listeners);

}  // namespace tcpdoctor
