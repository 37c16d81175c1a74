#include "analyze/rules/time_wait_overflow.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

constexpr double kTimeWaitSeconds = 60;  // TCP_TIMEWAIT_LEN: fixed (kernel-facts §1)
constexpr const char* kCounter = "TcpExt.TCPTimeWaitOverflow";

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

int64_t PowerOfTwoAtLeast(double value) {
  int64_t p = 1;
  while (static_cast<double>(p) < value && p < (int64_t{1} << 40)) p *= 2;
  return p;
}

// What the rule saw.
struct Observed {
  uint64_t time_wait = 0;               // TIME_WAIT sockets in the dump (what ss shows)
  std::optional<uint64_t> sockstat_tw;  // timewait minisockets, FIN_WAIT2 ones included
  uint64_t at_limit_count = 0;          // what the kernel compares with the limit
  std::optional<int64_t> limit;
  std::optional<uint64_t> increase;  // TCPTimeWaitOverflow over the interval
  std::optional<double> per_second;
};

// The busiest TIME_WAIT holders: a listening port (this server closes first) and a destination
// (this client closes first), for the evidence.
std::string Holders(const Snapshot& snapshot) {
  std::vector<std::string> parts;
  if (!snapshot.listening_time_wait.empty()) {
    const ListeningPortTimeWait& p = snapshot.listening_time_wait.front();
    parts.push_back("listening port " + std::to_string(p.port) + " (" +
                    std::to_string(p.time_wait) + ", connections this server closed first)");
  }
  const DestinationPorts* top = nullptr;
  for (const DestinationPorts& d : snapshot.destinations) {
    if (d.time_wait > 0 && (top == nullptr || d.time_wait > top->time_wait)) top = &d;
  }
  if (top != nullptr) {
    parts.push_back("toward " + EndpointText(top->remote, top->remote_port) + " (" +
                    std::to_string(top->time_wait) + ", connections this client closed first)");
  }
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
  return text;
}

