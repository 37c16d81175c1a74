#include "lab/scenarios/close_wait_leak.h"

#include <algorithm>

#include "analyze/rules/evidence_text.h"
#include "lab/client_burst.h"
#include "lab/lab_run.h"
#include "lab/request_client.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kPort = 8080;
// A helper's descriptors before its first connection: stdin, stdout, stderr, the two pipes to
// the lab and the listener. The server's nofile is this plus --connections; the run measures
// the real number and reports it.
constexpr uint64_t kHelperFds = 6;
constexpr int64_t kLateClients = 5;  // clients that come once the server is out of descriptors
constexpr auto kLateWait = std::chrono::milliseconds(800);  // how long they wait for an answer
constexpr int kCheckpoints = 4;

bool ServerSide(const SocketRecord& r) { return r.local_port == kPort; }
bool Held(const SocketRecord& r) { return r.local_port == kPort && r.inode != 0; }
bool Queued(const SocketRecord& r) { return r.local_port == kPort && r.inode == 0; }

// The clients' connections in growing batches, with the CLOSE_WAIT count and the server's
// descriptors after each.
struct Growth {
  ClientTally tally;
  std::string close_wait;  // "50, 100, 150, 200"
  std::string fds;         // "56, 106, 156, 206"
};

Result<Growth> Grow(LabRun& run, RequestServer& server, int64_t n) {
  Growth g;
  int64_t made = 0;
  for (int q = 1; q <= kCheckpoints; ++q) {
    const int64_t target = n * q / kCheckpoints;
    if (target == made) continue;
    auto tally = RunClients(run, {SocketAddress::Loopback(kPort), target - made, 1,
                                  run.params().Get(kRate), ClientClose::kFirst});
    if (!tally) return tally.TakeError();
    made = target;
    g.tally.attempted += tally->attempted;
    g.tally.completed += tally->completed;
    g.tally.seconds += tally->seconds;
    for (const auto& [name, count] : tally->errors) g.tally.errors[name] += count;
    const auto completed = static_cast<uint64_t>(g.tally.completed);
    auto census = run.CensusWhen(
        [completed](const SocketCensus& c) {
          return c.InState(TcpState::kCloseWait, ServerSide).count >= completed;
        },
        std::chrono::seconds(1));
    if (!census) return census.TakeError();
    auto fds = server.process().OpenFds();
    if (!fds) return fds.TakeError();
    const std::string sep = g.fds.empty() ? "" : ", ";
    g.close_wait += sep + std::to_string(census->InState(TcpState::kCloseWait, Held).count);
    g.fds += sep + std::to_string(*fds);
  }
  return g;
}

// The last number of a "50, 100, 150" list.
std::string Last(const std::string& list) {
  const size_t comma = list.rfind(", ");
  return comma == std::string::npos ? list : list.substr(comma + 2);
}

