#include "analyze/rules/fd_exhaustion.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "analyze/process_sockets.h"
#include "analyze/rules/evidence_text.h"
#include "analyze/socket_owner.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "fd-exhaustion";
// What the fixes suggest as a new soft limit at least: a common server setting.
constexpr uint64_t kSuggestedNofile = 65536;

std::optional<Severity> SeverityFor(double percent, const RuleSettings& settings) {
  if (percent >= settings.Get("critical_percent")) return Severity::kCritical;
  if (percent >= settings.Get("warning_percent")) return Severity::kWarning;
  return std::nullopt;
}

// A soft (and hard) limit to suggest: at least double the current one, at least 65536, within
// fs.nr_open when it is known.
uint64_t SuggestedLimit(uint64_t soft, std::optional<int64_t> nr_open) {
  uint64_t want = std::max<uint64_t>(soft * 2, kSuggestedNofile);
  if (nr_open && *nr_open > 0) want = std::min(want, static_cast<uint64_t>(*nr_open));
  return want;
}

std::optional<Finding> CheckProcess(const Snapshot& s, const ProcessSnapshot& p,
                                    const RuleSettings& settings) {
  const ProcessInfo& info = p.info;
  const std::optional<double> used = FdUsePercent(info);
  if (!used) return std::nullopt;
  const std::optional<Severity> severity = SeverityFor(*used, settings);
  if (!severity) return std::nullopt;

  const uint64_t soft = *info.nofile_soft;
  // 0 when unknown or unlimited.
  const uint64_t hard = info.nofile_hard && *info.nofile_hard != kUnlimited ? *info.nofile_hard : 0;
  const uint64_t close_wait = p.states.Get(TcpState::kCloseWait);
  const double close_wait_share = Percent(static_cast<double>(close_wait), info.open_fds);
  const bool leak = close_wait > 0 && close_wait_share >= settings.Get("close_wait_share_percent");
  const uint64_t left = soft > info.open_fds ? soft - info.open_fds : 0;

  Finding f;
  f.id = std::string(kId);
  f.severity = *severity;
  const std::string label = ProcessLabel(info);
  f.subject = label;
  f.title = label + " is at " + PercentText(*used) + " of its open-file limit (" +
            std::to_string(info.open_fds) + " of " + std::to_string(soft) + ")";
  if (leak) f.title += ", mostly CLOSE_WAIT sockets";

  std::string line = "open fds: " + std::to_string(info.open_fds) + " of soft nofile " +
                     std::to_string(soft) + " (" + PercentText(*used) + "), " +
                     std::to_string(left) + " left";
  if (hard != 0) {
    line += "; hard limit " + std::to_string(hard);
  } else if (info.nofile_hard) {
    line += "; hard limit unlimited";
  }
  f.evidence.push_back(line);
  std::string who;
  if (!info.cmdline.empty()) who += "`" + info.cmdline + "`";
  if (!info.unit.empty()) who += (who.empty() ? "" : ", ") + info.unit;
  if (!info.user.empty()) who += (who.empty() ? "" : ", ") + ("user " + info.user);
  if (!who.empty()) f.evidence.push_back(label + ": " + who);
  std::string sockets = "TCP sockets here: " + std::to_string(p.states.Total());
  if (close_wait > 0) {
    sockets += ", of which " + std::to_string(close_wait) + " in CLOSE_WAIT (" +
               PercentText(close_wait_share) + " of its fds)";
  }
  f.evidence.push_back(sockets);

  f.facts.push_back({"pid", int64_t{info.pid}});
  f.facts.push_back({"comm", info.comm});
  if (!info.unit.empty()) f.facts.push_back({"unit", info.unit});
  f.facts.push_back({"open_fds", int64_t{info.open_fds}});
  f.facts.push_back({"nofile_soft", static_cast<int64_t>(soft)});
  if (hard != 0) f.facts.push_back({"nofile_hard", static_cast<int64_t>(hard)});
  f.facts.push_back({"fd_percent", *used});
  f.facts.push_back({"sockets", static_cast<int64_t>(p.states.Total())});
  f.facts.push_back({"close_wait", static_cast<int64_t>(close_wait)});
  f.facts.push_back({"close_wait_percent_of_fds", close_wait_share});

  f.why = info.comm + " has used " + PercentText(*used) +
          " of its soft RLIMIT_NOFILE; when it reaches the limit, open() and accept() fail "
          "with EMFILE ('Too many open files') and new connections wait or are refused.";
  if (leak) {
    f.why +=
        " Most of its fds are CLOSE_WAIT sockets it never closed: the limit is the "
        "symptom, the leak is the cause.";
  }

  if (leak) {
    f.fix.push_back(
        "Fix the leak first (see close-wait-leak): the application must close() "
        "sockets after read() returns 0 (EOF); a higher limit only delays the "
        "failure.");
  } else {
    f.fix.push_back("Check that the application closes what it opens (`ls -l /proc/" +
                    std::to_string(info.pid) +
                    "/fd` shows what the fds are); if the load really needs them, raise the "
                    "limit.");
  }
  const uint64_t want = SuggestedLimit(soft, s.sysctls.nr_open);
  const uint64_t want_hard = std::max(want, hard);
  const std::string pair = std::to_string(want) + ":" + std::to_string(want_hard);
  if (info.unit.ends_with(".service")) {
    f.fix.push_back("Raise it for the service: `systemctl edit " + info.unit +
                    "`, add `LimitNOFILE=" + pair + "` under [Service], then restart it.");
  } else if (info.unit.starts_with("docker:")) {
    f.fix.push_back("Raise it for the container: start it with `docker run --ulimit nofile=" +
                    pair + "` (or `ulimits` in compose).");
  } else {
    f.fix.push_back("Raise it where the process is started: `ulimit -n " + std::to_string(want) +
                    "` in its start script, or `LimitNOFILE=" + pair + "` in its systemd unit.");
  }
  if (hard != 0 && soft < hard) {
    f.fix.push_back("Right now, without a restart: `prlimit --pid " + std::to_string(info.pid) +
                    " --nofile=" + std::to_string(hard) + ":" + std::to_string(hard) +
                    "` raises the soft limit to the hard one.");
  } else {
    f.fix.push_back("Right now, without a restart (as root): `prlimit --pid " +
                    std::to_string(info.pid) + " --nofile=" + pair + "`.");
  }
  if (s.sysctls.nr_open && *s.sysctls.nr_open > 0) {
    const int64_t nr_open = *s.sysctls.nr_open;
    if (soft * 2 > static_cast<uint64_t>(nr_open)) {
      const std::string raised = std::to_string(nr_open * 2);
      f.fix.push_back("The hard limit cannot exceed fs.nr_open (" + std::to_string(nr_open) +
                      " here); to go beyond it: `sysctl -w fs.nr_open=" + raised +
                      "`, and `fs.nr_open = " + raised + "` in /etc/sysctl.d/90-nofile.conf.");
    } else {
      f.fix.push_back("The hard limit cannot exceed fs.nr_open (" + std::to_string(nr_open) +
                      " here).");
    }
  }
  f.topics = {"fs.nr_open"};
  if (close_wait > 0) f.topics.insert(f.topics.begin(), "CLOSE_WAIT");
  return f;
}

