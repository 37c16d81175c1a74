#include "lab/scenarios/fin_timeout_myth.h"

#include <algorithm>
#include <cstdio>

#include "analyze/rules/evidence_text.h"
#include "lab/lab_run.h"
#include "lab/lab_sysctls.h"
#include "lab/request_client.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kClosingPort = 8080;  // the server closes after the client: TIME_WAIT
constexpr uint16_t kHoldingPort = 8081;  // the server never closes: FIN_WAIT2 on the client
constexpr auto kMargin = std::chrono::milliseconds(1500);

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string LongestText(const SocketGroup& g) {
  return g.with_timer > 0 ? Seconds(g.max_timer_ms / 1000.0) : "none (no such socket)";
}

// The two populations at one moment.
struct Picture {
  SocketGroup time_wait;   // the client's, toward kClosingPort
  SocketGroup fin_wait2;   // the client's, toward kHoldingPort (orphaned: closed by the client)
  SocketGroup close_wait;  // the server's, on kHoldingPort
};

Picture Take(const SocketCensus& census) {
  return {census.InState(TcpState::kTimeWait, RemotePortIs(kClosingPort)),
          census.InState(TcpState::kFinWait2, RemotePortIs(kHoldingPort)),
          census.InState(TcpState::kCloseWait, LocalPortIs(kHoldingPort))};
}

void Observe(LabRun& run, const Picture& p, const std::string& suffix) {
  run.Observe("time_wait" + suffix, p.time_wait.count,
              "TIME_WAIT toward " + LoopbackText(kClosingPort) + ": " +
                  std::to_string(p.time_wait.count) + ", time left " + p.time_wait.TimerText());
  run.Observe("time_wait_timer_max_ms" + suffix, p.time_wait.max_timer_ms,
              "the longest TIME_WAIT timer: " + LongestText(p.time_wait));
  run.Observe("fin_wait2" + suffix, p.fin_wait2.count,
              "orphaned FIN_WAIT2 toward " + LoopbackText(kHoldingPort) + ": " +
                  std::to_string(p.fin_wait2.count) +
                  (p.fin_wait2.count > 0 ? ", time left " + p.fin_wait2.TimerText() : ""));
  run.Observe("fin_wait2_timer_max_ms" + suffix, p.fin_wait2.max_timer_ms,
              "the longest FIN_WAIT2 timer: " + LongestText(p.fin_wait2));
  run.Observe("close_wait" + suffix, p.close_wait.count,
              "CLOSE_WAIT held by the server on port " + std::to_string(kHoldingPort) + ": " +
                  std::to_string(p.close_wait.count));
}

// The client's closes have gone through: no FIN unacknowledged, the server's ends on the
// closing port closed.
bool ClosesDone(const SocketCensus& census) {
  return census.Count(TcpState::kFinWait1) == 0 && census.Count(TcpState::kLastAck) == 0 &&
         census.InState(TcpState::kCloseWait, LocalPortIs(kClosingPort)).count == 0;
}

Status Conclude(LabRun& run, const Picture& before, const Picture& after, double waited,
                int64_t fin_timeout, uint64_t completed) {
  if (before.fin_wait2.count == completed && after.fin_wait2.count == 0) {
    run.Conclude("tcp_fin_timeout = " + std::to_string(fin_timeout) + " ended all " +
                 std::to_string(before.fin_wait2.count) +
                 " orphaned FIN_WAIT2 sockets: their timers started at about " +
                 std::to_string(fin_timeout) + " s (" + before.fin_wait2.TimerText() +
                 " left at the first look) and none was left " + Seconds(waited) + " later.");
  } else {
    run.Surprise("expected " + std::to_string(completed) +
                 " orphaned FIN_WAIT2 sockets, all gone after " + Seconds(waited) + "; saw " +
                 std::to_string(before.fin_wait2.count) + ", then " +
                 std::to_string(after.fin_wait2.count));
  }
  const double left_after = after.time_wait.max_timer_ms / 1000.0;
  if (before.time_wait.count == completed && after.time_wait.count == completed &&
      left_after > static_cast<double>(fin_timeout)) {
    run.Conclude("The " + std::to_string(after.time_wait.count) +
                 " TIME_WAIT sockets were all still there " + Seconds(waited) +
                 " later, with up to " + Seconds(left_after) +
                 " left: TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN, fixed in the kernel) whatever "
                 "tcp_fin_timeout says. Lowering it does not shorten TIME_WAIT.");
  } else {
    run.Surprise("expected " + std::to_string(completed) + " TIME_WAIT sockets, still there " +
                 Seconds(waited) + " later with more than " + std::to_string(fin_timeout) +
                 " s left; saw " + std::to_string(before.time_wait.count) + ", then " +
                 std::to_string(after.time_wait.count) + " with up to " + Seconds(left_after));
  }
  if (after.close_wait.count == before.close_wait.count && after.close_wait.count > 0) {
    run.Conclude("The server's " + std::to_string(after.close_wait.count) +
                 " CLOSE_WAIT sockets are all still open: no timer ends CLOSE_WAIT, only the "
                 "application's close(). The client's side of those connections has simply "
                 "forgotten them.");
  }
  return Ok{};
}

