#include "analyze/rules/close_wait_leak.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/process_sockets.h"
#include "analyze/rules/evidence_text.h"
#include "analyze/socket_owner.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "close-wait-leak";

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// "`/usr/sbin/app -x`, nginx.service, user www-data" (what is known).
std::string ProcessDetails(const ProcessInfo& p) {
  std::string text;
  const auto add = [&text](const std::string& part) {
    if (part.empty()) return;
    text += (text.empty() ? "" : ", ") + part;
  };
  if (!p.cmdline.empty()) add("`" + p.cmdline + "`");
  add(p.unit);
  if (!p.user.empty()) add("user " + p.user);
  return text;
}

std::string FdText(const ProcessInfo& p) {
  std::string text = "open fds: " + std::to_string(p.open_fds);
  if (const auto used = FdUsePercent(p)) {
    text += " of soft nofile " + std::to_string(*p.nofile_soft) + " (" + PercentText(*used) + ")";
    if (p.nofile_hard && *p.nofile_hard != kUnlimited) {
      text += ", hard " + std::to_string(*p.nofile_hard);
    }
  } else {
    text += p.nofile_soft ? " (nofile unlimited)" : " (nofile limit unknown)";
  }
  return text;
}

void AddFdFacts(const ProcessInfo& p, Finding& f) {
  f.facts.push_back({"open_fds", int64_t{p.open_fds}});
  if (p.nofile_soft && *p.nofile_soft != kUnlimited) {
    f.facts.push_back({"nofile_soft", static_cast<int64_t>(*p.nofile_soft)});
  }
  if (p.nofile_hard && *p.nofile_hard != kUnlimited) {
    f.facts.push_back({"nofile_hard", static_cast<int64_t>(*p.nofile_hard)});
  }
  if (const auto used = FdUsePercent(p)) f.facts.push_back({"fd_percent", *used});
}

void AddTopEndpoint(std::string_view name, const std::vector<EndpointCount>& endpoints,
                    Finding& f) {
  if (endpoints.empty()) return;
  const EndpointCount& top = endpoints.front();
  f.facts.push_back({std::string(name), EndpointText(top.address, top.port)});
  f.facts.push_back({std::string(name) + "_count", static_cast<int64_t>(top.count)});
  if (top.port != 0) f.facts.push_back({std::string(name) + "_port", int64_t{top.port}});
}

std::string RestartText(const ProcessInfo& p) {
  if (p.unit.ends_with(".service")) return "`systemctl restart " + p.unit + "`";
  return "restarting " + p.comm;
}