// The host's file table: fs.file-nr's allocated handles against fs.file-max.
std::optional<Finding> CheckHost(const Snapshot& s, const RuleSettings& settings) {
  if (!s.sysctls.file_nr) return std::nullopt;
  const int64_t allocated = s.sysctls.file_nr->allocated;
  const int64_t max = s.sysctls.file_max.value_or(s.sysctls.file_nr->max);
  if (max <= 0 || allocated < 0) return std::nullopt;
  const double used = Percent(static_cast<double>(allocated), static_cast<double>(max));
  const std::optional<Severity> severity = SeverityFor(used, settings);
  if (!severity) return std::nullopt;

  Finding f;
  f.id = std::string(kId);
  f.severity = *severity;
  f.subject = "fs.file-max";
  f.title = "The host has used " + PercentText(used) + " of its open-file table (fs.file-max)";
  f.evidence.push_back("fs.file-nr: " + std::to_string(allocated) +
                       " file handles allocated of "
                       "fs.file-max " +
                       std::to_string(max) + " (" + PercentText(used) + ")");
  f.facts.push_back({"file_handles", allocated});
  f.facts.push_back({"file_max", max});
  f.facts.push_back({"file_percent", used});
  f.why =
      "fs.file-max limits open files for the whole host (containers included, it is not "
      "namespaced); at the limit every open(), socket() and accept() fails with ENFILE "
      "('Too many open files in system').";
  f.fix.push_back(
      "Find who holds the files (`tcpdoctor procs` lists open fds per process) and "
      "fix leaks, such as sockets left in CLOSE_WAIT.");
  const int64_t want = max > std::numeric_limits<int64_t>::max() / 2 ? max : max * 2;
  f.fix.push_back("Raise the limit: `sysctl -w fs.file-max=" + std::to_string(want) +
                  "`, and `fs.file-max = " + std::to_string(want) +
                  "` in /etc/sysctl.d/90-file-max.conf to keep it.");
  f.topics = {"fs.file-max"};
  return f;
}

}  // namespace

Rule FdExhaustionRule() {
  return Rule{std::string_view(kId),
              "A process near its nofile limit, or the host near fs.file-max",
              {
                  {"warning_percent", 80,
                   "warning when a process's open fds reach this % of its soft nofile limit "
                   "(or the host's file handles this % of fs.file-max)"},
                  {"critical_percent", 95, "critical from this % (process or host)"},
                  {"close_wait_share_percent", 50,
                   "when CLOSE_WAIT sockets are at least this % of the process's fds, the limit "
                   "is a symptom of the leak"},
              },
              [](const Snapshot& s, const RuleSettings& settings) {
                std::vector<Finding> findings;
                for (const ProcessSnapshot& p : s.processes) {
                  if (auto f = CheckProcess(s, p, settings)) findings.push_back(std::move(*f));
                }
                if (auto f = CheckHost(s, settings)) findings.push_back(std::move(*f));
                return findings;
              }};
}

}  // namespace tcpdoctor
