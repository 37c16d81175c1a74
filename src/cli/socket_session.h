// The steps every socket-reading command shares: enter --netns, pick the source, stream.
#pragma once

#include <functional>

#include "cli/command.h"
#include "collect/socket_source.h"

namespace tcpdoctor {

// Validates the filter, enters the namespace, opens the source the options ask for (live
// netlink with /proc fallback, --replay, --source proc), and streams every matching socket to
// `sink`. `restart` is called if the dump must be taken again (see CollectSockets).
Result<DumpStats> ReadSockets(const GlobalOptions& options, CommandIo& io, const RecordSink& sink,
                              const std::function<void()>& restart);

}  // namespace tcpdoctor
