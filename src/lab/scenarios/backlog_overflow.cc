#include "lab/scenarios/backlog_overflow.h"

#include <algorithm>
#include <map>
#include <utility>

#include "analyze/rules/evidence_text.h"
#include "lab/client_burst.h"
#include "lab/counter_notes.h"
#include "lab/lab_run.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kPort = 8080;
constexpr int kBacklog = 8;  // listen(8): the accept queue holds 9
// The clients wait this long for their answer: past the SYN retransmits at 1, 3 and 7 s.
constexpr auto kGiveUp = std::chrono::seconds(10);
// How often the lab looks at the listener (a dump of LISTEN sockets only, which walks the
// listening table alone), and at the whole namespace (for the clients in SYN_SENT).
constexpr auto kLook = std::chrono::milliseconds(5);
constexpr auto kCensusEvery = std::chrono::milliseconds(100);
constexpr auto kReportWait = std::chrono::seconds(2);

constexpr CounterNote kCounters[] = {
    {"listen_overflows", "TcpExt.ListenOverflows", ""},
    {"listen_drops", "TcpExt.ListenDrops", ""},
    {"tcp_syn_retrans", "TcpExt.TCPSynRetrans",
     "SYNs sent again by the clients, and SYN-ACKs by the listener"},
    {"req_q_full_do_cookies", "TcpExt.TCPReqQFullDoCookies", ""},
    {"syncookies_sent", "TcpExt.SyncookiesSent", ""},
    {"syncookies_recv", "TcpExt.SyncookiesRecv", ""},
};

// What the lab saw of the listener while the clients waited, and what the clients saw.
struct Watch {
  bool listener_seen = false;
  uint32_t backlog = 0;  // sock_diag wqueue of the listener
  uint32_t peak_queue = 0;
  uint64_t looks = 0;
  uint64_t full_looks = 0;
  uint64_t peak_syn_sent = 0;  // clients waiting for a SYN-ACK at one look
  uint64_t peak_syn_recv = 0;  // request sockets of the listener at one look
  std::vector<BurstResult> results;
};

void LookAtListener(const SocketCensus& listeners, Watch& w) {
  ++w.looks;
  for (const SocketRecord& r : listeners.sockets()) {
    w.listener_seen = true;
    w.backlog = r.send_queue;
    w.peak_queue = std::max(w.peak_queue, r.recv_queue);
    if (r.recv_queue > r.send_queue) ++w.full_looks;
  }
}

void LookAtAll(const SocketCensus& census, Watch& w) {
  w.peak_syn_sent =
      std::max(w.peak_syn_sent, census.InState(TcpState::kSynSent, RemotePortIs(kPort)).count);
  w.peak_syn_recv =
      std::max(w.peak_syn_recv, census.InState(TcpState::kSynRecv, LocalPortIs(kPort)).count);
}

// Looks at the listener until the clients report; takes the checkup the first time its queue
// is full.
Result<Watch> WatchClients(LabRun& run, LabProcess& clients) {
  Watch w;
  SocketFilter listener;
  listener.states = StateBit(TcpState::kListen);
  listener.local_port = kPort;
  const auto until = LabClock::now() + kGiveUp + kReportWait;
  auto next_census = LabClock::now();
  for (;;) {
    if (Status go_on = run.Continue(); !go_on) return go_on.TakeError();
    auto listeners = run.Census(listener);
    if (!listeners) return listeners.TakeError();
    const uint64_t full_before = w.full_looks;
    LookAtListener(*listeners, w);
    if (LabClock::now() >= next_census) {
      auto census = run.Census();
      if (!census) return census.TakeError();
      LookAtAll(*census, w);
      next_census = LabClock::now() + kCensusEvery;
    }
    if (!run.checkup_taken() && w.full_looks > full_before) {
      if (Status checkup = run.Checkup(); !checkup) return checkup.TakeError();
    }
    auto line = clients.NextLine(kLook);
    if (!line) return line.TakeError();
    if (line->has_value()) {
      // The clients are done: the rest of their report follows at once.
      std::string next = std::move(**line);
      while (next != "end") {
        if (auto r = BurstResult::FromLine(next)) w.results.push_back(*r);
        auto more = clients.ReadLine(kReportWait);
        if (!more) return more.TakeError();
        next = std::move(*more);
      }
      return w;
    }
    if (LabClock::now() > until) {
      return Error{ErrorCode::kIo, "the clients did not report in time", 0, clients.Label(), {}};
    }
  }
}

