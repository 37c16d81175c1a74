#include "lab/scenarios/port_exhaustion.h"

#include <map>
#include <utility>

#include "analyze/rules/evidence_text.h"
#include "collect/sysctl_reader.h"
#include "lab/lab_run.h"
#include "lab/lab_sysctls.h"
#include "lab/request_client.h"
#include "lab/request_server.h"

namespace tcpdoctor {
namespace {

constexpr uint16_t kPort = 8080;
constexpr uint8_t kSecondAddress = 2;  // 127.0.0.2
// Attempts after the first that fails: it is not a passing hiccup.
constexpr int64_t kAttemptsAfterFailure = 2;
constexpr auto kProbeEvery = std::chrono::milliseconds(50);
// How long past tcp_tw_reuse_delay the lab keeps trying before it says reuse did not happen.
constexpr auto kProbeMargin = std::chrono::seconds(3);
constexpr auto kSettle = std::chrono::milliseconds(200);
constexpr uint32_t kTimeWaitMs = 60000;  // TCP_TIMEWAIT_LEN
constexpr const char* kReuse = "net.ipv4.tcp_tw_reuse";
constexpr const char* kReuseWhy =
    "0 in steps 2 and 4, 1 in step 3; never its default 2, which lets connect() take over "
    "TIME_WAIT ports on loopback only, as two hosts would not";

SocketPredicate Toward(const SocketAddress& to) {
  return [to](const SocketRecord& r) { return r.remote == to.ip && r.remote_port == to.port; };
}

std::string Destination(const SocketAddress& to) { return "127.0.0.1 -> " + to.ToString(); }

// Connections to `to` until the range is used up: as many as it has ports, and a few more.
struct UseUp {
  ClientTally tally;
  SocketGroup time_wait;  // toward `to`, afterwards
};

Result<UseUp> UseUpRange(LabRun& run, const SocketAddress& to, uint32_t range,
                         const std::string& prefix) {
  auto tally = RunClients(run, {to, range + 1 + kAttemptsAfterFailure, 1, run.params().Get(kRate),
                                ClientClose::kFirst});
  if (!tally) return tally.TakeError();
  auto census = run.CensusWhen(OnlyListenAndTimeWait, std::chrono::seconds(2));
  if (!census) return census.TakeError();
  UseUp u{*tally, census->InState(TcpState::kTimeWait, Toward(to))};
  run.Observe(prefix + "_completed", u.tally.completed,
              "connections made and closed: " + std::to_string(u.tally.completed) + " of " +
                  std::to_string(u.tally.attempted) + " attempts");
  run.Observe(prefix + "_first_failure", u.tally.first_failure,
              u.tally.first_failure == 0 ? std::string("no connect() failed")
                                         : "the first connect() to fail was number " +
                                               std::to_string(u.tally.first_failure));
  run.Observe(prefix + "_errors", CountsText(u.tally.errors),
              "errors seen by the client: " + CountsText(u.tally.errors));
  run.Observe(prefix + "_time_wait", u.time_wait.count,
              "TIME_WAIT toward " + to.ToString() + ": " + std::to_string(u.time_wait.count) +
                  " on local ports " + u.time_wait.PortsText());
  return u;
}

bool UsedUp(const UseUp& u, uint32_t range) {
  const auto errors = u.tally.errors;
  return u.tally.completed == range && u.tally.first_failure == range + 1 && errors.size() == 1 &&
         errors.count("EADDRNOTAVAIL") == 1;
}

// tcp_tw_reuse = 1: one connection every kProbeEvery until one succeeds, each after a look at
// the age of the oldest TIME_WAIT toward `to` (60 s minus its timer).
struct Probe {
  int64_t failed = 0;
  std::map<std::string, uint64_t> errors;
  int64_t oldest_age_ms = -1;  // at the attempt that succeeded; -1: none did
};

Result<Probe> ProbeReuse(LabRun& run, const SocketAddress& to, uint32_t delay_ms) {
  Probe p;
  const auto until = LabClock::now() + std::chrono::milliseconds(delay_ms) + kProbeMargin;
  while (LabClock::now() < until) {
    auto census = run.Census();
    if (!census) return census.TakeError();
    const SocketGroup tw = census->InState(TcpState::kTimeWait, Toward(to));
    const int64_t age = tw.with_timer > 0 ? kTimeWaitMs - tw.min_timer_ms : -1;
    auto tally = RunClients(run, {to, 1, 1, 0, ClientClose::kFirst});
    if (!tally) return tally.TakeError();
    if (tally->completed == 1) {
      p.oldest_age_ms = age;
      return p;
    }
    ++p.failed;
    for (const auto& [name, n] : tally->errors) p.errors[name] += n;
    if (Status waited = run.WaitUntil(LabClock::now() + kProbeEvery); !waited) {
      return waited.TakeError();
    }
  }
  return p;
}

Status Run(LabRun& run) {
  const int64_t n = run.params().Count(kConnections);
  auto range = NarrowPortRangeTo(run, static_cast<uint32_t>(n), n);
  if (!range) return range.TakeError();
  const uint32_t size = range->size();
  if (Status set = DisableTimeWaitReuse(run); !set) return set;
  // tcp_tw_reuse_delay is new in 6.14; before, the delay was a fixed second.
  uint32_t delay_ms = 1000;
  if (auto delay = run.ns().ReadSysctl("net.ipv4.tcp_tw_reuse_delay")) {
    if (auto ms = ParseSysctlInt("net.ipv4.tcp_tw_reuse_delay", *delay); ms && *ms >= 0) {
      delay_ms = static_cast<uint32_t>(*ms);
    }
    if (Status noted = run.NoteSysctl("net.ipv4.tcp_tw_reuse_delay",
                                      "with tcp_tw_reuse on, how old (ms) a TIME_WAIT socket "
                                      "must be before connect() may take its port over");
        !noted) {
      return noted;
    }
  }
  if (Status noted = run.NoteSysctl("net.ipv4.tcp_timestamps",
                                    "tcp_tw_reuse needs TCP timestamps on the old connection");
      !noted) {
    return noted;
  }
  const SocketAddress first_to = SocketAddress::Loopback(kPort);
  const SocketAddress second_to = SocketAddress::Loopback(kPort, kSecondAddress);
  ServerPort on_second{kPort, ServerClose::kAfterPeer};
  on_second.last_byte = kSecondAddress;
  auto server =
      RequestServer::Start(run, "lab-server", {{kPort, ServerClose::kAfterPeer}, on_second});
  if (!server) return server.TakeError();
  run.Step("Started " + server->process().Label() + " listening on " + first_to.ToString() +
           " and " + second_to.ToString() +
           "; it answers each request and closes after the client");

  run.Step("tcp_tw_reuse = 0: this process (the client) connected to " + first_to.ToString() +
           " at " + RateText(run.params().Get(kRate)) +
           ", one request each, closing each first (so that its port stays in TIME_WAIT), " +
           std::to_string(size + 1 + kAttemptsAfterFailure) + " times: " +
           std::to_string(1 + kAttemptsAfterFailure) + " more than the range has ports");
  auto first = UseUpRange(run, first_to, size, "first");
  if (!first) return first.TakeError();
  const auto first_done = LabClock::now();

  if (Status set = run.SetSysctl(kReuse, "1", kReuseWhy); !set) {
    return set;
  }
  auto before = run.Counters();
  if (!before) return before.TakeError();
  run.Step("tcp_tw_reuse = 1: tried again toward " + first_to.ToString() + " every " +
           std::to_string(kProbeEvery.count()) +
           " ms, looking before each attempt at the age of the oldest TIME_WAIT (60 s minus its "
           "timer) until one succeeded; then, once every TIME_WAIT was older than " +
           std::to_string(delay_ms) + " ms, " + std::to_string(size - 1) + " more connections");
  auto probe = ProbeReuse(run, first_to, delay_ms);
  if (!probe) return probe.TakeError();
  run.Observe("reuse_failed_attempts", probe->failed,
              "attempts that failed first: " + std::to_string(probe->failed) + " (" +
                  CountsText(probe->errors) + ")");
  run.Observe("reuse_oldest_age_ms", probe->oldest_age_ms,
              probe->oldest_age_ms < 0
                  ? std::string("no attempt succeeded")
                  : "the first to succeed came when the oldest TIME_WAIT was " +
                        std::to_string(probe->oldest_age_ms) + " ms old");
  const auto all_old = first_done + std::chrono::milliseconds(delay_ms) + kSettle;
  if (Status waited = run.WaitUntil(all_old); !waited) return waited;
  auto more =
      RunClients(run, {first_to, size - 1, 1, run.params().Get(kRate), ClientClose::kFirst});
  if (!more) return more.TakeError();
  auto after = run.Counters();
  if (!after) return after.TakeError();
  const uint64_t recycled = after->Delta(*before).Increase("TcpExt.TWRecycled").value_or(0);
  const int64_t reused = more->completed + (probe->oldest_age_ms >= 0 ? 1 : 0);
  run.Observe("reuse_completed", reused,
              "connections made with tcp_tw_reuse = 1: " + std::to_string(reused) +
                  "; errors of the last " + std::to_string(size - 1) + ": " +
                  CountsText(more->errors));
  run.Observe("tw_recycled", recycled,
              "TcpExt.TWRecycled +" + std::to_string(recycled) +
                  ": TIME_WAIT sockets whose port connect() took over");

  if (Status set = run.SetSysctl(kReuse, "0", kReuseWhy); !set) {
    return set;
  }
  run.Step("tcp_tw_reuse = 0 again: the same toward a second address, " + second_to.ToString());
  auto second = UseUpRange(run, second_to, size, "second");
  if (!second) return second.TakeError();
  auto census = run.Census();
  if (!census) return census.TakeError();
  const SocketGroup tw_first = census->InState(TcpState::kTimeWait, Toward(first_to));
  run.Observe("first_time_wait_end", tw_first.count,
              "TIME_WAIT toward " + first_to.ToString() + " still: " +
                  std::to_string(tw_first.count) + " on local ports " + tw_first.PortsText());
  if (Status checkup = run.Checkup(); !checkup) return checkup;

  if (UsedUp(*first, size)) {
    run.Conclude("With tcp_tw_reuse = 0, " + std::to_string(size) + " connections used up the " +
                 std::to_string(size) + "-port range toward " + first_to.ToString() +
                 ": connect() number " + std::to_string(size + 1) +
                 " failed with EADDRNOTAVAIL (\"Cannot assign requested address\"), and so did "
                 "every attempt after it. Each port stays in TIME_WAIT for 60 s after the client "
                 "closes first, so the default range (28232 ports) gives about 470 new "
                 "connections a second toward one destination, for as long as the load lasts.");
  } else {
    run.Surprise("expected " + std::to_string(size) + " connections toward " + first_to.ToString() +
                 ", then EADDRNOTAVAIL from number " + std::to_string(size + 1) + " on; saw " +
                 std::to_string(first->tally.completed) + ", first failure " +
                 std::to_string(first->tally.first_failure) + ", " +
                 CountsText(first->tally.errors));
  }
  const bool waited_for_delay =
      probe->oldest_age_ms >= static_cast<int64_t>(delay_ms) - kProbeEvery.count();
  if (waited_for_delay && reused == size && recycled >= static_cast<uint64_t>(size)) {
    run.Conclude(
        "With tcp_tw_reuse = 1, connect() took over a TIME_WAIT port once the oldest was " +
        std::to_string(probe->oldest_age_ms) + " ms old (tcp_tw_reuse_delay " +
        std::to_string(delay_ms) + " ms; " + std::to_string(probe->failed) +
        " attempts failed before), and then every one of " + std::to_string(size) +
        " connections did (TWRecycled +" + std::to_string(recycled) +
        "): the range serves its ports again every " + std::to_string(delay_ms) +
        " ms instead of every 60 s. It works for connect() only, and needs timestamps.");
  } else {
    run.Surprise("expected connect() to succeed again once the oldest TIME_WAIT was " +
                 std::to_string(delay_ms) + " ms old, then " + std::to_string(size) +
                 " connections and TWRecycled +" + std::to_string(size) + "; saw the first at " +
                 std::to_string(probe->oldest_age_ms) + " ms, " + std::to_string(reused) +
                 " connections, TWRecycled +" + std::to_string(recycled));
  }
  if (UsedUp(*second, size)) {
    run.Conclude("Toward " + second_to.ToString() + " the range was all there again: " +
                 std::to_string(size) + " connections on local ports " +
                 second->time_wait.PortsText() + ", the same ports that hold " +
                 std::to_string(tw_first.count) + " TIME_WAIT toward " + first_to.ToString() +
                 ". The budget is per destination (local address -> remote address:port): "
                 "spreading connections over more addresses or ports multiplies it.");
  } else {
    run.Surprise("expected " + std::to_string(size) + " connections toward " +
                 second_to.ToString() + ", then EADDRNOTAVAIL; saw " +
                 std::to_string(second->tally.completed) + ", first failure " +
                 std::to_string(second->tally.first_failure) + ", " +
                 CountsText(second->tally.errors));
  }
  const double warning = RuleThreshold("port-exhaustion", "warning_percent");
  for (const auto& [to, count] :
       {std::pair{first_to, tw_first.count}, std::pair{second_to, second->time_wait.count}}) {
    const double percent = Percent(static_cast<double>(count), size);
    if (percent >= warning) {
      run.Expect(
          "port-exhaustion", Destination(to),
          "TIME_WAIT holds " + PercentText(percent) + " of the ports toward " + to.ToString());
    }
  }
  return Ok{};
}

}  // namespace

Scenario PortExhaustionScenario() {
  return {{"port-exhaustion",
           "Short connections to one destination until connect() fails with EADDRNOTAVAIL; "
           "then with tcp_tw_reuse = 1, and toward a second address",
           {{std::string(kConnections), 500, 20, 5000, true,
             "ports in the narrowed range: the connections it takes to use it up"},
            {std::string(kRate), 2000, 10, 20000, false, "connections a second"}}},
          3,
          Run};
}

}  // namespace tcpdoctor
