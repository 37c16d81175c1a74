// Where socket records come from: the netlink dump, a replay of recorded dump bytes, or
// /proc/net/tcp{,6}. Records are streamed one at a time to a sink; nothing holds them all.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/result.h"
#include "model/socket_record.h"
#include "model/tcp_state.h"

namespace tcpdoctor {

// One request to the kernel: a family and what to ask for. Filters here are applied by the
// kernel (or, for /proc, by the source), so a command asks only for what it needs.
struct DumpQuery {
  Family family = Family::kIpv4;
  StateMask states = kAllStates;
  uint16_t local_port = 0;   // exact match when non-zero
  uint16_t remote_port = 0;  // exact match when non-zero
  uint8_t extensions = 0;    // idiag_ext bits; 0 when only counting
};

struct DumpStats {
  uint64_t records = 0;   // records handed to the sink
  uint64_t messages = 0;  // netlink messages (or lines) read
  uint64_t bytes = 0;
  uint64_t skipped = 0;      // records in a TCP state newer than this tool knows
  bool interrupted = false;  // the kernel flagged NLM_F_DUMP_INTR: the dump may be inconsistent
};

using RecordSink = std::function<void(const SocketRecord&)>;

// What the kernel does with a query, for sources that must do it themselves (/proc, replay).
bool MatchesQuery(const DumpQuery& query, const SocketRecord& r);

class SocketSource {
 public:
  virtual ~SocketSource() = default;
  // Streams every socket matching `query` to `sink`.
  virtual Result<DumpStats> Dump(const DumpQuery& query, const RecordSink& sink) = 0;
  // "netlink", "replay", "proc": for messages.
  virtual std::string_view Name() const = 0;
};

}  // namespace tcpdoctor
