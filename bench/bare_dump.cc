// tcpdoctor_bare_dump: the benchmark's floor. One single-threaded NETLINK_SOCK_DIAG dump of all
// TCP sockets (AF_INET, then AF_INET6; all states; idiag_ext = 0) that only counts states.
//
// Output: one "STATE count" line per non-empty state (kernel order), then "TOTAL n". Names match
// `tcpdoctor states`. Exit status 1 on any netlink error or an interrupted dump.

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

constexpr std::array<const char*, 13> kStateNames = {
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
    "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};

// 1 << TCP_ESTABLISHED ... 1 << TCP_CLOSING; the kernel adds NEW_SYN_RECV with SYN_RECV.
constexpr uint32_t kAllStates = 0xffe;
constexpr size_t kRecvBuffer = size_t{64} * 1024;  // the kernel fills at most ~32 KiB per recv()

struct Counts {
  std::array<uint64_t, 256> by_state{};
  uint64_t messages = 0;
  uint64_t recvs = 0;
  bool interrupted = false;
};

bool Dump(mnl_socket* nl, uint8_t family, uint32_t seq, Counts* counts) {
  alignas(nlmsghdr) static char buf[kRecvBuffer];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = family;
  req->sdiag_protocol = IPPROTO_TCP;
  req->idiag_ext = 0;
  req->idiag_states = kAllStates;
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
    perror("bare_dump: sendto");
    return false;
  }
  const uint32_t portid = mnl_socket_get_portid(nl);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("bare_dump: recv");
      return false;
    }
    ++counts->recvs;
    int len = static_cast<int>(n);
    for (const nlmsghdr* h = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(h, len);
         h = mnl_nlmsg_next(h, &len)) {
      if (h->nlmsg_seq != seq || h->nlmsg_pid != portid) continue;
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) counts->interrupted = true;
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (e->error == 0) continue;
        fprintf(stderr, "bare_dump: netlink error: %s\n", strerror(-e->error));
        return false;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      const auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(h));
      ++counts->by_state[msg->idiag_state];
      ++counts->messages;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  if (argc > 1 && !verbose) {
    fprintf(stderr, "usage: tcpdoctor_bare_dump [-v]\n");
    return 2;
  }
  timespec t0{};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  mnl_socket* nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    perror("bare_dump: netlink socket");
    return 1;
  }
  Counts counts;
  const bool ok = Dump(nl, AF_INET, 1, &counts) && Dump(nl, AF_INET6, 2, &counts);
  mnl_socket_close(nl);
  if (!ok) return 1;
  uint64_t total = 0;
  for (size_t s = 0; s < counts.by_state.size(); ++s) {
    if (counts.by_state[s] == 0) continue;
    total += counts.by_state[s];
    if (s < kStateNames.size()) {
      printf("%-12s %llu\n", kStateNames[s], static_cast<unsigned long long>(counts.by_state[s]));
    } else {
      printf("STATE_%zu %llu\n", s, static_cast<unsigned long long>(counts.by_state[s]));
    }
  }
  printf("TOTAL        %llu\n", static_cast<unsigned long long>(total));
  if (verbose) {
    timespec t1{};
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double secs = static_cast<double>(t1.tv_sec - t0.tv_sec) +
                        static_cast<double>(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    fprintf(stderr, "bare_dump: %llu messages in %llu recv() calls, %.3f s\n",
            static_cast<unsigned long long>(counts.messages),
            static_cast<unsigned long long>(counts.recvs), secs);
  }
  if (counts.interrupted) {
    fprintf(stderr, "bare_dump: NLM_F_DUMP_INTR seen: the dump is not consistent\n");
    return 1;
  }
  return 0;
}
