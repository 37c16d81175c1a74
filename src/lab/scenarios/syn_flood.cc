#include "lab/scenarios/syn_flood.h"

#include <algorithm>
#include <map>

#include "analyze/rules/evidence_text.h"
#include "lab/client_burst.h"
#include "lab/counter_notes.h"
#include "lab/lab_run.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kCookiePort = 8080;  // phase 1, tcp_syncookies = 1
constexpr uint16_t kDropPort = 8081;    // phase 2, tcp_syncookies = 0
constexpr int kBacklog = 8;             // the SYN queue holds 9
// Longer than any run: a request socket whose final ACK was dropped stays for the whole run.
constexpr int kDeferSeconds = 30;
// Phase 1 follows its clients until all have connected, at most this long after the last one
// started (a SYN dropped at a full accept queue is sent again after 1 s).
constexpr auto kConnectWait = std::chrono::seconds(4);
// Phase 2 follows its clients this long after the last one started: past the first SYN
// retransmit at 1 s.
constexpr auto kDropWait = std::chrono::milliseconds(1500);

constexpr CounterNote kCounters[] = {
    {"req_q_full_do_cookies", "TcpExt.TCPReqQFullDoCookies", ""},
    {"syncookies_sent", "TcpExt.SyncookiesSent", ""},
    {"syncookies_recv", "TcpExt.SyncookiesRecv", ""},
    {"req_q_full_drop", "TcpExt.TCPReqQFullDrop", ""},
    {"listen_drops", "TcpExt.ListenDrops", ""},
    {"listen_overflows", "TcpExt.ListenOverflows", ""},
    {"defer_accept_drops", "TcpExt.TCPDeferAcceptDrop",
     "bare final ACKs dropped by TCP_DEFER_ACCEPT (the request socket stays)"},
    {"tcp_syn_retrans", "TcpExt.TCPSynRetrans",
     "SYNs sent again by clients, and SYN-ACKs by the listeners"},
};

// One burst of clients against one listener, and what the kernel did.
struct Phase {
  ClientBurst burst;  // kept open: a closed client would end its request socket with a FIN
  uint64_t connected = 0;
  uint64_t syn_sent = 0;                                // the clients still waiting for a SYN-ACK
  SocketGroup syn_recv;                                 // the listener's request sockets
  uint64_t server_connections = 0;                      // ESTABLISHED on the server's side
  uint64_t accepted = 0;                                // as the server counted them
  uint32_t holds = 0;                                   // the SYN queue: backlog + 1
  std::map<std::string, uint64_t, std::less<>> deltas;  // by kCounters key
};

Result<Phase> RunPhase(LabRun& run, RequestServer& server, uint16_t port, LabClock::duration wait,
                       const std::string& prefix) {
  const int64_t n = run.params().Count(kConnections);
  auto before = run.Counters();
  if (!before) return before.TakeError();
  Phase p;
  p.burst = ClientBurst::Start({SocketAddress::Loopback(port), n, false, run.params().Get(kRate)});
  if (Status followed = p.burst.Follow(p.burst.last_start() + wait); !followed) {
    return followed.TakeError();
  }
  const std::vector<BurstResult> results = p.burst.Results();
  p.connected = static_cast<uint64_t>(std::count_if(
      results.begin(), results.end(), [](const BurstResult& r) { return r.connected; }));
  // The server's side settles a moment later: request sockets, or connections accepted.
  const uint64_t connected = p.connected;
  auto census = run.CensusWhen(
      [port, connected](const SocketCensus& c) {
        return c.InState(TcpState::kSynRecv, LocalPortIs(port)).count +
                   c.InState(TcpState::kEstablished, LocalPortIs(port)).count >=
               connected;
      },
      std::chrono::seconds(1));
  if (!census) return census.TakeError();
  auto after = run.Counters();
  if (!after) return after.TakeError();
  p.syn_sent = census->InState(TcpState::kSynSent, RemotePortIs(port)).count;
  p.syn_recv = census->InState(TcpState::kSynRecv, LocalPortIs(port));
  p.server_connections = census->InState(TcpState::kEstablished, LocalPortIs(port)).count;
  // The server counts an accept() a moment after the kernel queued the connection.
  const auto report_until = LabClock::now() + std::chrono::seconds(1);
  for (;;) {
    auto stats = server.ReportOn(port);
    if (!stats) return stats.TakeError();
    p.accepted = stats->accepted;
    if (p.accepted >= p.server_connections || LabClock::now() >= report_until) break;
    if (Status waited = run.WaitUntil(LabClock::now() + std::chrono::milliseconds(10)); !waited) {
      return waited.TakeError();
    }
  }
  for (const SocketRecord& r : census->sockets()) {
    if (r.state == TcpState::kListen && r.local_port == port) p.holds = r.send_queue + 1;
  }

  run.Observe(
      prefix + "_connected", p.connected,
      "connect() succeeded for " + std::to_string(p.connected) + " of " + std::to_string(n) +
          " clients; SYNs sent again per client (tcp_info): " + SynRetransmitsText(results));
  run.Observe(prefix + "_syn_sent", p.syn_sent,
              "clients still in SYN_SENT, waiting for a SYN-ACK: " + std::to_string(p.syn_sent));
  run.Observe(prefix + "_syn_recv", p.syn_recv.count,
              "request sockets (SYN_RECV) of " + LoopbackText(port) + ": " +
                  std::to_string(p.syn_recv.count) + " of the " + std::to_string(p.holds) +
                  " its SYN queue holds (backlog+1), SYN-ACK timer " + p.syn_recv.TimerText());
  run.Observe(prefix + "_server_connections", p.server_connections,
              "connections the server has (ESTABLISHED on " + LoopbackText(port) +
                  "): " + std::to_string(p.server_connections) + ", accepted " +
                  std::to_string(p.accepted));
  p.deltas = ObserveIncreases(run, after->Delta(*before), kCounters, prefix + "_");
  return p;
}

