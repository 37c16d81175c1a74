// Runs a SocketFilter through a source: one query per family, with the states and exact
// ports pushed down to the kernel, and the rest of the filter applied to each record.
#pragma once

#include <functional>
#include <vector>

#include "collect/socket_source.h"
#include "core/warning_sink.h"
#include "model/socket_filter.h"

namespace tcpdoctor {

// The kernel queries that `filter` needs: one per family it allows.
std::vector<DumpQuery> PlanQueries(const SocketFilter& filter, uint8_t extensions = 0);

// Streams every socket matching `filter` to `sink`. A sock_diag dump is not atomic (sockets
// that change state during it can be missed or seen twice); if the kernel flags a dump as
// interrupted, `restart` is called so the consumer can forget what it counted, and the whole
// collection runs again, 3 attempts in all; after that the last result stands, with a warning.
// `extensions`: idiag_ext bits to ask for (e.g. tcp_info), 0 when only counting.
Result<DumpStats> CollectSockets(SocketSource& source, const SocketFilter& filter,
                                 const RecordSink& sink, const std::function<void()>& restart,
                                 const WarningSink& warn, uint8_t extensions = 0);

}  // namespace tcpdoctor
