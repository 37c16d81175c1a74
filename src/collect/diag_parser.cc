#include "collect/diag_parser.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace tcpdoctor {
namespace {

constexpr int kNewSynRecv = 12;  // TCP_NEW_SYN_RECV: request sockets, reported as SYN_RECV

Error ProtocolError(std::string message) {
  return Error{ErrorCode::kProtocol, std::move(message), 0, "sock_diag dump", {}};
}

// Walks the attributes after inet_diag_msg and checks that each one fits, and that they fill
// the message exactly: libmnl's iterator silently stops at a bad length, we do not. Takes what
// the record uses from them: tcp_info's tcpi_last_data_recv.
Status ReadAttributes(const nlmsghdr* nlh, SocketRecord& r) {
  const auto* attr =
      static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(inet_diag_msg)));
  const auto* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  while (reinterpret_cast<const char*>(attr) < end) {
    const auto left = static_cast<int>(end - reinterpret_cast<const char*>(attr));
    if (!mnl_attr_ok(attr, left)) {
      return ProtocolError("attribute of type " + std::to_string(attr->nla_type & NLA_TYPE_MASK) +
                           " has a bad length");
    }
    // Older kernels send a shorter tcp_info: take the field only if it is there.
    constexpr size_t kLastDataRecvEnd =
        offsetof(tcp_info, tcpi_last_data_recv) + sizeof(tcp_info::tcpi_last_data_recv);
    if (mnl_attr_get_type(attr) == INET_DIAG_INFO &&
        mnl_attr_get_payload_len(attr) >= kLastDataRecvEnd) {
      tcp_info info{};
      std::memcpy(&info, mnl_attr_get_payload(attr), kLastDataRecvEnd);
      r.last_data_recv_ms = info.tcpi_last_data_recv;
    }
    attr = mnl_attr_next(attr);
  }
  return Ok{};
}

}  // namespace

Result<SocketRecord> ParseDiagMessage(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(inet_diag_msg)) {
    return ProtocolError("message of " + std::to_string(nlh->nlmsg_len) +
                         " bytes is too short for inet_diag_msg");
  }
  const auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  SocketRecord r;
  if (msg->idiag_family == AF_INET) {
    r.local = IpAddress::V4(msg->id.idiag_src);
    r.remote = IpAddress::V4(msg->id.idiag_dst);
  } else if (msg->idiag_family == AF_INET6) {
    r.local = IpAddress::V6(msg->id.idiag_src);
    r.remote = IpAddress::V6(msg->id.idiag_dst);
  } else {
    return ProtocolError("unknown address family " + std::to_string(msg->idiag_family));
  }
  const int kernel_state = msg->idiag_state == kNewSynRecv ? 3 : msg->idiag_state;
  const auto state = StateFromKernel(kernel_state);
  if (!state) {
    return Error{ErrorCode::kUnsupported,
                 "unknown TCP state " + std::to_string(msg->idiag_state),
                 0,
                 "sock_diag dump",
                 {}};
  }
  if (auto attrs = ReadAttributes(nlh, r); !attrs) return attrs.TakeError();
  r.state = *state;
  r.local_port = ntohs(msg->id.idiag_sport);
  r.remote_port = ntohs(msg->id.idiag_dport);
  r.recv_queue = msg->idiag_rqueue;
  r.send_queue = msg->idiag_wqueue;
  r.inode = msg->idiag_inode;
  r.uid = msg->idiag_uid;
  r.timer = msg->idiag_timer <= 4 ? static_cast<SocketTimer>(msg->idiag_timer) : SocketTimer::kNone;
  r.timer_expires_ms = msg->idiag_expires;
  r.retransmits = msg->idiag_retrans;
  r.cookie = (uint64_t{msg->id.idiag_cookie[1]} << 32) | msg->id.idiag_cookie[0];
  return r;
}

Status ParseDiagBuffer(std::span<const uint8_t> buffer, DiagDumpState& state,
                       const RecordSink& sink) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer.data());
  int left = static_cast<int>(buffer.size());
  state.stats.bytes += buffer.size();
  while (left > 0) {
    if (!mnl_nlmsg_ok(nlh, left)) {
      return ProtocolError("truncated netlink message (" + std::to_string(left) +
                           " bytes left in the buffer)");
    }
    if (!mnl_nlmsg_seq_ok(nlh, state.seq)) {
      return ProtocolError("message with sequence " + std::to_string(nlh->nlmsg_seq) +
                           ", expected " + std::to_string(state.seq));
    }
    if (state.portid != 0 && !mnl_nlmsg_portid_ok(nlh, state.portid)) {
      return ProtocolError("message for port id " + std::to_string(nlh->nlmsg_pid) +
                           ", not ours (" + std::to_string(state.portid) + ")");
    }
    ++state.stats.messages;
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) state.stats.interrupted = true;
    if (nlh->nlmsg_type == NLMSG_DONE) {
      // A dump that failed part-way ends with its errno in DONE's payload (netlink_dump_done);
      // that is how inet_diag says it has no handler for the protocol (ENOENT).
      if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(int)) {
        const int code = *static_cast<const int*>(mnl_nlmsg_get_payload(nlh));
        if (code < 0)
          return Error::FromErrno(-code, "the kernel aborted the socket dump", "sock_diag");
      }
      state.done = true;
      return Ok{};
    }
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) {
        return ProtocolError("truncated NLMSG_ERROR");
      }
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error == 0) {  // an ACK, not an error
        nlh = mnl_nlmsg_next(nlh, &left);
        continue;
      }
      return Error::FromErrno(-err->error, "the kernel refused the socket dump", "sock_diag");
    }
    if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      auto record = ParseDiagMessage(nlh);
      if (record) {
        ++state.stats.records;
        sink(*record);
      } else if (record.error().code == ErrorCode::kUnsupported) {
        ++state.stats.skipped;  // a state newer than this tool: count it, do not fail
      } else {
        return record.TakeError();
      }
    }
    nlh = mnl_nlmsg_next(nlh, &left);
  }
  return Ok{};
}

}  // namespace tcpdoctor
