#include "analyze/rules/port_exhaustion.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

// The range this rule proposes when the current one is narrower: the top of the port space,
// start even and end odd (different parity, kernel-facts §4).
constexpr uint32_t kWideLow = 10000;
constexpr uint32_t kWideHigh = 65535;
constexpr size_t kMaxPortsListed = 10;

std::string DestinationText(const DestinationPorts& d) {
  return d.local.ToString() + " -> " + EndpointText(d.remote, d.remote_port);
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// "8080,9000-9010": the form ip_local_reserved_ports takes.
std::string PortSetText(const PortSet& set) {
  std::string text;
  for (const PortRange& r : set.ranges()) {
    if (!text.empty()) text += ",";
    text += std::to_string(r.first);
    if (r.last != r.first) text += "-" + std::to_string(r.last);
  }
  return text;
}

// The wider range to propose, or nullopt when the current one is already about as wide.
std::optional<PortRange> WiderRange(const PortBudgetSettings& s) {
  uint32_t low = std::min<uint32_t>(s.range_low, kWideLow);
  if (low % 2 == kWideHigh % 2 && low > 1) --low;
  const PortRange wider{low, kWideHigh};
  const uint32_t now = s.range_high >= s.range_low ? s.range_high - s.range_low + 1u : 0u;
  if (static_cast<uint64_t>(wider.size()) * 4 < static_cast<uint64_t>(now) * 5) {
    return std::nullopt;  // less than 25 % more ports: not worth saying
  }
  return wider;
}

// Whether connect() may take over this destination's TIME_WAIT ports under `reuse`
// (tcp_twsk_unique(): 2 applies when either address is a loopback address).
bool ReuseCovers(int reuse, const DestinationPorts& d) {
  return reuse == 1 || (reuse == 2 && (IsLoopback(d.remote) || IsLoopback(d.local)));
}

std::vector<std::string> Fixes(const Snapshot& snapshot, const DestinationPorts& d,
                               bool bind_before_connect) {
  const PortBudgetSettings& s = snapshot.port_settings;
  const std::string to = EndpointText(d.remote, d.remote_port);
  std::vector<std::string> fix;
  fix.push_back("In the client: reuse connections to " + to +
                " (HTTP keep-alive, a connection pool, e.g. nginx `keepalive` in the upstream "
                "block) instead of opening and closing one per request: every connection this "
                "side closes first holds its port for 60 s in TIME_WAIT.");
  if (d.time_wait > 0 && !d.time_wait_reusable) {
    if (!ReuseCovers(s.tw_reuse, d)) {
      std::string step =
          "On this client, let connect() take over TIME_WAIT ports (tcp_tw_reuse is " +
          std::to_string(s.tw_reuse) + (s.tw_reuse == 2 ? ", loopback only" : "") +
          "): " + SysctlFix("net.ipv4.tcp_tw_reuse", "1") +
          ". It only affects outgoing connections made with connect(), never inbound ones, "
          "and needs TCP timestamps";
      if (!s.timestamps) {
        step += ", which are off here: also " + SysctlFix("net.ipv4.tcp_timestamps", "1");
      }
      fix.push_back(step + ".");
    } else if (!s.timestamps) {
      fix.push_back(
          "tcp_tw_reuse cannot take over TIME_WAIT ports because TCP timestamps are off: " +
          SysctlFix("net.ipv4.tcp_timestamps", "1") + ".");
    }
  }
  if (const auto wider = WiderRange(s)) {
    const std::string value = std::to_string(wider->first) + " " + std::to_string(wider->last);
    std::string step = "Widen the ephemeral port range from " + std::to_string(s.range_low) + "-" +
                       std::to_string(s.range_high) + " to " + std::to_string(wider->first) + "-" +
                       std::to_string(wider->last) + " (" + std::to_string(wider->size()) +
                       " ports; start and end of different parity): " +
                       SysctlFix("net.ipv4.ip_local_port_range", value) + ".";
    // Services listening inside the new range would compete with connect() for their ports.
    PortSet reserved = snapshot.sysctls.ip_local_reserved_ports.value_or(PortSet{});
    std::set<uint16_t> exposed;
    for (const ListenerQueue& l : snapshot.listeners) {
      if (wider->Contains(l.port) && !reserved.Contains(l.port)) exposed.insert(l.port);
    }
    if (!exposed.empty()) {
      std::string ports;
      size_t listed = 0;
      for (uint16_t p : exposed) {
        reserved.Add(PortRange{p, p});
        if (listed++ < kMaxPortsListed) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
      }
      if (exposed.size() > kMaxPortsListed) ports += ", ...";
      step += " First reserve the ports this host listens on inside it (" + ports +
              "), so that connect() leaves them to the services: " +
              SysctlFix("net.ipv4.ip_local_reserved_ports", PortSetText(reserved)) + ".";
    }
    fix.push_back(step);
  }
  fix.push_back(
      "Spread the connections over more destination addresses or ports (or more "
      "local addresses): each local address -> remote address:port has a port range "
      "of its own.");
  if (bind_before_connect) {
    fix.push_back(
        "If the client calls bind() before connect(), set IP_BIND_ADDRESS_NO_PORT on the "
        "socket before bind() (Linux 4.2+): the port is then chosen at connect() time per "
        "destination, instead of being exclusive across all destinations.");
  }
  return fix;
}

Finding Check(const Snapshot& snapshot, const DestinationPorts& d, Severity severity) {
  const PortBudgetSettings& s = snapshot.port_settings;
  const double percent = d.PercentUsed();
  const double tw_percent =
      Percent(static_cast<double>(d.time_wait), static_cast<double>(d.in_use));
  const double headroom = d.sustainable_rate_per_second - d.rate_per_second;
  // connect() takes ports of the range start's parity first, bind(addr, 0) the other one: a
  // majority on bind's parity points at bind() before connect() (kernel-facts §4).
  const bool bind_before_connect = d.bind_parity * 2 > d.in_use;
  const std::string destination = DestinationText(d);
  const std::string to = EndpointText(d.remote, d.remote_port);

  Finding f;
  f.id = "port-exhaustion";
  f.severity = severity;
  f.subject = destination;
  f.title = "Ephemeral ports toward " + to + " are " + PercentText(percent) + " used (" +
            std::to_string(d.in_use) + " of " + std::to_string(d.range_size) + ")";
  f.evidence.push_back(destination + ": " + std::to_string(d.in_use) + " of " +
                       std::to_string(d.range_size) + " usable ports in use (" +
                       PercentText(percent) + "), " + std::to_string(d.time_wait) +
                       " of them in TIME_WAIT (" + PercentText(tw_percent) + ")");
  f.evidence.push_back("ip_local_port_range " + std::to_string(s.range_low) + "-" +
                       std::to_string(s.range_high) + ": " + std::to_string(d.range_size) +
                       " usable ports per destination (" + std::to_string(s.reserved_in_range) +
                       " reserved); tcp_tw_reuse " + std::to_string(s.tw_reuse) +
                       (d.time_wait_reusable ? " applies here" : " does not apply here"));
  f.evidence.push_back(
      "New connections: " + RateText(d.rate_per_second) +
      " (closed by this side in the last minute); the free ports sustain " +
      RateText(d.sustainable_rate_per_second) + " (each held " +
      (d.time_wait_reusable ? Fixed(s.tw_reuse_delay_seconds, 1) + " s before reuse"
                            : std::string("60 s in TIME_WAIT")) +
      "), " +
      (headroom >= 0 ? "headroom " + RateText(headroom) : "over budget by " + RateText(-headroom)));
  if (d.net_growth_per_second) {
    std::string line =
        "Over the interval: " + std::string(*d.net_growth_per_second >= 0 ? "+" : "") +
        RateText(*d.net_growth_per_second) + " ports";
    if (d.seconds_to_exhaustion) {
      line += ", all used in " + DurationText(*d.seconds_to_exhaustion) + " at this pace";
    }
    f.evidence.push_back(line);
  }
  if (bind_before_connect) {
    f.evidence.push_back(std::to_string(d.bind_parity) + " of the " + std::to_string(d.in_use) +
                         " ports have the parity bind(addr, 0) prefers, not connect()'s: the "
                         "client probably binds before connecting, which makes each port "
                         "exclusive across all destinations");
  }

  f.facts = {{"destination", destination},
             {"local", d.local.ToString()},
             {"remote", d.remote.ToString()},
             {"remote_port", int64_t{d.remote_port}},
             {"in_use", static_cast<int64_t>(d.in_use)},
             {"time_wait", static_cast<int64_t>(d.time_wait)},
             {"time_wait_percent", tw_percent},
             {"range_size", int64_t{d.range_size}},
             {"range_low", int64_t{s.range_low}},
             {"range_high", int64_t{s.range_high}},
             {"reserved_in_range", int64_t{s.reserved_in_range}},
             {"percent_used", percent},
             {"new_per_second", d.rate_per_second},
             {"sustainable_per_second", d.sustainable_rate_per_second},
             {"headroom_per_second", headroom},
             {"tcp_tw_reuse", int64_t{s.tw_reuse}},
             {"time_wait_reusable", int64_t{d.time_wait_reusable ? 1 : 0}},
             {"bind_parity_sockets", static_cast<int64_t>(d.bind_parity)}};
  if (d.net_growth_per_second) f.facts.push_back({"growth_per_second", *d.net_growth_per_second});
  if (d.seconds_to_exhaustion) {
    f.facts.push_back({"seconds_to_exhaustion", *d.seconds_to_exhaustion});
  }

  f.why =
      "connect() needs a local port that is unique toward each remote address:port, and a "
      "port stays taken while its connection is open and for 60 s in TIME_WAIT after this "
      "side closes first. When the range is used up toward " +
      to + ", connect() fails with EADDRNOTAVAIL (\"Cannot assign requested address\").";
  f.fix = Fixes(snapshot, d, bind_before_connect);
  f.topics = {"net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse", "TIME_WAIT"};
  return f;
}

}  // namespace

Rule PortExhaustionRule() {
  return Rule{
      "port-exhaustion",
      "A destination using up the ephemeral port range",
      {{"warning_percent", 50, "% of the usable ephemeral ports in use toward one destination"},
       {"critical_percent", 80, "the same, for a critical finding"}},
      [](const Snapshot& snapshot, const RuleSettings& settings) {
        const double warning = settings.Get("warning_percent");
        const double critical = settings.Get("critical_percent");
        std::vector<Finding> findings;
        for (const DestinationPorts& d : snapshot.destinations) {
          if (d.in_use == 0) continue;
          const double percent = d.PercentUsed();
          if (percent >= critical) {
            findings.push_back(Check(snapshot, d, Severity::kCritical));
          } else if (percent >= warning) {
            findings.push_back(Check(snapshot, d, Severity::kWarning));
          }
        }
        std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
          return a.severity > b.severity;
        });
        return findings;
      }};
}

}  // namespace tcpdoctor