Status Run(LabRun& run) {
  const int64_t n = run.params().Count(kConnections);
  const int64_t fin_timeout = run.params().Count(kDuration);
  if (Status set = run.SetSysctl("net.ipv4.tcp_fin_timeout", std::to_string(fin_timeout),
                                 "lowered from 60 s, as the myth advises to shorten TIME_WAIT");
      !set) {
    return set;
  }
  if (Status set = DisableTimeWaitReuse(run); !set) return set;
  // Room for every CLOSE_WAIT it holds, so that running out of fds is not part of the story.
  const auto nofile = static_cast<uint64_t>(4 * n + 256);
  auto server = RequestServer::Start(
      run, "lab-server",
      {{kClosingPort, ServerClose::kAfterPeer}, {kHoldingPort, ServerClose::kNever}}, nofile);
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on " + LoopbackText(kClosingPort) +
           ", where it closes its end after the client, and on " + LoopbackText(kHoldingPort) +
           ", where it never closes");

  const auto make = [&run, n](uint16_t port) {
    return RunClients(run, {SocketAddress::Loopback(port), n, 1, 0, ClientClose::kFirst});
  };
  run.Step("This process (the client) made " + std::to_string(n) + " connections to " +
           LoopbackText(kClosingPort) + " and closed each first: TIME_WAIT on the client");
  auto closing = make(kClosingPort);
  if (!closing) return closing.TakeError();
  run.Observe("closing_completed", closing->completed,
              "connections completed: " + std::to_string(closing->completed) +
                  ", errors: " + CountsText(closing->errors));
  run.Step("Then " + std::to_string(n) + " connections to " + LoopbackText(kHoldingPort) +
           ", closed by the client too; the server never closes them, so the client's sockets "
           "wait in FIN_WAIT2 for a FIN that never comes, with no process holding them");
  auto holding = make(kHoldingPort);
  if (!holding) return holding.TakeError();
  run.Observe("holding_completed", holding->completed,
              "connections completed: " + std::to_string(holding->completed) +
                  ", errors: " + CountsText(holding->errors));

  auto first = run.CensusWhen(ClosesDone, std::chrono::seconds(2));
  if (!first) return first.TakeError();
  const auto first_at = LabClock::now();
  const Picture before = Take(*first);
  run.Step("Looked at the sockets (sock_diag, with their timers)");
  Observe(run, before, "");
  if (Status checkup = run.Checkup(); !checkup) return checkup;

  // Until the longest FIN_WAIT2 timer seen has run out, and a little more.
  const auto wait = std::chrono::milliseconds(before.fin_wait2.max_timer_ms) + kMargin;
  if (Status waited = run.WaitUntil(first_at + wait); !waited) return waited;
  auto second = run.Census();
  if (!second) return second.TakeError();
  const double waited = std::chrono::duration<double>(LabClock::now() - first_at).count();
  const Picture after = Take(*second);
  run.Step("Waited " + Seconds(waited) +
           " (until the longest FIN_WAIT2 timer had run out) and looked again");
  Observe(run, after, "_later");
  run.Observe("waited_ms", static_cast<int64_t>(waited * 1000),
              "time between the two looks: " + Seconds(waited));

  if (Status concluded =
          Conclude(run, before, after, waited, fin_timeout,
                   static_cast<uint64_t>(std::min(closing->completed, holding->completed)));
      !concluded) {
    return concluded;
  }
  if (static_cast<double>(n) >= RuleThreshold("close-pileup", "fin_wait2_orphaned_min")) {
    run.Expect("close-pileup", "FIN_WAIT2 (orphaned)",
               "the checkup was taken while the orphaned FIN_WAIT2 sockets were there");
  }
  if (static_cast<double>(n) >= RuleThreshold("close-wait-leak", "many_sockets")) {
    run.Expect("close-wait-leak", server->process().Label(),
               "the server never closes the connections its clients closed");
  }
  return Ok{};
}

}  // namespace

Scenario FinTimeoutMythScenario() {
  return {{"fin-timeout-myth",
           "Lowers tcp_fin_timeout: orphaned FIN_WAIT2 sockets end sooner, TIME_WAIT still "
           "lasts 60 s",
           {{std::string(kConnections), 1000, 1, 3000, true,
             "connections left in TIME_WAIT, and as many in orphaned FIN_WAIT2"},
            {std::string(kDuration), 5, 2, 15, true,
             "the tcp_fin_timeout it sets, in seconds; it watches that long and a little more"}}},
          0,
          Run};
}

}  // namespace tcpdoctor