Status Run(LabRun& run) {
  const int64_t n = run.params().Count(kConnections);
  const uint64_t nofile = static_cast<uint64_t>(n) + kHelperFds;
  if (Status noted = run.NoteSysctl("net.ipv4.tcp_fin_timeout",
                                    "how long the clients' ends, closed and orphaned, wait in "
                                    "FIN_WAIT2 for the FIN this server never sends");
      !noted) {
    return noted;
  }
  auto server = RequestServer::Start(run, "lab-server", {{kPort, ServerClose::kNever}}, nofile);
  if (!server) return server.TakeError();
  const std::string label = server->process().Label();
  auto base_fds = server->process().OpenFds();
  if (!base_fds) return base_fds.TakeError();
  run.Step("Started " + label + " listening on " + LoopbackText(kPort) + " with RLIMIT_NOFILE " +
           std::to_string(nofile) +
           " (soft and hard); it answers each request, but when a client closes (read() returns "
           "0) it never calls close()");
  run.Observe("server_nofile", nofile, "its nofile limit: " + std::to_string(nofile));
  run.Observe("server_fds_at_start", *base_fds,
              "descriptors it had open before the first connection (/proc/PID/fd): " +
                  std::to_string(*base_fds) +
                  " (stdin, stdout, stderr, the listener and two pipes to the lab)");

  run.Step("This process (the client) made " + std::to_string(n) + " connections to " +
           LoopbackText(kPort) + " at " + RateText(run.params().Get(kRate)) +
           ", one request each, closing each after its answer; after each quarter it counted "
           "the server's CLOSE_WAIT sockets (sock_diag) and descriptors (/proc/PID/fd)");
  auto growth = Grow(run, *server, n);
  if (!growth) return growth.TakeError();
  run.Observe(
      "completed", growth->tally.completed,
      "connections answered and closed by the client: " + std::to_string(growth->tally.completed) +
          " of " + std::to_string(n) + ", errors: " + CountsText(growth->tally.errors));
  run.Observe("close_wait_growth", growth->close_wait,
              "CLOSE_WAIT held by " + label + " after each quarter: " + growth->close_wait);
  run.Observe("server_fds_growth", growth->fds,
              "its open descriptors: " + growth->fds + " of nofile " + std::to_string(nofile));

  run.Step("Then " + std::to_string(kLateClients) +
           " more clients connected at once, each sent its request and waited " +
           std::to_string(kLateWait.count()) + " ms for the answer");
  ClientBurst late = ClientBurst::Start({SocketAddress::Loopback(kPort), kLateClients, true});
  if (Status followed = late.Follow(LabClock::now() + kLateWait); !followed) return followed;
  const std::vector<BurstResult> results = late.Results();
  const auto late_connected = std::count_if(results.begin(), results.end(),
                                            [](const BurstResult& r) { return r.connected; });
  const auto late_answered = std::count_if(results.begin(), results.end(),
                                           [](const BurstResult& r) { return r.answered; });
  run.Observe("late_connected", late_connected,
              "connect() succeeded for " + std::to_string(late_connected) +
                  ": the kernel completed the handshakes and queued the connections for accept()");
  run.Observe("late_answered", late_answered, "answers received: " + std::to_string(late_answered));
  auto stats = server->ReportOn(kPort);
  if (!stats) return stats.TakeError();
  const uint64_t emfile = stats->errors.count("EMFILE") ? stats->errors.at("EMFILE") : 0;
  run.Observe("server_accepted", stats->accepted,
              label + " accepted " + std::to_string(stats->accepted) + " connections in all");
  run.Observe("server_emfile", emfile,
              "its accept() failed with EMFILE (\"Too many open files\") " +
                  std::to_string(emfile) +
                  " times: it tries again every 20 ms while connections wait");
  run.Observe("server_errors", CountsText(stats->errors),
              "errors the server saw: " + CountsText(stats->errors));

  late.CloseAll();  // they give up
  const auto expected_queued = static_cast<uint64_t>(late_connected);
  auto census = run.CensusWhen(
      [expected_queued](const SocketCensus& c) {
        // Their FINs acknowledged too (the queued connections ack a moment later).
        return c.InState(TcpState::kCloseWait, Queued).count >= expected_queued &&
               c.Count(TcpState::kFinWait1) == 0;
      },
      std::chrono::seconds(1));
  if (!census) return census.TakeError();
  auto fds = server->process().OpenFds();
  if (!fds) return fds.TakeError();
  const uint64_t held = census->InState(TcpState::kCloseWait, Held).count;
  const uint64_t queued = census->InState(TcpState::kCloseWait, Queued).count;
  const uint64_t fin_wait2 = census->InState(TcpState::kFinWait2, RemotePortIs(kPort)).count;
  const SocketGroup listener = census->InState(TcpState::kListen, ServerSide);
  uint32_t accept_queue = 0;
  for (const SocketRecord& r : census->sockets()) {
    if (r.state == TcpState::kListen && r.local_port == kPort) accept_queue = r.recv_queue;
  }
  run.Step("The late clients gave up and closed; dumped the namespace's sockets (sock_diag)");
  run.Observe("close_wait_held", held,
              "CLOSE_WAIT held open by " + label + ": " + std::to_string(held));
  run.Observe(
      "close_wait_queued", queued,
      "CLOSE_WAIT still in the accept queue (no process has them): " + std::to_string(queued));
  run.Observe("accept_queue", accept_queue,
              "the listener's accept queue: " + std::to_string(accept_queue) +
                  (listener.count == 1 ? "" : " (listener not found)"));
  run.Observe("client_fin_wait2", fin_wait2,
              "the clients' ends in FIN_WAIT2 (closed, waiting for the server's FIN): " +
                  std::to_string(fin_wait2));
  run.Observe(
      "server_fds", *fds,
      "descriptors " + label + " holds: " + std::to_string(*fds) + " of " + std::to_string(nofile));
  if (Status checkup = run.Checkup(); !checkup) return checkup;

  const auto completed = static_cast<uint64_t>(growth->tally.completed);
  if (completed == static_cast<uint64_t>(n) && held == completed && *fds == nofile && emfile > 0 &&
      late_answered == 0) {
    run.Conclude("Every connection its clients closed stayed open in " + label +
                 ": CLOSE_WAIT grew one for one with the connections (" + growth->close_wait +
                 "), each holding a descriptor (" + growth->fds + "), until all " +
                 std::to_string(nofile) + " of its nofile were in use.");
    run.Conclude(
        "From then on accept() failed with EMFILE. The kernel still completed the handshakes "
        "and queued the connections (connect() succeeded for " +
        std::to_string(late_connected) +
        " late clients), but the server could not take them and they got no answer: to its "
        "clients the server hangs, although it is running.");
    run.Conclude(
        "No timer ends CLOSE_WAIT: only the application's close() does. Raising nofile would "
        "only move the wall; the fix is to close() when read() returns 0.");
  } else {
    run.Surprise("expected all " + std::to_string(n) +
                 " connections held in CLOSE_WAIT, the server's descriptors at its nofile " +
                 std::to_string(nofile) + ", accept() failing with EMFILE and no answer for the " +
                 "late clients; saw " + std::to_string(completed) + " completed, " +
                 std::to_string(held) + " held, " + std::to_string(*fds) + " descriptors (" +
                 Last(growth->fds) + " after the last quarter), EMFILE x" + std::to_string(emfile) +
                 ", " + std::to_string(late_answered) + " answered");
  }
  const double fd_percent = Percent(static_cast<double>(*fds), static_cast<double>(nofile));
  if (fd_percent >= RuleThreshold("fd-exhaustion", "warning_percent")) {
    run.Expect("fd-exhaustion", label,
               "its descriptors are at " + PercentText(fd_percent) + " of its nofile");
  }
  if (static_cast<double>(held) >= RuleThreshold("close-wait-leak", "many_sockets")) {
    run.Expect("close-wait-leak", label,
               "it holds " + std::to_string(held) + " CLOSE_WAIT sockets its clients closed");
  }
  return Ok{};
}

}  // namespace

Scenario CloseWaitLeakScenario() {
  return {{"close-wait-leak",
           "A server that never closes after its clients' FIN: CLOSE_WAIT grows with its "
           "descriptors until accept() fails with EMFILE",
           {{std::string(kConnections), 200, 1, 2000, true,
             "connections the server leaves in CLOSE_WAIT; its nofile is this plus the 6 "
             "descriptors it starts with"},
            {std::string(kRate), 1000, 10, 20000, false, "connections a second"}}},
          1,
          Run};
}

}  // namespace tcpdoctor
