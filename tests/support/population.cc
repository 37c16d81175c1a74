#include "support/population.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "support/netns_sandbox.h"
#include "support/proc_net_tcp_table.h"

namespace tcpdoctor::itest {
namespace {

// Small buffers: a peer that never reads closes its window after a few KiB, which is what
// keeps a FIN queued behind data (FIN_WAIT1, LAST_ACK, CLOSING), and filling it is quick.
constexpr int kSmallBuffer = 4096;
constexpr int kDeferAcceptSeconds = 60;  // SYN_RECV lasts about this long
constexpr int kIoTimeoutMs = 2000;

std::string Errno() { return std::strerror(errno); }

void WriteSysctl(const std::string& name, const std::string& value, bool optional) {
  const std::string path = "/proc/sys/net/ipv4/" + name;
  std::ofstream out(path);
  if (!out && optional) return;  // older kernels lack tcp_syn_linear_timeouts
  out << value << "\n";
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write " << value << " to " << path;
}

void SetSmallBuffers(int fd, bool send, bool receive) {
  if (send) ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSmallBuffer, sizeof kSmallBuffer);
  if (receive) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSmallBuffer, sizeof kSmallBuffer);
}

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r = 0;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

// Reads until the peer's FIN (read returns 0), so that this side is in CLOSE_WAIT.
void ExpectEof(int fd) {
  ASSERT_TRUE(WaitFor(fd, POLLIN, kIoTimeoutMs)) << "no FIN from the peer";
  char buf[64];
  ASSERT_EQ(::recv(fd, buf, sizeof buf, 0), 0) << "expected end of stream";
}

// Writes until data waits behind a closed window: the peer advertises a zero window and
// bytes remain unsent. A FIN queued after them cannot leave while the peer does not read.
// (Judged from tcp_info, not from timing, so that a loaded machine cannot fool it.)
void FillUntilStuck(int fd) {
  ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  static const std::vector<char> kChunk(16384, 'x');
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  tcp_info info{};
  while (std::chrono::steady_clock::now() < deadline) {
    while (::send(fd, kChunk.data(), kChunk.size(), MSG_NOSIGNAL) > 0) {
    }
    ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << "send: " << Errno();
    socklen_t len = sizeof info;
    ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0) << Errno();
    if (info.tcpi_snd_wnd == 0 && info.tcpi_notsent_bytes > 0) return;
    WaitFor(fd, POLLOUT, 10);
  }
  FAIL() << "the peer's window did not close within 5 s (window " << info.tcpi_snd_wnd
         << ", unsent " << info.tcpi_notsent_bytes << " bytes)";
}

void Shutdown(int fd) { ASSERT_EQ(::shutdown(fd, SHUT_WR), 0) << "shutdown: " << Errno(); }

}  // namespace

Population::Population() {
  if (!InNetnsSandbox()) {
    ADD_FAILURE() << "Population must be built inside RunInNetns(): it binds loopback ports and "
                     "changes namespace sysctls";
    return;  // never touch the host's network settings
  }
  in_sandbox_ = true;
  WriteSysctl("tcp_tw_reuse", "0", false);
  WriteSysctl("tcp_syn_linear_timeouts", "0", true);
  WriteSysctl("tcp_syn_retries", "10", false);
}

void Population::Build(const PopulationPlan& plan) {
  ASSERT_TRUE(in_sandbox_) << "not in a netns sandbox";
  plan_ = plan;
  for (const ListenerSpec& spec : plan.listeners) {
    ASSERT_NO_FATAL_FAILURE(AddListener(spec)) << spec.address << " port " << spec.port;
  }
  for (const BatchSpec& batch : plan.batches) {
    ASSERT_LT(batch.listener, listeners_.size());
    Listener& listener = listeners_[batch.listener];
    const auto client = Endpoint::Parse(batch.client_address);
    ASSERT_TRUE(client.has_value()) << batch.client_address;
    for (int i = 0; i < batch.count; ++i) {
      ASSERT_NO_FATAL_FAILURE(AddConnection(batch.outcome, listener, *client))
          << OutcomeName(batch.outcome) << " to " << listener.endpoint.WithPort() << " from "
          << batch.client_address;
    }
  }
}

