// Hand-built sock_diag reply messages, and a walk over recorded dump bytes, for the parser
// tests. Everything is assembled field by field from the uapi structs, not through libmnl, so
// the tests do not share the code they check.
#pragma once

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace tcpdoctor::test_util {

using Bytes = std::vector<uint8_t>;

inline size_t Align4(size_t n) { return (n + 3) & ~size_t{3}; }

inline void Append(Bytes& out, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + size);
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A netlink message: header, then `payload`, padded to 4 bytes. nlmsg_len is the padded size
// unless `length` overrides it (to build broken messages).
inline Bytes Message(uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid,
                     const Bytes& payload, uint32_t length = 0) {
  nlmsghdr h{};
  h.nlmsg_len = length != 0 ? length : static_cast<uint32_t>(sizeof h + Align4(payload.size()));
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  h.nlmsg_pid = pid;
  Bytes out;
  Append(out, &h, sizeof h);
  out.insert(out.end(), payload.begin(), payload.end());
  out.resize(sizeof h + Align4(payload.size()), 0);
  return out;
}

// An attribute: nla_len covers header and data (unless `length` overrides it), padded to 4.
inline Bytes Attribute(uint16_t type, const Bytes& data, uint16_t length = 0) {
  nlattr a{};
  a.nla_len = length != 0 ? length : static_cast<uint16_t>(sizeof a + data.size());
  a.nla_type = type;
  Bytes out;
  Append(out, &a, sizeof a);
  out.insert(out.end(), data.begin(), data.end());
  out.resize(Align4(out.size()), 0);
  return out;
}

// The fields of one inet_diag_msg, in host order where the kernel uses host order.
struct DiagFields {
  uint8_t family = AF_INET;
  uint8_t state = 1;  // ESTABLISHED
  uint8_t timer = 0;
  uint8_t retrans = 0;
  std::array<uint8_t, 16> src{127, 0, 0, 1};
  std::array<uint8_t, 16> dst{127, 0, 0, 1};
  uint16_t sport = 40000;  // host order here; network order on the wire
  uint16_t dport = 80;
  uint32_t expires = 0;
  uint32_t rqueue = 0;
  uint32_t wqueue = 0;
  uint32_t uid = 0;
  uint32_t inode = 0;
  uint32_t cookie_low = 0;
  uint32_t cookie_high = 0;
};

inline Bytes DiagPayload(const DiagFields& f) {
  inet_diag_msg m{};
  m.idiag_family = f.family;
  m.idiag_state = f.state;
  m.idiag_timer = f.timer;
  m.idiag_retrans = f.retrans;
  m.id.idiag_sport = htons(f.sport);
  m.id.idiag_dport = htons(f.dport);
  std::memcpy(m.id.idiag_src, f.src.data(), 16);
  std::memcpy(m.id.idiag_dst, f.dst.data(), 16);
  m.id.idiag_cookie[0] = f.cookie_low;
  m.id.idiag_cookie[1] = f.cookie_high;
  m.idiag_expires = f.expires;
  m.idiag_rqueue = f.rqueue;
  m.idiag_wqueue = f.wqueue;
  m.idiag_uid = f.uid;
  m.idiag_inode = f.inode;
  Bytes out;
  Append(out, &m, sizeof m);
  return out;
}

inline constexpr uint32_t kSeq = 4242;
inline constexpr uint32_t kPid = 777;

inline Bytes DiagMessage(const DiagFields& f, const Bytes& attributes = {},
                         uint16_t flags = NLM_F_MULTI, uint32_t seq = kSeq, uint32_t pid = kPid) {
  Bytes payload = DiagPayload(f);
  payload.insert(payload.end(), attributes.begin(), attributes.end());
  return Message(SOCK_DIAG_BY_FAMILY, flags, seq, pid, payload);
}

inline Bytes DoneMessage(int32_t error = 0, uint16_t flags = NLM_F_MULTI, uint32_t seq = kSeq,
                         uint32_t pid = kPid) {
  Bytes payload;
  Append(payload, &error, sizeof error);
  return Message(NLMSG_DONE, flags, seq, pid, payload);
}

// NLMSG_ERROR: the (negative) errno, then the header of the request it answers.
inline Bytes ErrorMessage(int32_t error, uint32_t seq = kSeq, uint32_t pid = kPid) {
  nlmsgerr e{};
  e.error = error;
  e.msg.nlmsg_len = sizeof(nlmsghdr) + sizeof(inet_diag_req_v2);
  e.msg.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  e.msg.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  e.msg.nlmsg_seq = seq;
  e.msg.nlmsg_pid = pid;
  Bytes payload;
  Append(payload, &e, sizeof e);
  return Message(NLMSG_ERROR, 0, seq, pid, payload);
}

// Where each message of a recorded dump file starts, with its header.
struct MessageRef {
  size_t offset = 0;
  size_t size = 0;  // nlmsg_len rounded up to 4: the distance to the next message
  nlmsghdr header{};
};

inline std::vector<MessageRef> Messages(const Bytes& bytes) {
  std::vector<MessageRef> out;
  size_t offset = 0;
  while (offset + sizeof(nlmsghdr) <= bytes.size()) {
    MessageRef m;
    m.offset = offset;
    std::memcpy(&m.header, bytes.data() + offset, sizeof m.header);
    m.size = Align4(m.header.nlmsg_len);
    if (m.size < sizeof(nlmsghdr)) break;
    out.push_back(m);
    offset += m.size;
  }
  return out;
}

inline nlmsghdr ReadHeader(const Bytes& bytes, size_t offset) {
  nlmsghdr h{};
  std::memcpy(&h, bytes.data() + offset, sizeof h);
  return h;
}

inline void WriteHeader(Bytes& bytes, size_t offset, const nlmsghdr& h) {
  std::memcpy(bytes.data() + offset, &h, sizeof h);
}

// The recorded dumps of a file, each from its first message through its NLMSG_DONE.
inline std::vector<Bytes> SplitDumps(const Bytes& bytes) {
  std::vector<Bytes> dumps(1);
  for (const MessageRef& m : Messages(bytes)) {
    dumps.back().insert(dumps.back().end(), bytes.begin() + static_cast<long>(m.offset),
                        bytes.begin() + static_cast<long>(m.offset + m.size));
    if (m.header.nlmsg_type == NLMSG_DONE) dumps.emplace_back();
  }
  if (dumps.back().empty()) dumps.pop_back();
  return dumps;
}

}  // namespace tcpdoctor::test_util