void ConcludeCookies(LabRun& run, const Phase& p, uint64_t n) {
  const uint64_t beyond = n > p.holds ? n - p.holds : 0;
  if (p.syn_recv.count == p.holds && p.connected == n && p.deltas.at("syncookies_sent") >= beyond &&
      p.deltas.at("defer_accept_drops") >= p.holds) {
    run.Conclude("With tcp_syncookies = 1: the first " + std::to_string(p.holds) +
                 " handshakes filled the SYN queue of " + LoopbackText(kCookiePort) +
                 " (backlog+1) and stayed there, their final ACKs dropped (TCPDeferAcceptDrop +" +
                 std::to_string(p.deltas.at("defer_accept_drops")) +
                 ") as a flood's never arrive. Each later SYN was answered with a cookie "
                 "(TCPReqQFullDoCookies +" +
                 std::to_string(p.deltas.at("req_q_full_do_cookies")) + ", SyncookiesSent +" +
                 std::to_string(p.deltas.at("syncookies_sent")) +
                 "): the server keeps no state for it, "
                 "and the client's ACK carrying the cookie made the connection (SyncookiesRecv +" +
                 std::to_string(p.deltas.at("syncookies_recv")) + "). All " + std::to_string(n) +
                 " clients connected.");
  } else {
    run.Surprise("syncookies on: expected " + std::to_string(p.holds) + " request sockets, " +
                 std::to_string(n) + " clients connected and at least " + std::to_string(beyond) +
                 " cookies sent; saw " + std::to_string(p.syn_recv.count) + ", " +
                 std::to_string(p.connected) + " and " +
                 std::to_string(p.deltas.at("syncookies_sent")));
  }
  if (p.server_connections < beyond) {
    // A cookie's ACK that finds the accept queue full is dropped, and a client that sends
    // nothing never retransmits it.
    run.Conclude("Only " + std::to_string(p.server_connections) + " of the " +
                 std::to_string(beyond) +
                 " clients that got a cookie are known to the server: the others' ACKs found its "
                 "accept queue full before it accepted (ListenOverflows +" +
                 std::to_string(p.deltas.at("listen_overflows")) +
                 "). They believe they are connected to a server that has never heard of them.");
  }
}

void ConcludeDrops(LabRun& run, const Phase& p, uint64_t n, const std::string& max_syn_backlog) {
  const uint64_t beyond = n > p.holds ? n - p.holds : 0;
  if (p.syn_recv.count == p.holds && p.syn_sent == beyond &&
      p.deltas.at("req_q_full_drop") >= beyond && p.deltas.at("syncookies_sent") == 0) {
    run.Conclude("With tcp_syncookies = 0: the SYN queue of " + LoopbackText(kDropPort) +
                 " filled the same way, and every later SYN was dropped (TCPReqQFullDrop +" +
                 std::to_string(p.deltas.at("req_q_full_drop")) + ", ListenDrops +" +
                 std::to_string(p.deltas.at("listen_drops")) + ", retransmitted SYNs included). " +
                 std::to_string(p.syn_sent) +
                 " clients are still in SYN_SENT: to them the server looks down, and they will "
                 "try again after 3 s, 7 s, 15 s... until their connect() times out.");
  } else {
    run.Surprise("syncookies off: expected " + std::to_string(p.holds) + " request sockets, " +
                 std::to_string(beyond) +
                 " clients in SYN_SENT, as many SYNs dropped and no cookie; saw " +
                 std::to_string(p.syn_recv.count) + ", " + std::to_string(p.syn_sent) + ", " +
                 std::to_string(p.deltas.at("req_q_full_drop")) + " and " +
                 std::to_string(p.deltas.at("syncookies_sent")));
  }
  run.Conclude(
      "A client whose request socket sits in SYN_RECV believes it is connected: its connect() "
      "returned, while the server has no connection to accept(). Each SYN queue held " +
      std::to_string(p.holds) + " although tcp_max_syn_backlog is " + max_syn_backlog +
      ": the listen backlog sizes it, and raising tcp_max_syn_backlog would not help.");
}

