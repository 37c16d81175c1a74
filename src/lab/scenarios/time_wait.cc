#include "lab/scenarios/time_wait.h"

#include <algorithm>
#include <cmath>

#include "analyze/rules/evidence_text.h"
#include "lab/lab_run.h"
#include "lab/lab_sysctls.h"
#include "lab/request_client.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kServerPort = 8080;

Status Run(LabRun& run, bool client_first) {
  const int64_t n = run.params().Count(kConnections);
  const double rate = run.params().Get(kRate);
  auto range = client_first
                   ? NarrowPortRange(run, n)
                   : NotePortRange(run,
                                   "the client's ephemeral ports, left as they are: a client "
                                   "that closes second frees its port as soon as it has closed");
  if (!range) return range.TakeError();
  if (client_first) {
    if (Status set = DisableTimeWaitReuse(run); !set) return set;
  } else if (Status noted = run.NoteSysctl(
                 "net.ipv4.tcp_max_tw_buckets",
                 "the most TIME_WAIT sockets the namespace holds; past it, closing sockets skip "
                 "TIME_WAIT and TCPTimeWaitOverflow counts them");
             !noted) {
    return noted;
  }
  auto before = run.Counters();
  if (!before) return before.TakeError();

  const std::string closer = client_first ? "client" : "server";
  const std::string other = client_first ? "server" : "client";
  auto server = RequestServer::Start(
      run, "lab-server",
      {{kServerPort, client_first ? ServerClose::kAfterPeer : ServerClose::kFirst}});
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on 127.0.0.1:" +
           std::to_string(kServerPort) + "; it answers each request with one line, then " +
           (client_first ? "waits for the client to close and closes its end after it"
                         : "closes the connection at once"));

  const ClientPlan plan{SocketAddress::Loopback(kServerPort), n, 1, rate,
                        client_first ? ClientClose::kFirst : ClientClose::kAfterServer};
  run.Step("This process (the client) made " + std::to_string(n) + " connections to 127.0.0.1:" +
           std::to_string(kServerPort) + " at " + RateText(rate) + ", one request each, and " +
           (client_first ? "closed each one as soon as the answer arrived"
                         : "closed each one after the server's FIN (read() returned 0)"));
  auto tally = RunClients(run, plan);
  if (!tally) return tally.TakeError();
  run.Observe("connections_completed", tally->completed,
              "connections completed: " + std::to_string(tally->completed) + " of " +
                  std::to_string(n) + " in " + DurationText(tally->seconds));
  run.Observe("client_errors", CountsText(tally->errors),
              "errors seen by the client: " + CountsText(tally->errors));
  run.Observe("client_reused_ports", tally->reused_ports,
              "connections that got a local port an earlier one had used: " +
                  std::to_string(tally->reused_ports));
  auto census = run.CensusWhen(OnlyListenAndTimeWait, std::chrono::seconds(2));
  if (!census) return census.TakeError();
  auto stats = server->ReportOnceEnded(kServerPort, static_cast<uint64_t>(tally->completed),
                                       std::chrono::seconds(2));
  if (!stats) return stats.TakeError();
  run.Observe(
      "server_closed_first", stats->closed_first,
      "connections the server closed before the client: " + std::to_string(stats->closed_first));
  run.Observe("server_saw_client_close", stats->peer_closed,
              "connections where the server read the client's FIN first: " +
                  std::to_string(stats->peer_closed));

  const SocketGroup client_side = census->InState(TcpState::kTimeWait, RemotePortIs(kServerPort));
  const SocketGroup server_side = census->InState(TcpState::kTimeWait, LocalPortIs(kServerPort));
  const SocketGroup still_closing = census->Select([](const SocketRecord& r) {
    return r.state != TcpState::kListen && r.state != TcpState::kTimeWait;
  });
  const SocketGroup& landed = client_first ? client_side : server_side;
  run.Step("Dumped the namespace's sockets with sock_diag, as `ss -tan` would show them");
  run.Observe("time_wait", census->Count(TcpState::kTimeWait),
              "TIME_WAIT sockets in all: " + std::to_string(census->Count(TcpState::kTimeWait)));
  run.Observe("time_wait_client_side", client_side.count,
              "on the client's side (toward 127.0.0.1:" + std::to_string(kServerPort) +
                  (client_side.count > 0 ? ", local ports " + client_side.PortsText() : "") +
                  "): " + std::to_string(client_side.count));
  run.Observe("time_wait_server_side", server_side.count,
              "on the server's side (local port " + std::to_string(kServerPort) +
                  "): " + std::to_string(server_side.count));
  run.Observe("time_wait_ports", landed.PortsText(),
              "local ports of the " + closer + "'s TIME_WAIT sockets: " + landed.PortsText());
  run.Observe("time_wait_timer_max_ms", landed.max_timer_ms,
              "time left on their timers: " + landed.TimerText() +
                  " (TIME_WAIT lasts 60 s from the close)");
  run.Observe("still_closing", still_closing.count,
              "connections still closing (neither LISTEN nor TIME_WAIT): " +
                  std::to_string(still_closing.count));

  auto after = run.Counters();
  if (!after) return after.TakeError();
  const CounterDeltas deltas = after->Delta(*before);
  const uint64_t active = deltas.Increase("Tcp.ActiveOpens").value_or(0);
  const uint64_t passive = deltas.Increase("Tcp.PassiveOpens").value_or(0);
  run.Observe("active_opens", active, "Tcp.ActiveOpens +" + std::to_string(active));
  run.Observe("passive_opens", passive, "Tcp.PassiveOpens +" + std::to_string(passive));

  const SocketGroup& elsewhere = client_first ? server_side : client_side;
  // A client port that came free while the server still held its 4-tuple in TIME_WAIT: the
  // new SYN reopens that TIME_WAIT (its sequence number or timestamp is newer, RFC 6191), so
  // the server holds one TIME_WAIT per 4-tuple, not per connection.
  const auto reopened = client_first ? 0 : static_cast<uint64_t>(tally->reused_ports);
  const auto expected = static_cast<uint64_t>(tally->completed) - reopened;
  if (landed.count == expected && elsewhere.count == 0) {
    run.Conclude("TIME_WAIT landed on the " + closer +
                 ", the side that closed first: " + std::to_string(landed.count) + " on " +
                 (client_first ? "its ephemeral ports " + landed.PortsText()
                               : "its listening port " + landed.PortsText()) +
                 ", none on the " + other + ".");
  } else {
    run.Surprise("expected " + std::to_string(expected) + " TIME_WAIT sockets on the " + closer +
                 "'s side and none on the " + other + "'s; the kernel shows " +
                 std::to_string(landed.count) + " and " + std::to_string(elsewhere.count));
  }
  if (reopened > 0) {
    run.Conclude(std::to_string(reopened) +
                 " connections came from a client port that an earlier connection had used: "
                 "the server's TIME_WAIT for that 4-tuple let the new SYN in (its sequence "
                 "number and timestamp were newer) and was replaced by the new connection.");
  }
  const double range_percent = Percent(static_cast<double>(client_side.count), range->size());
  if (client_first) {
    run.Conclude("Each holds its local port toward 127.0.0.1:" + std::to_string(kServerPort) +
                 " for 60 s: " + PercentText(range_percent) + " of the " +
                 std::to_string(range->size()) +
                 "-port range is taken, and connect() fails with EADDRNOTAVAIL once it is all "
                 "taken (see the port-exhaustion scenario).");
  } else {
    run.Conclude("They all sit on the listening port " + std::to_string(kServerPort) +
                 ": the client's ephemeral ports are free again as soon as each connection "
                 "ends (" +
                 std::to_string(client_side.count) +
                 " in TIME_WAIT now). Their cost is a small minisocket each, up to "
                 "tcp_max_tw_buckets.");
  }
  if (client_first) {
    const double percent = Percent(static_cast<double>(n), range->size());
    if (percent >= RuleThreshold("port-exhaustion", "warning_percent")) {
      run.Expect("port-exhaustion", "127.0.0.1 -> 127.0.0.1:" + std::to_string(kServerPort),
                 "the client's TIME_WAIT sockets hold " + PercentText(percent) +
                     " of the ports toward the server");
    }
  } else if (static_cast<double>(n) >= RuleThreshold("server-active-close", "info_sockets")) {
    run.Expect("server-active-close", "port " + std::to_string(kServerPort),
               "the server's port holds the TIME_WAIT of every connection it closed first");
  }
  return Ok{};
}

LabScenarioInfo Info(std::string name, std::string summary) {
  return {std::move(name),
          std::move(summary),
          {{std::string(kConnections), 2000, 1, 5000, true, "connections made, one request each"},
           {std::string(kRate), 1000, 10, 20000, false, "connections a second"}}};
}

}  // namespace

Scenario TimeWaitClientScenario() {
  return {Info("time-wait-client",
               "Short connections that the client closes first: TIME_WAIT lands on the client's "
               "ephemeral ports"),
          1, [](LabRun& run) { return Run(run, /*client_first=*/true); }};
}

Scenario TimeWaitServerScenario() {
  return {Info("time-wait-server",
               "The same load, but the server closes first: TIME_WAIT lands on the server's "
               "listening port"),
          1, [](LabRun& run) { return Run(run, /*client_first=*/false); }};
}

}  // namespace tcpdoctor