std::optional<Finding> CheckProcess(const Snapshot& s, const ProcessSnapshot& p,
                                    const RuleSettings& settings) {
  const uint64_t count = p.states.Get(TcpState::kCloseWait);
  if (count == 0 || static_cast<double>(count) < settings.Get("min_sockets")) return std::nullopt;

  // Evidence that these are not closes in progress.
  const double idle_s =
      p.close_wait_idle_ms ? static_cast<double>(*p.close_wait_idle_ms) / 1000.0 : 0;
  const bool idle = p.close_wait_idle_ms && idle_s >= settings.Get("min_idle_seconds");
  // New CLOSE_WAIT sockets arrived while older ones stayed for the whole interval.
  const uint64_t fresh = std::min(p.close_wait_new, count);
  const uint64_t stayed = count - fresh;
  const bool growing = s.two_samples() && fresh > 0 &&
                       static_cast<double>(fresh) >= settings.Get("min_growth") && stayed > 0;
  const bool many = static_cast<double>(count) >= settings.Get("many_sockets");
  if (!idle && !growing && !many) return std::nullopt;

  const ProcessInfo& info = p.info;
  const std::optional<double> fd_used = FdUsePercent(info);
  const bool near_fd_limit = fd_used && *fd_used >= settings.Get("fd_percent_critical");
  const bool huge = static_cast<double>(count) >= settings.Get("critical_sockets");

  Finding f;
  f.id = std::string(kId);
  f.severity = near_fd_limit || huge ? Severity::kCritical : Severity::kWarning;
  const std::string label = ProcessLabel(info);
  f.subject = label;
  f.title = label +
            " is leaking CLOSE_WAIT sockets: " + Plural(count, "connection", "connections") +
            " its peers closed are still open";
  if (near_fd_limit) f.title += ", at " + PercentText(*fd_used) + " of its fd limit";

  std::string holds = label + " holds " + Plural(count, "socket", "sockets") + " in CLOSE_WAIT";
  if (const std::string details = ProcessDetails(info); !details.empty()) {
    holds += " (" + details + ")";
  }
  f.evidence.push_back(holds);
  if (s.two_samples()) {
    f.evidence.push_back("+" + std::to_string(fresh) + " in " + DurationText(s.interval_seconds) +
                         " (new since the first sample), " + std::to_string(stayed) +
                         " stayed in CLOSE_WAIT the whole interval");
  }
  if (p.close_wait_idle_ms) {
    f.evidence.push_back("no data received for " + DurationText(idle_s) +
                         " on the oldest (tcp_info last receive)");
  }
  if (!p.close_wait_peers.empty()) {
    f.evidence.push_back("peers: " + EndpointsText(p.close_wait_peers));
  }
  if (!p.close_wait_local.empty()) {
    f.evidence.push_back("local: " + EndpointsText(p.close_wait_local));
  }
  f.evidence.push_back(FdText(info));

  f.facts.push_back({"pid", int64_t{info.pid}});
  f.facts.push_back({"comm", info.comm});
  if (!info.unit.empty()) f.facts.push_back({"unit", info.unit});
  f.facts.push_back({"close_wait", static_cast<int64_t>(count)});
  f.facts.push_back({"sockets", static_cast<int64_t>(p.states.Total())});
  if (s.two_samples()) {
    f.facts.push_back({"close_wait_new", static_cast<int64_t>(fresh)});
    f.facts.push_back({"interval_seconds", s.interval_seconds});
  }
  if (p.close_wait_idle_ms) {
    f.facts.push_back({"close_wait_idle_ms", static_cast<int64_t>(*p.close_wait_idle_ms)});
  }
  AddTopEndpoint("top_peer", p.close_wait_peers, f);
  AddTopEndpoint("top_local", p.close_wait_local, f);
  AddFdFacts(info, f);

  f.why = "The peers closed these connections (they sent FIN) and " + info.comm +
          " has not called close() on its side. The kernel has no timeout for CLOSE_WAIT: each "
          "socket keeps its file descriptor until the process closes it or exits";
  f.why += near_fd_limit ? ", and this process is close to its limit: next come 'Too many open "
                           "files' (EMFILE) errors, e.g. from accept()."
                         : ".";

  f.fix.push_back(
      "In the application: when read()/recv() returns 0 (EOF) or an error, close() the socket, "
      "on every path (error paths and timeouts too); a connection pool must drop connections "
      "the other side has closed instead of keeping them idle.");
  std::string where =
      "Find the code path from the connections: `tcpdoctor top --by peer "
      "--state close-wait --pid " +
      std::to_string(info.pid) + "`";
  if (!p.close_wait_local.empty()) {
    const EndpointCount& local = p.close_wait_local.front();
    where += local.port != 0
                 ? " (they were accepted on " + EndpointText(local.address, local.port) + ")"
                 : "";
  }
  f.fix.push_back(where + ".");
  f.fix.push_back(
      "Not a sysctl matter: no kernel setting shortens CLOSE_WAIT (tcp_fin_timeout only limits "
      "orphaned FIN_WAIT2 sockets).");
  std::string stopgap = "Stopgap only: " + RestartText(info) +
                        " releases them; they come back "
                        "until the code is fixed";
  if (near_fd_limit) stopgap += ", and raising its nofile limit only buys time";
  f.fix.push_back(stopgap + ".");
  f.topics = {"CLOSE_WAIT"};
  return f;
}