Status Run(LabRun& run) {
  const auto n = static_cast<uint64_t>(run.params().Count(kConnections));
  for (const auto& [key, why] : std::vector<std::pair<std::string, std::string>>{
           {"net.ipv4.tcp_syncookies",
            "1 for the first listener; then set to 0 for the second (see the steps)"},
           {"net.ipv4.tcp_max_syn_backlog",
            "only used with syncookies off, to refuse new peers past 3/4 of it; far above the "
            "queues here"}}) {
    if (Status noted = run.NoteSysctl(key, why); !noted) return noted;
  }
  ServerPort cookie_port{kCookiePort, ServerClose::kAfterPeer, kBacklog};
  cookie_port.defer_accept_seconds = kDeferSeconds;
  ServerPort drop_port = cookie_port;
  drop_port.port = kDropPort;
  auto server = RequestServer::Start(run, "lab-server", {cookie_port, drop_port});
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on " + LoopbackText(kCookiePort) +
           " and " + LoopbackText(kDropPort) + " with listen(" + std::to_string(kBacklog) +
           ") and TCP_DEFER_ACCEPT (" + std::to_string(kDeferSeconds) +
           " s): the kernel drops a bare final ACK and keeps the handshake in the SYN queue "
           "until data arrives. The clients send none, so their handshakes never complete, like "
           "a flood's; nothing leaves loopback or needs a firewall rule");

  const std::string pace = " at " + RateText(run.params().Get(kRate)) + " and sent nothing";
  run.Step("tcp_syncookies = 1 (the default): " + std::to_string(n) +
           " clients (this process) connected to " + LoopbackText(kCookiePort) + pace);
  auto cookies = RunPhase(run, *server, kCookiePort, kConnectWait, "cookies");
  if (!cookies) return cookies.TakeError();

  if (Status set = run.SetSysctl("net.ipv4.tcp_syncookies", "0",
                                 "set to 0 for the second listener: SYNs beyond a full SYN "
                                 "queue are dropped instead of answered with cookies");
      !set) {
    return set;
  }
  run.Step(
      "tcp_syncookies = 0: " + std::to_string(n) + " more clients connected to " +
      LoopbackText(kDropPort) + pace + "; the lab followed them " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(kDropWait).count()) +
      " ms past the last one's connect(), past the first SYN retransmit");
  auto drops = RunPhase(run, *server, kDropPort, kDropWait, "drops");
  if (!drops) return drops.TakeError();
  if (Status checkup = run.Checkup(); !checkup) return checkup;

  ConcludeCookies(run, *cookies, n);
  auto max_syn_backlog = run.ns().ReadSysctl("net.ipv4.tcp_max_syn_backlog");
  if (!max_syn_backlog) return max_syn_backlog.TakeError();
  ConcludeDrops(run, *drops, n, *max_syn_backlog);
  for (const uint16_t port : {kCookiePort, kDropPort}) {
    const Phase& p = port == kCookiePort ? *cookies : *drops;
    if (p.syn_recv.count >= p.holds && p.holds > 0) {
      run.Expect("syn-queue-pressure", LoopbackText(port),
                 "its SYN queue is full of handshakes that do not complete");
    }
  }
  run.Conclude(
      "The checkup reports each full SYN queue; the counters are per namespace, not per "
      "listener, so it shows them all with the first listener it names, whichever dropped.");
  run.Expect("sysctl-audit", "net.ipv4.tcp_syncookies",
             "syncookies are off while listeners are there");
  return Ok{};
}

}  // namespace

Scenario SynFloodScenario() {
  return {{"syn-flood",
           "Handshakes that never complete fill a listener's SYN queue: syncookies keep "
           "clients connecting; without them SYNs are dropped",
           {{std::string(kConnections), 40, 10, 400, true,
             "clients that connect and send nothing, in each of the two phases"},
            {std::string(kRate), 400, 10, 10000, false, "connect()s a second"}}},
          2,
          Run};
}

}  // namespace tcpdoctor
