#include "analyze/rules/server_active_close.h"

#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

constexpr double kTimeWaitSeconds = 60;  // TCP_TIMEWAIT_LEN: fixed (kernel-facts §1)

// The listener on `port`, preferring one whose owner is known; nullptr when there is none.
const ListenerQueue* ListenerOn(const Snapshot& snapshot, uint16_t port) {
  const ListenerQueue* any = nullptr;
  for (const ListenerQueue& l : snapshot.listeners) {
    if (l.port != port) continue;
    if (l.owner_pid != 0) return &l;
    if (any == nullptr) any = &l;
  }
  return any;
}

// "nginx[1234]" (" +3" when more processes share it), or empty when no process we could read
// holds the listener.
std::string OwnerText(const ListenerQueue* l) {
  if (l == nullptr || l->owner_pid == 0) return "";
  std::string text = l->owner_comm + "[" + std::to_string(l->owner_pid) + "]";
  if (l->owner_processes > 1) text += " +" + std::to_string(l->owner_processes - 1);
  return text;
}

Finding Check(const Snapshot& snapshot, const ListeningPortTimeWait& p, Severity severity) {
  const ListenerQueue* listener = ListenerOn(snapshot, p.port);
  const std::string owner = OwnerText(listener);
  const std::string port = std::to_string(p.port);
  const double per_second = static_cast<double>(p.time_wait) / kTimeWaitSeconds;
  const auto limit = snapshot.sysctls.tcp_max_tw_buckets;
  const uint64_t all_time_wait = snapshot.states.Get(TcpState::kTimeWait);

  Finding f;
  f.id = "server-active-close";
  f.severity = severity;
  f.subject = "port " + port;
  f.title = "Port " + port + (owner.empty() ? "" : " (" + owner + ")") +
            " closes its connections first: " + std::to_string(p.time_wait) + " TIME_WAIT sockets";
  f.evidence.push_back("Port " + port + (owner.empty() ? "" : " of " + owner) + ": " +
                       std::to_string(p.time_wait) + " TIME_WAIT sockets, left by about " +
                       RateText(per_second) +
                       " connections this server closed first (each stays 60 s)");
  if (!p.peers.empty()) {
    f.evidence.push_back("Clients: " + EndpointsText(p.peers));
  }
  if (limit && *limit > 0) {
    f.evidence.push_back(
        PercentText(Percent(static_cast<double>(p.time_wait), static_cast<double>(*limit))) +
        " of tcp_max_tw_buckets (" + std::to_string(*limit) + "); the namespace holds " +
        std::to_string(all_time_wait) + " TIME_WAIT sockets in all");
  }
  f.evidence.push_back(
      "Cost: memory only, a minisocket of a few hundred bytes each with no file descriptor; no "
      "ephemeral ports, since accepted connections all use the listening port");

  f.facts = {{"port", int64_t{p.port}},
             {"time_wait", static_cast<int64_t>(p.time_wait)},
             {"closes_per_second", per_second},
             {"comm", listener != nullptr ? listener->owner_comm : std::string()},
             {"pid", int64_t{listener != nullptr ? listener->owner_pid : 0}},
             {"top_client", p.peers.empty() ? std::string() : EndpointText(p.peers[0].address, 0)},
             {"top_client_time_wait", static_cast<int64_t>(p.peers.empty() ? 0 : p.peers[0].count)},
             {"namespace_time_wait", static_cast<int64_t>(all_time_wait)}};
  if (limit) {
    f.facts.push_back({"tcp_max_tw_buckets", *limit});
    f.facts.push_back({"tw_buckets_percent",
                       Percent(static_cast<double>(p.time_wait), static_cast<double>(*limit))});
  }

  f.why = "This server closes the connections it accepted on port " + port +
          " before its clients do (for example HTTP `Connection: close` or an idle timeout), and "
          "the side that closes first keeps the connection in TIME_WAIT for 60 s. That costs "
          "a little memory per connection but no ports: accepted connections take none from "
          "ip_local_port_range.";
  f.fix.push_back(
      "In the server and its clients: keep connections open and reuse them (HTTP keep-alive "
      "instead of `Connection: close`, clients with a connection pool), so that far fewer "
      "connections are closed; or let the clients close first, which moves TIME_WAIT to their "
      "side (where it takes their ephemeral ports).");
  if (severity >= Severity::kWarning && limit) {
    f.fix.push_back(
        "This port alone holds a large share of tcp_max_tw_buckets: if the namespace reaches it, "
        "closing sockets skip TIME_WAIT and late segments get RSTs. Raise it, never lower it: " +
        SysctlFix("net.ipv4.tcp_max_tw_buckets", std::to_string(*limit * 2)) + ".");
  }
  f.fix.push_back(
      "Do not reach for other sysctls: tcp_tw_reuse only affects outgoing connect(), not "
      "connections accepted here; tcp_fin_timeout does not shorten TIME_WAIT (fixed at 60 s); "
      "tcp_tw_recycle was removed in Linux 4.12.");
  f.topics = {"TIME_WAIT", "net.ipv4.tcp_max_tw_buckets"};
  return f;
}

}  // namespace

Rule ServerActiveCloseRule() {
  return Rule{
      "server-active-close",
      "TIME_WAIT on a listening port: this server closes its connections first",
      {{"info_sockets", 1000, "TIME_WAIT sockets on one listening port for an info finding"},
       {"warning_percent", 25,
        "% of tcp_max_tw_buckets held by one listening port (and at least info_sockets) for a "
        "warning"}},
      [](const Snapshot& snapshot, const RuleSettings& settings) {
        const double info = settings.Get("info_sockets");
        const double warning = settings.Get("warning_percent");
        const auto limit = snapshot.sysctls.tcp_max_tw_buckets;
        std::vector<Finding> findings;
        for (const ListeningPortTimeWait& p : snapshot.listening_time_wait) {
          const auto count = static_cast<double>(p.time_wait);
          if (p.time_wait == 0 || count < info) continue;
          const bool warn =
              limit && *limit > 0 && Percent(count, static_cast<double>(*limit)) >= warning;
          findings.push_back(Check(snapshot, p, warn ? Severity::kWarning : Severity::kInfo));
        }
        return findings;
      }};
}

}  // namespace tcpdoctor