// CLOSE_WAIT that no process can be named for: still in an accept queue, or held by processes
// we could not read.
void CheckUnattributed(const Snapshot& s, const RuleSettings& settings, std::vector<Finding>& out) {
  const double min_sockets = settings.Get("min_sockets");
  if (s.close_wait_not_accepted > 0 &&
      static_cast<double>(s.close_wait_not_accepted) >= min_sockets) {
    const uint64_t n = s.close_wait_not_accepted;
    Finding f;
    f.id = std::string(kId);
    f.severity = Severity::kWarning;
    f.subject = "accept queues";
    f.title = Plural(n, "connection", "connections") +
              " closed by their clients before the application accepted them";
    f.evidence.push_back(Plural(n, "socket", "sockets") +
                         " in CLOSE_WAIT are still in a listener's accept queue (no process "
                         "has accept()ed them)");
    f.facts.push_back({"close_wait_not_accepted", static_cast<int64_t>(n)});
    f.why =
        "Clients connected, sent their FIN and gave up while the connection waited in the "
        "accept queue: the application accepts too slowly. The kernel has no timeout for "
        "CLOSE_WAIT; they leave the queue only when accepted (then closed) or when the listener "
        "closes.";
    f.fix.push_back(
        "In the application: accept() faster (more accepting threads or workers, no blocking "
        "work in the accept loop); `tcpdoctor listeners -i 5` shows which listener is behind.");
    f.fix.push_back("Not a sysctl matter: no kernel setting shortens CLOSE_WAIT.");
    f.topics = {"CLOSE_WAIT"};
    out.push_back(std::move(f));
  }
  if (s.close_wait_hidden > 0 && static_cast<double>(s.close_wait_hidden) >= min_sockets) {
    const uint64_t n = s.close_wait_hidden;
    Finding f;
    f.id = std::string(kId);
    f.severity = static_cast<double>(n) >= settings.Get("many_sockets") ? Severity::kWarning
                                                                        : Severity::kInfo;
    f.subject = "unreadable processes";
    f.title = Plural(n, "CLOSE_WAIT socket", "CLOSE_WAIT sockets") +
              " held by processes tcpdoctor could not read";
    std::string line = Plural(n, "socket", "sockets") +
                       " in CLOSE_WAIT have a file but no readable process holds them";
    if (s.unreadable_processes > 0) {
      line += " (" + Plural(s.unreadable_processes, "process", "processes") + " unreadable)";
    }
    f.evidence.push_back(line);
    f.facts.push_back({"close_wait_hidden", static_cast<int64_t>(n)});
    f.facts.push_back({"unreadable_processes", int64_t{s.unreadable_processes}});
    f.why =
        "The peers closed these connections and their process has not called close(); the "
        "kernel has no timeout for CLOSE_WAIT. Without access to the process's /proc/PID/fd "
        "tcpdoctor cannot say which process, how long or how fast.";
    f.fix.push_back(
        "Run tcpdoctor as root (or as the owning user) to name the process, then fix it to "
        "close() sockets after read() returns 0 (EOF).");
    f.fix.push_back("Not a sysctl matter: no kernel setting shortens CLOSE_WAIT.");
    f.topics = {"CLOSE_WAIT"};
    out.push_back(std::move(f));
  }
}

}  // namespace

Rule CloseWaitLeakRule() {
  return Rule{
      std::string_view(kId),
      "CLOSE_WAIT sockets piling up in a process (the application does not close after "
      "reading EOF)",
      {
          {"min_sockets", 10,
           "CLOSE_WAIT sockets a process must hold before it is reported (also for those still "
           "in accept queues or held by unreadable processes)"},
          {"min_idle_seconds", 30,
           "the oldest CLOSE_WAIT socket has received no data for this long: a leak, not a "
           "close in progress"},
          {"min_growth", 1,
           "new CLOSE_WAIT sockets over the interval, while older ones stayed, that show a leak "
           "growing"},
          {"many_sockets", 100,
           "this many CLOSE_WAIT sockets in one process is a leak even without age or growth"},
          {"critical_sockets", 1000, "critical from this many CLOSE_WAIT sockets in one process"},
          {"fd_percent_critical", 80,
           "critical when the leaking process also uses this % of its soft nofile limit"},
      },
      [](const Snapshot& s, const RuleSettings& settings) {
        std::vector<Finding> findings;
        for (const ProcessSnapshot& p : s.processes) {
          if (auto f = CheckProcess(s, p, settings)) findings.push_back(std::move(*f));
        }
        CheckUnattributed(s, settings, findings);
        return findings;
      }};
}

}  // namespace tcpdoctor