void Population::AddListener(const ListenerSpec& spec) {
  Listener l;
  l.spec = spec;
  const auto endpoint = Endpoint::Parse(spec.address, spec.port);
  ASSERT_TRUE(endpoint.has_value()) << "bad listener address " << spec.address;
  UniqueFd fd(::socket(endpoint->family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd) << "socket: " << Errno();
  SetSmallBuffers(fd.get(), false, true);  // accepted sockets inherit it
  if (spec.kind == ListenerKind::kDeferAccept) {
    ASSERT_EQ(::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &kDeferAcceptSeconds,
                           sizeof kDeferAcceptSeconds),
              0)
        << "TCP_DEFER_ACCEPT: " << Errno();
  }
  sockaddr_storage sa{};
  const socklen_t len = endpoint->ToSockaddr(sa);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len), 0) << "bind: " << Errno();
  // Backlog 0 holds exactly one connection (the queue is full at backlog + 1).
  const int backlog = spec.kind == ListenerKind::kFull ? 0 : 64;
  ASSERT_EQ(::listen(fd.get(), backlog), 0) << "listen: " << Errno();
  l.endpoint = LocalOf(fd.get());
  l.fd = std::move(fd);
  expected_.push_back({State::kListen, l.endpoint, Endpoint::Any(l.endpoint.family)});
  listeners_.push_back(std::move(l));
}

void Population::Connect(Listener& listener, const Endpoint& client_address, bool accept, bool wait,
                         Connection& c) {
  // An IPv6 listener on ::ffff:a.b.c.d is reached over IPv4 at a.b.c.d.
  Endpoint target = listener.endpoint;
  if (target.IsV4Mapped()) {
    target.family = AF_INET;
    std::memmove(target.addr.data(), target.addr.data() + 12, 4);
    std::fill(target.addr.begin() + 4, target.addr.end(), 0);
  }
  ASSERT_EQ(client_address.family, target.family)
      << client_address.Address() << " cannot reach " << target.WithPort();
  UniqueFd fd(::socket(target.family, SOCK_STREAM | SOCK_CLOEXEC | (wait ? 0 : SOCK_NONBLOCK), 0));
  ASSERT_TRUE(fd) << "socket: " << Errno();
  SetSmallBuffers(fd.get(), true, true);
  // Bind the address only; connect() picks the port (not limited to one per address then).
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_storage sa{};
  socklen_t len = client_address.ToSockaddr(sa);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len), 0)
      << "bind " << client_address.Address() << ": " << Errno();
  len = target.ToSockaddr(sa);
  const int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), len);
  if (wait) {
    ASSERT_EQ(rc, 0) << "connect to " << target.WithPort() << ": " << Errno();
  } else {
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << "connect: " << Errno();
  }
  c.client_side.local = LocalOf(fd.get());
  c.client_side.remote = target;
  c.client = std::move(fd);
  // The server's view, as the kernel reports it before (or without) accept().
  c.server_side.local = listener.endpoint;
  c.server_side.remote =
      listener.endpoint.IsV4Mapped() ? c.client_side.local.ToV4Mapped() : c.client_side.local;
  if (!accept) return;
  ASSERT_TRUE(WaitFor(listener.fd.get(), POLLIN, kIoTimeoutMs)) << "nothing to accept";
  UniqueFd server(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(server) << "accept: " << Errno();
  SetSmallBuffers(server.get(), true, false);
  c.server_side.local = LocalOf(server.get());
  c.server_side.remote = PeerOf(server.get());
  ASSERT_EQ(c.server_side.remote, c.client_side.local.family == c.server_side.local.family
                                      ? c.client_side.local
                                      : c.client_side.local.ToV4Mapped())
      << "accepted someone else's connection";
  c.server = std::move(server);
}

void Population::Expect(State state, const SocketTuple& side) {
  expected_.push_back({state, side.local, side.remote});
}

void Population::FillFullListener(Listener& listener, const Endpoint& client_address) {
  Connection c;
  ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, /*accept=*/false, /*wait=*/true, c));
  // The child must be in the accept queue before the next SYN, or that SYN gets the slot.
  ASSERT_TRUE(WaitFor(listener.fd.get(), POLLIN, kIoTimeoutMs)) << "accept queue still empty";
  Expect(State::kEstablished, c.client_side);
  Expect(State::kEstablished, c.server_side);
  Keep(std::move(c.client));
  listener.filled = true;
}