std::vector<double> Latencies(const std::vector<BurstResult>& results, bool answers) {
  std::vector<double> ms;
  for (const BurstResult& r : results) {
    if (answers ? r.answered : r.connected) ms.push_back(answers ? r.answer_ms : r.connect_ms);
  }
  return ms;
}

void ObserveLatency(LabRun& run, const std::string& prefix, const std::string& what,
                    const LatencySummary& s) {
  run.Observe(prefix + "_ms_median", s.median_ms, what + ": " + s.Text());
  run.Observe(prefix + "_ms_max", s.max_ms, "the slowest: " + SecondsText(s.max_ms));
}

Status Run(LabRun& run) {
  const int64_t n = run.params().Count(kConnections);
  const double rate = run.params().Get(kRate);
  for (const auto& [key, why] : std::vector<std::pair<std::string, std::string>>{
           {"net.core.somaxconn",
            "caps listen()'s backlog; 8 is below it, so the small queue is the server's own "
            "choice"},
           {"net.ipv4.tcp_syncookies",
            "1: a SYN that finds the SYN queue full is answered with a cookie"},
           {"net.ipv4.tcp_abort_on_overflow",
            "0: a final ACK that finds the accept queue full is dropped, not answered with an "
            "RST, so the client believes it is connected"}}) {
    if (Status noted = run.NoteSysctl(key, why); !noted) return noted;
  }
  auto before = run.Counters();
  if (!before) return before.TakeError();
  ServerPort port{kPort, ServerClose::kAfterPeer, kBacklog};
  port.accepts_per_second = rate;
  auto server = RequestServer::Start(run, "lab-server", {port});
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on " + LoopbackText(kPort) +
           " with listen(" + std::to_string(kBacklog) + "): it accepts at most " + RateText(rate) +
           ", answers each request and closes after the client");

  const BurstPlan plan{SocketAddress::Loopback(kPort), n, true};
  auto clients = run.StartHelper(
      {"lab-clients", static_cast<uint64_t>(n) + 64, {}}, [plan](HelperChannel& channel) {
        ClientBurst burst = ClientBurst::Start(plan);
        (void)burst.Follow(LabClock::now() + kGiveUp);  // Ctrl-C is the lab's: it kills us
        for (const BurstResult& r : burst.Results()) {
          if (!channel.Send(r.ToLine())) return 1;
        }
        return channel.Send("end") ? 0 : 1;
      });
  if (!clients) return clients.TakeError();
  run.Step("Started " + (*clients)->Label() + ": " + std::to_string(n) +
           " clients connect at the same moment, each sends one request, reads the answer and "
           "closes; each gives up after " +
           std::to_string(kGiveUp.count()) + " s");
  run.Step("Looked at the listener every " + std::to_string(kLook.count()) +
           " ms (a sock_diag dump of LISTEN sockets), and at the whole namespace every " +
           std::to_string(kCensusEvery.count()) +
           " ms, while the clients waited; took the checkup the first time the queue was full");
  auto watch = WatchClients(run, **clients);
  if (!watch) return watch.TakeError();
  const uint32_t holds = watch->backlog + 1;
  run.Observe("backlog", watch->backlog,
              "its backlog (sock_diag wqueue): " + std::to_string(watch->backlog) +
                  ", so the accept queue holds " + std::to_string(holds));
  run.Observe("accept_queue_peak", watch->peak_queue,
              "the accept queue (rqueue) at its longest: " + std::to_string(watch->peak_queue));
  run.Observe("looks_full", watch->full_looks,
              "full at " + std::to_string(watch->full_looks) + " of " +
                  std::to_string(watch->looks) + " looks");
  run.Observe("clients_waiting_peak", watch->peak_syn_sent,
              "clients in SYN_SENT (waiting for a SYN-ACK) at once, at most: " +
                  std::to_string(watch->peak_syn_sent));
  run.Observe("syn_recv_peak", watch->peak_syn_recv,
              "request sockets (SYN_RECV) of the listener at once, at most: " +
                  std::to_string(watch->peak_syn_recv));

  const std::vector<BurstResult>& results = watch->results;
  const auto count = [&results](auto pred) {
    return static_cast<int64_t>(std::count_if(results.begin(), results.end(), pred));
  };
  const int64_t connected = count([](const BurstResult& r) { return r.connected; });
  const int64_t answered = count([](const BurstResult& r) { return r.answered; });
  const int64_t retransmitted = count([](const BurstResult& r) { return r.syn_retransmits > 0; });
  std::map<std::string, uint64_t> errors;
  for (const BurstResult& r : results) {
    if (!r.error.empty()) ++errors[r.error];
  }
  const LatencySummary connect = LatencySummary::Of(Latencies(results, false));
  const LatencySummary answer = LatencySummary::Of(Latencies(results, true));
  run.Step("What the clients saw (their connect(), their answer, tcp_info)");
  run.Observe("clients_connected", connected,
              "connect() succeeded: " + std::to_string(connected) + " of " + std::to_string(n) +
                  "; errors: " + CountsText(errors));
  run.Observe(
      "clients_answered", answered,
      "answered within " + std::to_string(kGiveUp.count()) + " s: " + std::to_string(answered));
  ObserveLatency(run, "connect", "connect() took", connect);
  ObserveLatency(run, "answer", "the answer came after", answer);
  run.Observe("clients_syn_retransmitted", retransmitted,
              "clients that sent their SYN more than once (tcp_info total_retrans at the end of "
              "the handshake): " +
                  std::to_string(retransmitted) + "; " + SynRetransmitsText(results));

  auto after = run.Counters();
  if (!after) return after.TakeError();
  run.Step("The namespace's counters over the run (/proc/net/netstat)");
  const auto increases = ObserveIncreases(run, after->Delta(*before), kCounters);
  const uint64_t overflows = increases.at("listen_overflows");
  const uint64_t cookies = increases.at("req_q_full_do_cookies");

  const std::string no_error =
      errors.empty() ? " No client got an error: a drop is silent, the client just waits." : "";
  if (watch->peak_queue == holds && overflows > 0) {
    run.Conclude("The accept queue of " + LoopbackText(kPort) +
                 " filled at backlog+1 = " + std::to_string(holds) + " connections (full at " +
                 std::to_string(watch->full_looks) + " of " + std::to_string(watch->looks) +
                 " looks); ListenOverflows +" + std::to_string(overflows) +
                 " counted each SYN or final ACK the kernel dropped while it was." + no_error);
  } else if (overflows > 0 && watch->peak_queue < holds) {
    run.Conclude("ListenOverflows +" + std::to_string(overflows) +
                 " says the kernel dropped handshakes at a full accept queue, though the lab's "
                 "looks never caught it full (at its longest " +
                 std::to_string(watch->peak_queue) + " of " + std::to_string(holds) +
                 "): it filled and drained between two looks." + no_error);
  } else {
    run.Surprise("expected the accept queue to fill at " + std::to_string(holds) +
                 " and ListenOverflows to rise; its longest was " +
                 std::to_string(watch->peak_queue) + ", ListenOverflows +" +
                 std::to_string(overflows));
  }
  run.Conclude(
      "The cost is time: on an idle loopback, connect() took " + connect.Text() + ", and " +
      std::to_string(retransmitted) +
      " clients had to send their SYN again (the first retry comes after 1 s, the next 2 s "
      "later). The answers came after " +
      answer.Text() +
      ": a client whose final ACK was dropped believes it is connected, and its request waits "
      "for its own retransmits until the server takes the connection.");
  if (cookies > 0) {
    run.Conclude(
        "SYNs also found the SYN queue full (backlog+1 half-open handshakes) and were answered "
        "with syncookies (TCPReqQFullDoCookies +" +
        std::to_string(cookies) +
        "): a cookie lets connect() succeed without the server keeping any state, but the "
        "connection still waits for room in the accept queue.");
  }
  if (answered < n) {
    run.Conclude(std::to_string(n - answered) + " clients got no answer within " +
                 std::to_string(kGiveUp.count()) + " s.");
  }
  if (overflows > 0 || watch->full_looks > 0) {
    run.Expect("accept-queue-overflow", LoopbackText(kPort),
               "its accept queue was full while clients waited, and ListenOverflows rose");
  }
  return Ok{};
}

}  // namespace

Scenario BacklogOverflowScenario() {
  return {{"backlog-overflow",
           "A listener with a small backlog that accepts slowly, and clients arriving at once: "
           "ListenOverflows, and connects that take seconds",
           {{std::string(kConnections), 50, 10, 400, true, "clients connecting at the same moment"},
            {std::string(kRate), 25, 1, 1000, false,
             "connections the server accepts a second, one at a time"}}},
          1,
          Run};
}

}  // namespace tcpdoctor
