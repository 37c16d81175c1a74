#include "lab/scenarios/keepalive_vs_close.h"

#include <algorithm>
#include <cstdio>

#include "analyze/rules/evidence_text.h"
#include "lab/lab_run.h"
#include "lab/lab_sysctls.h"
#include "lab/request_client.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kKeepAlivePort = 8080;
constexpr uint16_t kClosePort = 8081;

std::string FormatSegments(double per_request) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", per_request);
  return buf;
}

// What one way of making the requests cost, from the client's tally and the counters.
struct Cost {
  ClientTally tally;
  uint64_t opens = 0;     // Tcp.ActiveOpens
  uint64_t segments = 0;  // Tcp.OutSegs: both ends' segments, on loopback
};

// Runs `plan` and measures it; the observations go under `prefix`.
Result<Cost> Measure(LabRun& run, const ClientPlan& plan, const std::string& prefix) {
  auto before = run.Counters();
  if (!before) return before.TakeError();
  auto tally = RunClients(run, plan);
  if (!tally) return tally.TakeError();
  auto after = run.Counters();
  if (!after) return after.TakeError();
  const CounterDeltas deltas = after->Delta(*before);
  Cost cost{*tally, deltas.Increase("Tcp.ActiveOpens").value_or(0),
            deltas.Increase("Tcp.OutSegs").value_or(0)};
  run.Observe(prefix + "_requests", cost.tally.requests,
              "requests answered: " + std::to_string(cost.tally.requests) + " in " +
                  DurationText(cost.tally.seconds) + ", errors: " + CountsText(cost.tally.errors));
  run.Observe(prefix + "_connections", cost.opens,
              "connections opened (Tcp.ActiveOpens): +" + std::to_string(cost.opens));
  const double per_request =
      cost.tally.requests > 0 ? static_cast<double>(cost.segments) / cost.tally.requests : 0;
  run.Observe(prefix + "_segments_per_request", per_request,
              "segments sent per request, both ends (Tcp.OutSegs +" +
                  std::to_string(cost.segments) + "): " + FormatSegments(per_request));
  return cost;
}

Status Run(LabRun& run) {
  const int64_t n = run.params().Count(kConnections);
  const double rate = run.params().Get(kRate);
  auto range = NarrowPortRange(run, n);
  if (!range) return range.TakeError();
  if (Status set = DisableTimeWaitReuse(run); !set) return set;

  auto server = RequestServer::Start(
      run, "lab-server",
      {{kKeepAlivePort, ServerClose::kAfterPeer}, {kClosePort, ServerClose::kAfterPeer}});
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on " +
           LoopbackText(kKeepAlivePort) + " and " + LoopbackText(kClosePort) +
           "; it answers every request line of a connection, and closes its end after the "
           "client has closed");

  run.Step("Keep-alive: this process (the client) sent " + std::to_string(n) + " requests at " +
           RateText(rate) + " over one connection to " + LoopbackText(kKeepAlivePort) +
           ", then closed it");
  auto keep_alive = Measure(
      run, {SocketAddress::Loopback(kKeepAlivePort), 1, n, rate, ClientClose::kFirst}, "keepalive");
  if (!keep_alive) return keep_alive.TakeError();

  run.Step("One connection each: the client sent the same " + std::to_string(n) + " requests at " +
           RateText(rate) + " to " + LoopbackText(kClosePort) +
           ", each on a connection of its own that it closed after the answer");
  auto per_request =
      Measure(run, {SocketAddress::Loopback(kClosePort), n, 1, rate, ClientClose::kFirst}, "close");
  if (!per_request) return per_request.TakeError();

  auto census = run.CensusWhen(OnlyListenAndTimeWait, std::chrono::seconds(2));
  if (!census) return census.TakeError();
  const SocketGroup keep_alive_tw =
      census->InState(TcpState::kTimeWait, RemotePortIs(kKeepAlivePort));
  const SocketGroup close_tw = census->InState(TcpState::kTimeWait, RemotePortIs(kClosePort));
  const SocketGroup server_tw = census->InState(TcpState::kTimeWait, [](const SocketRecord& r) {
    return r.local_port == kKeepAlivePort || r.local_port == kClosePort;
  });
  run.Step("Dumped the namespace's sockets with sock_diag: TIME_WAIT side by side");
  run.Observe("keepalive_time_wait", keep_alive_tw.count,
              "TIME_WAIT toward " + LoopbackText(kKeepAlivePort) +
                  " (keep-alive): " + std::to_string(keep_alive_tw.count));
  run.Observe("close_time_wait", close_tw.count,
              "TIME_WAIT toward " + LoopbackText(kClosePort) + " (one connection each): " +
                  std::to_string(close_tw.count) + ", local ports " + close_tw.PortsText());
  run.Observe("server_time_wait", server_tw.count,
              "TIME_WAIT on the server's ports: " + std::to_string(server_tw.count));

  const auto completed_each = static_cast<uint64_t>(per_request->tally.completed);
  if (keep_alive_tw.count == 1 && close_tw.count == completed_each && server_tw.count == 0) {
    run.Conclude("The same " + std::to_string(n) +
                 " requests left 1 TIME_WAIT socket over keep-alive and " +
                 std::to_string(close_tw.count) +
                 " with one connection each: every connection the client closes holds one of "
                 "its ports toward the server for 60 s.");
  } else {
    run.Surprise("expected 1 TIME_WAIT toward " + LoopbackText(kKeepAlivePort) + ", " +
                 std::to_string(completed_each) + " toward " + LoopbackText(kClosePort) +
                 " and none on the server; the kernel shows " +
                 std::to_string(keep_alive_tw.count) + ", " + std::to_string(close_tw.count) +
                 " and " + std::to_string(server_tw.count));
  }
  const double percent = Percent(static_cast<double>(close_tw.count), range->size());
  run.Conclude("Toward " + LoopbackText(kClosePort) + " that is " + PercentText(percent) +
               " of the " + std::to_string(range->size()) +
               "-port range for the next 60 s; toward " + LoopbackText(kKeepAlivePort) +
               " one port served every request.");
  if (Percent(static_cast<double>(n), range->size()) >=
      RuleThreshold("port-exhaustion", "warning_percent")) {
    run.Expect(
        "port-exhaustion", "127.0.0.1 -> " + LoopbackText(kClosePort),
        "one connection per request holds a port per request toward " + LoopbackText(kClosePort));
  }
  return Ok{};
}

}  // namespace

Scenario KeepaliveVsCloseScenario() {
  return {{"keepalive-vs-close",
           "The same requests over one keep-alive connection, then one connection each: "
           "TIME_WAIT counts side by side",
           {{std::string(kConnections), 2000, 1, 5000, true,
             "requests made each way: over one keep-alive connection, then a connection each"},
            {std::string(kRate), 1000, 10, 20000, false, "requests a second"}}},
          2,
          Run};
}

}  // namespace tcpdoctor