void Population::AddConnection(Outcome outcome, Listener& listener,
                               const Endpoint& client_address) {
  const ListenerKind need = outcome == Outcome::kSynRecv   ? ListenerKind::kDeferAccept
                            : outcome == Outcome::kSynSent ? ListenerKind::kFull
                                                           : ListenerKind::kPlain;
  ASSERT_EQ(listener.spec.kind, need) << "listener kind does not suit the outcome";
  Connection c;
  switch (outcome) {
    case Outcome::kEstablished:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      Expect(State::kEstablished, c.client_side);
      Expect(State::kEstablished, c.server_side);
      break;
    case Outcome::kClientHalfClose:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.client.get()));
      ASSERT_NO_FATAL_FAILURE(ExpectEof(c.server.get()));
      Expect(State::kFinWait2, c.client_side);  // not orphaned: no timeout
      Expect(State::kCloseWait, c.server_side);
      break;
    case Outcome::kServerHalfClose:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.server.get()));
      ASSERT_NO_FATAL_FAILURE(ExpectEof(c.client.get()));
      Expect(State::kCloseWait, c.client_side);
      Expect(State::kFinWait2, c.server_side);
      break;
    case Outcome::kClientTimeWait:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      c.client.Reset();
      ASSERT_NO_FATAL_FAILURE(ExpectEof(c.server.get()));
      c.server.Reset();
      Expect(State::kTimeWait, c.client_side);
      return;
    case Outcome::kServerTimeWait:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      c.server.Reset();
      ASSERT_NO_FATAL_FAILURE(ExpectEof(c.client.get()));
      c.client.Reset();
      Expect(State::kTimeWait, c.server_side);
      return;
    case Outcome::kSynRecv:
      // The client's handshake completes; the server drops its bare ACK and keeps a request.
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, false, true, c));
      Expect(State::kEstablished, c.client_side);
      Expect(State::kSynRecv, c.server_side);
      break;
    case Outcome::kSynSent:
      if (!listener.filled) {
        ASSERT_NO_FATAL_FAILURE(FillFullListener(listener, client_address));
      }
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, false, false, c));
      Expect(State::kSynSent, c.client_side);
      break;
    case Outcome::kFinWait1:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      ASSERT_NO_FATAL_FAILURE(FillUntilStuck(c.client.get()));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.client.get()));
      Expect(State::kFinWait1, c.client_side);
      Expect(State::kEstablished, c.server_side);
      break;
    case Outcome::kLastAck:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.client.get()));
      ASSERT_NO_FATAL_FAILURE(ExpectEof(c.server.get()));
      ASSERT_NO_FATAL_FAILURE(FillUntilStuck(c.server.get()));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.server.get()));
      Expect(State::kFinWait2, c.client_side);
      Expect(State::kLastAck, c.server_side);
      break;
    case Outcome::kClosing:
      ASSERT_NO_FATAL_FAILURE(Connect(listener, client_address, true, true, c));
      ASSERT_NO_FATAL_FAILURE(FillUntilStuck(c.client.get()));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.client.get()));
      ASSERT_NO_FATAL_FAILURE(Shutdown(c.server.get()));
      Expect(State::kClosing, c.client_side);
      Expect(State::kFinWait2, c.server_side);
      break;
  }
  Keep(std::move(c.client));
  if (c.server) Keep(std::move(c.server));
}

void Population::Settle(std::chrono::milliseconds timeout) {
  std::vector<SocketTuple> want = expected_;
  std::sort(want.begin(), want.end());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<SocketTuple> have;
  std::string error;
  for (;;) {
    have = ReadProcNetTcp(error);
    ASSERT_TRUE(error.empty()) << error;
    std::sort(have.begin(), have.end());
    if (have == want) return;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<SocketTuple> missing;
  std::vector<SocketTuple> extra;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                      std::back_inserter(missing));
  std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                      std::back_inserter(extra));
  std::string diff;
  for (const SocketTuple& t : missing) diff += "\n  missing:    " + t.ToString();
  for (const SocketTuple& t : extra) diff += "\n  unexpected: " + t.ToString();
  FAIL() << "the kernel's table did not settle to the planned population within " << timeout.count()
         << " ms" << diff << "\nplan: " << plan_.ToString();
}

}  // namespace tcpdoctor::itest
