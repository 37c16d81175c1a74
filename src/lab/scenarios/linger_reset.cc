#include "lab/scenarios/linger_reset.h"

#include <algorithm>

#include "analyze/rules/evidence_text.h"
#include "lab/lab_run.h"
#include "lab/lab_sysctls.h"
#include "lab/request_client.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kNormalPort = 8080;
constexpr uint16_t kLingerPort = 8081;

// One way of closing: the clients, the server's view and the counters.
struct Phase {
  uint64_t completed = 0;
  uint64_t abort_on_data = 0;    // TcpExt.TCPAbortOnData
  uint64_t abort_on_linger = 0;  // TcpExt.TCPAbortOnLinger: not this (a negative TCP_LINGER2)
  uint64_t out_rsts = 0;         // Tcp.OutRsts
  uint64_t time_wait = 0;        // toward the phase's port, at the end
  ServerStats server;
};

// Runs `n` connections to `port` closed as `how` says, waits for the closes to finish, and
// observes them under `prefix`.
Result<Phase> RunPhase(LabRun& run, RequestServer& server, uint16_t port, ClientClose how,
                       const std::string& prefix) {
  const int64_t n = run.params().Count(kConnections);
  auto before = run.Counters();
  if (!before) return before.TakeError();
  auto tally = RunClients(run, {SocketAddress::Loopback(port), n, 1, run.params().Get(kRate), how});
  if (!tally) return tally.TakeError();
  auto census = run.CensusWhen(OnlyListenAndTimeWait, std::chrono::seconds(2));
  if (!census) return census.TakeError();
  auto after = run.Counters();
  if (!after) return after.TakeError();
  auto stats = server.ReportOnceEnded(port, static_cast<uint64_t>(tally->completed),
                                      std::chrono::seconds(2));
  if (!stats) return stats.TakeError();
  const CounterDeltas deltas = after->Delta(*before);
  Phase phase{static_cast<uint64_t>(tally->completed),
              deltas.Increase("TcpExt.TCPAbortOnData").value_or(0),
              deltas.Increase("TcpExt.TCPAbortOnLinger").value_or(0),
              deltas.Increase("Tcp.OutRsts").value_or(0),
              census->InState(TcpState::kTimeWait, RemotePortIs(port)).count,
              *stats};
  run.Observe(prefix + "_completed", phase.completed,
              "connections completed: " + std::to_string(phase.completed) + " of " +
                  std::to_string(n) + "; errors seen by the client: " + CountsText(tally->errors));
  run.Observe(
      prefix + "_time_wait", phase.time_wait,
      "TIME_WAIT toward " + LoopbackText(port) + " afterwards: " + std::to_string(phase.time_wait));
  run.Observe(prefix + "_abort_on_data", phase.abort_on_data,
              "TcpExt.TCPAbortOnData +" + std::to_string(phase.abort_on_data));
  run.Observe(prefix + "_abort_on_linger", phase.abort_on_linger,
              "TcpExt.TCPAbortOnLinger +" + std::to_string(phase.abort_on_linger) +
                  " (despite its name, it counts something else)");
  run.Observe(prefix + "_out_rsts", phase.out_rsts,
              "RSTs sent (Tcp.OutRsts) +" + std::to_string(phase.out_rsts));
  run.Observe(prefix + "_server_eof", phase.server.peer_closed,
              "the server read end of stream (the client's FIN) on " +
                  std::to_string(phase.server.peer_closed));
  run.Observe(
      prefix + "_server_econnreset", phase.server.resets,
      "the server's read() failed with ECONNRESET on " + std::to_string(phase.server.resets));
  return phase;
}

Status Run(LabRun& run) {
  const int64_t n = run.params().Count(kConnections);
  const double rate = run.params().Get(kRate);
  if (Status set = DisableTimeWaitReuse(run); !set) return set;
  auto server = RequestServer::Start(
      run, "lab-server",
      {{kNormalPort, ServerClose::kAfterPeer}, {kLingerPort, ServerClose::kAfterPeer}});
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on " + LoopbackText(kNormalPort) +
           " and " + LoopbackText(kLingerPort) +
           "; it answers each request and closes its end after the client has closed");

  run.Step("Normal close: this process (the client) made " + std::to_string(n) +
           " connections to " + LoopbackText(kNormalPort) + " at " + RateText(rate) +
           ", one request each, and called close() after the answer");
  auto normal = RunPhase(run, *server, kNormalPort, ClientClose::kFirst, "normal");
  if (!normal) return normal.TakeError();

  run.Step("Linger 0: the same " + std::to_string(n) + " connections to " +
           LoopbackText(kLingerPort) +
           ", but before close() the client set SO_LINGER {l_onoff 1, l_linger 0}");
  auto linger = RunPhase(run, *server, kLingerPort, ClientClose::kAbort, "linger");
  if (!linger) return linger.TakeError();

  const bool normal_as_expected = normal->time_wait == normal->completed &&
                                  normal->abort_on_data == 0 &&
                                  normal->server.peer_closed == normal->completed;
  const bool linger_as_expected = linger->time_wait == 0 &&
                                  linger->abort_on_data == linger->completed &&
                                  linger->server.resets == linger->completed;
  if (normal_as_expected) {
    run.Conclude("A normal close sends a FIN: the server read end of stream, and each of the " +
                 std::to_string(normal->completed) +
                 " client sockets stayed in TIME_WAIT (the client closed first).");
  } else {
    run.Surprise("normal close: expected " + std::to_string(normal->completed) +
                 " TIME_WAIT, TCPAbortOnData +0 and as many ends of stream at the server; saw " +
                 std::to_string(normal->time_wait) + ", +" + std::to_string(normal->abort_on_data) +
                 " and " + std::to_string(normal->server.peer_closed));
  }
  if (linger_as_expected) {
    run.Conclude(
        "With SO_LINGER {1, 0}, close() sends an RST instead of a FIN: no TIME_WAIT at "
        "all, TCPAbortOnData +" +
        std::to_string(linger->abort_on_data) +
        " (one per close, although every answer had been read), and the server's "
        "read() failed with ECONNRESET instead of returning end of stream. Data still "
        "in flight would have been lost.");
  } else {
    run.Surprise("linger 0: expected no TIME_WAIT, TCPAbortOnData +" +
                 std::to_string(linger->completed) + " and as many ECONNRESET at the server; saw " +
                 std::to_string(linger->time_wait) + ", +" + std::to_string(linger->abort_on_data) +
                 " and " + std::to_string(linger->server.resets));
  }
  if (static_cast<double>(n) >= RuleThreshold("aborted-closes", "min_aborts")) {
    run.Expect("aborted-closes", "TCPAbortOnData",
               "TCPAbortOnData rose by one for each linger-0 close during the run");
  }
  return Ok{};
}

}  // namespace

Scenario LingerResetScenario() {
  return {{"linger-reset",
           "SO_LINGER {1, 0} then close(): an RST instead of a FIN, no TIME_WAIT, "
           "TCPAbortOnData; side by side with normal closes",
           {{std::string(kConnections), 200, 1, 5000, true,
             "connections closed each way: normally, then with linger 0"},
            {std::string(kRate), 1000, 10, 20000, false, "connections a second"}}},
          2,
          Run};
}

}  // namespace tcpdoctor
