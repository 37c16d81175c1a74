#include "collect/netlink_source.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <vector>

#include "collect/diag_parser.h"

namespace tcpdoctor {
namespace {

// The kernel fills at most 32 KiB per recv() of a dump (netlink caps its skb at that); a
// larger buffer only guarantees that no message is ever cut.
constexpr size_t kReceiveBufferSize = size_t{64} * 1024;

}  // namespace

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::Open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
  if (nl == nullptr) {
    Error e = Error::FromErrno(errno, "cannot open a NETLINK_SOCK_DIAG socket", "sock_diag");
    if (errno == EPROTONOSUPPORT || errno == EAFNOSUPPORT) e.code = ErrorCode::kUnsupported;
    return e;
  }
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    return Error::FromErrno(err, "cannot bind the netlink socket", "sock_diag");
  }
  return std::unique_ptr<NetlinkSource>(new NetlinkSource(nl));
}

NetlinkSource::NetlinkSource(mnl_socket* socket)
    : socket_(socket), next_seq_(static_cast<uint32_t>(::time(nullptr))) {}

NetlinkSource::~NetlinkSource() { mnl_socket_close(socket_); }

Result<DumpStats> NetlinkSource::Dump(const DumpQuery& query, const RecordSink& sink) {
  alignas(nlmsghdr) uint8_t request[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(request);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++next_seq_;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = query.family == Family::kIpv4 ? AF_INET : AF_INET6;
  req->sdiag_protocol = IPPROTO_TCP;
  req->idiag_ext = query.extensions;
  req->idiag_states = query.states;
  req->id.idiag_sport = htons(query.local_port);
  req->id.idiag_dport = htons(query.remote_port);

  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) {
    return Error::FromErrno(errno, "cannot send the dump request", "sock_diag");
  }

  DiagDumpState state;
  state.seq = nlh->nlmsg_seq;
  state.portid = mnl_socket_get_portid(socket_);
  std::vector<uint8_t> buffer(kReceiveBufferSize);
  while (!state.done) {
    const ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "cannot receive the socket dump", "sock_diag");
    }
    if (n == 0)
      return Error{ErrorCode::kProtocol, "dump ended without NLMSG_DONE", 0, "sock_diag", {}};
    const std::span<const uint8_t> received(buffer.data(), static_cast<size_t>(n));
    if (record_to_ != nullptr) std::fwrite(received.data(), 1, received.size(), record_to_);
    if (auto parsed = ParseDiagBuffer(received, state, sink); !parsed) return parsed.TakeError();
  }
  return state.stats;
}

}  // namespace tcpdoctor