Finding Check(const Snapshot& snapshot, const Observed& o, Severity severity) {
  const bool overflowing = o.increase && *o.increase > 0;
  const double percent = o.limit && *o.limit > 0 ? Percent(static_cast<double>(o.at_limit_count),
                                                           static_cast<double>(*o.limit))
                                                 : 0;

  Finding f;
  f.id = "time-wait-overflow";
  f.severity = severity;
  f.subject = "tcp_max_tw_buckets";
  if (overflowing) {
    f.title = std::to_string(*o.increase) + " closes skipped TIME_WAIT in " +
              Fixed(snapshot.interval_seconds, 1) + " s: tcp_max_tw_buckets" +
              (o.limit ? " (" + std::to_string(*o.limit) + ")" : std::string()) + " is reached";
  } else {
    f.title = "TIME_WAIT at " + PercentText(percent) + " of tcp_max_tw_buckets (" +
              std::to_string(o.at_limit_count) + " of " + std::to_string(o.limit.value_or(0)) + ")";
  }

  std::string counts = "TIME_WAIT: " + std::to_string(o.time_wait) + " sockets";
  if (o.sockstat_tw) {
    counts += ", " + std::to_string(*o.sockstat_tw) +
              " timewait minisockets with the FIN_WAIT2 ones (sockstat tw)";
  }
  if (o.limit) {
    counts +=
        "; tcp_max_tw_buckets " + std::to_string(*o.limit) + " (" + PercentText(percent) + " used)";
  }
  f.evidence.push_back(counts);
  if (o.increase) {
    f.evidence.push_back("TCPTimeWaitOverflow: +" + std::to_string(*o.increase) + " in " +
                         Fixed(snapshot.interval_seconds, 1) + " s (" +
                         RateText(o.per_second.value_or(0)) +
                         "): each is a closing socket destroyed at once instead of entering "
                         "TIME_WAIT");
  } else if (const auto total = snapshot.counters.Get(kCounter); total && *total > 0) {
    f.evidence.push_back("TCPTimeWaitOverflow: " + std::to_string(*total) +
                         " since the namespace started (one sample: not known whether it is "
                         "rising now)");
  }
  if (const std::string holders = Holders(snapshot); !holders.empty()) {
    f.evidence.push_back("Most TIME_WAIT: " + holders);
  }
  f.evidence.push_back(
      "The kernel logs nothing for this: the 'time wait bucket table overflow' line old guides "
      "quote went away around Linux 3.1; TCPTimeWaitOverflow is the only sign");

  f.facts = {{"time_wait", static_cast<int64_t>(o.time_wait)}};
  if (o.sockstat_tw) f.facts.push_back({"tw_minisockets", static_cast<int64_t>(*o.sockstat_tw)});
  if (o.limit) {
    f.facts.push_back({"tcp_max_tw_buckets", *o.limit});
    f.facts.push_back({"percent_of_limit", percent});
  }
  if (o.increase) {
    f.facts.push_back({"overflow_increase", static_cast<int64_t>(*o.increase)});
    f.facts.push_back({"overflow_per_second", o.per_second.value_or(0)});
  }

  // Room for the TIME_WAIT sockets of a minute of closes at the rate seen, with a margin, and
  // at least twice the current limit.
  const double closes_per_second =
      static_cast<double>(o.at_limit_count) / kTimeWaitSeconds + o.per_second.value_or(0);
  const int64_t suggested = std::max(
      o.limit.value_or(0) * 2, PowerOfTwoAtLeast(closes_per_second * kTimeWaitSeconds * 1.25));
  f.facts.push_back({"suggested_max_tw_buckets", suggested});

  f.why =
      "At tcp_max_tw_buckets the kernel creates no TIME_WAIT socket: a closing connection "
      "is destroyed at once, so the peer's late segments (such as its FIN) get RSTs instead "
      "of being absorbed.";
  f.fix.push_back(
      "In the applications: make fewer connections end in TIME_WAIT on this host, by keeping "
      "connections open and reusing them (keep-alive, connection pools); a server can let its "
      "clients close first.");
  f.fix.push_back(
      "Raise the limit (never lower it: the kernel documentation says you must "
      "not); each TIME_WAIT minisocket costs a few hundred bytes: " +
      SysctlFix("net.ipv4.tcp_max_tw_buckets", std::to_string(suggested)) + ".");
  f.fix.push_back(
      "Not tcp_fin_timeout: it does not shorten TIME_WAIT, which lasts a fixed 60 s; "
      "and not tcp_tw_recycle, removed in Linux 4.12.");
  f.topics = {"TCPTimeWaitOverflow", "net.ipv4.tcp_max_tw_buckets", "TIME_WAIT"};
  return f;
}

}  // namespace

Rule TimeWaitOverflowRule() {
  return Rule{
      "time-wait-overflow",
      "TIME_WAIT at tcp_max_tw_buckets: closes skip TIME_WAIT",
      {{"min_overflows", 1, "TCPTimeWaitOverflow increase over the interval for a warning"},
       {"critical_per_second", 100, "TCPTimeWaitOverflow per second for a critical finding"},
       {"warning_percent", 90, "timewait minisockets as % of tcp_max_tw_buckets for a warning"}},
      [](const Snapshot& snapshot, const RuleSettings& settings) {
        Observed o;
        o.time_wait = snapshot.states.Get(TcpState::kTimeWait);
        o.sockstat_tw = snapshot.sockstat.Get("TCP", "tw");
        // The kernel's check counts every timewait minisocket (sockstat tw), FIN_WAIT2 ones too.
        o.at_limit_count = std::max(o.time_wait, o.sockstat_tw.value_or(0));
        o.limit = snapshot.sysctls.tcp_max_tw_buckets;
        o.increase = snapshot.Increase(kCounter);
        o.per_second = snapshot.RatePerSecond(kCounter);

        const double min_overflows = std::max(1.0, settings.Get("min_overflows"));
        std::optional<Severity> severity;
        if (o.increase && static_cast<double>(*o.increase) >= min_overflows) {
          severity = o.per_second && *o.per_second >= settings.Get("critical_per_second")
                         ? Severity::kCritical
                         : Severity::kWarning;
        } else if (o.limit && *o.limit > 0 &&
                   Percent(static_cast<double>(o.at_limit_count), static_cast<double>(*o.limit)) >=
                       settings.Get("warning_percent")) {
          severity = Severity::kWarning;
        }
        if (!severity) return std::vector<Finding>{};
        return std::vector<Finding>{Check(snapshot, o, *severity)};
      }};
}

}  // namespace tcpdoctor
