// Pure parsing of sock_diag (inet_diag) dump replies: bytes in, SocketRecords out. Shared by
// the live netlink source and the replay source, so recorded dumps test exactly this code.
#pragma once

#include <cstdint>
#include <span>

#include "collect/socket_source.h"
#include "core/result.h"

struct nlmsghdr;

namespace tcpdoctor {

// What the parser expects of each message header, and what it has seen so far.
struct DiagDumpState {
  uint32_t seq = 0;
  uint32_t portid = 0;  // 0 accepts any (replay)
  DumpStats stats;
  bool done = false;  // NLMSG_DONE seen
};

// Parses the netlink messages in one received buffer, handing each socket to `sink`.
// Errors: a truncated message or attribute, a sequence or port id that is not ours, a
// message too short for inet_diag_msg, or an NLMSG_ERROR from the kernel (with its errno).
// NLM_F_DUMP_INTR is not an error: it sets state.stats.interrupted.
Status ParseDiagBuffer(std::span<const uint8_t> buffer, DiagDumpState& state,
                       const RecordSink& sink);

// One SOCK_DIAG_BY_FAMILY reply message as a record. Exposed for tests.
Result<SocketRecord> ParseDiagMessage(const nlmsghdr* nlh);

}  // namespace tcpdoctor
