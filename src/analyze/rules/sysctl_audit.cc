#include "analyze/rules/sysctl_audit.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "sysctl-audit";
// net.core.somaxconn's default since 5.4 (128 before).
constexpr int64_t kModernSomaxconn = 4096;

Finding New(Severity severity, std::string subject, std::string title) {
  Finding f;
  f.id = std::string(kId);
  f.severity = severity;
  f.subject = std::move(subject);
  f.title = std::move(title);
  return f;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Whether a comment talks about TIME_WAIT: "TIME_WAIT", "time wait", "time-wait", "timewait".
bool MentionsTimeWait(std::string_view comment) {
  std::string text = Lower(comment);
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '_' || c == '-'; }, ' ');
  return text.find("time wait") != std::string::npos || text.find("timewait") != std::string::npos;
}

bool MentionsSynQueue(std::string_view comment) {
  const std::string text = Lower(comment);
  return text.find("syn") != std::string::npos || comment.find("半连接") != std::string_view::npos;
}

std::string Where(const SysctlSetting& s) { return s.file + ":" + std::to_string(s.line); }

void AddLocation(Finding& f, const SysctlSetting& s) {
  f.facts.push_back({"file", s.file});
  f.facts.push_back({"line", int64_t{s.line}});
  f.facts.push_back({"key", s.key});
  f.facts.push_back({"value", s.value});
}

// The setting that wins for each key, in file order of the winners.
std::vector<const Snapshot::ConfiguredSysctl*> Effective(const Snapshot& s) {
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < s.sysctl_config.size(); ++i) last[s.sysctl_config[i].setting.key] = i;
  std::vector<const Snapshot::ConfiguredSysctl*> out;
  for (size_t i = 0; i < s.sysctl_config.size(); ++i) {
    if (last[s.sysctl_config[i].setting.key] == i) out.push_back(&s.sysctl_config[i]);
  }
  return out;
}

const SysctlSetting* EffectiveSetting(const Snapshot& s, std::string_view key) {
  const SysctlSetting* found = nullptr;
  for (const Snapshot::ConfiguredSysctl& c : s.sysctl_config) {
    if (c.setting.key == key) found = &c.setting;
  }
  return found;
}

// The most used outgoing destination, if it is at `percent` of its port range or more.
const DestinationPorts* BusyDestination(const Snapshot& s, double percent) {
  const DestinationPorts* best = nullptr;
  for (const DestinationPorts& d : s.destinations) {
    if (d.PercentUsed() >= percent && (best == nullptr || d.PercentUsed() > best->PercentUsed())) {
      best = &d;
    }
  }
  return best;
}

std::string DestinationText(const DestinationPorts& d) {
  return EndpointText(d.local, 0) + " -> " + EndpointText(d.remote, d.remote_port) + ": " +
         std::to_string(d.in_use) + " ports of " + std::to_string(d.range_size) + " (" +
         PercentText(d.PercentUsed()) + "), " + std::to_string(d.time_wait) + " in TIME_WAIT";
}

bool Overflowing(const Snapshot& s) {
  const auto inc = s.Increase("TcpExt.ListenOverflows");
  return inc && *inc > 0;
}

// --- Live values -----------------------------------------------------------------------------

void CheckSomaxconn(const Snapshot& s, std::vector<Finding>& findings) {
  if (!s.sysctls.somaxconn) return;
  const int64_t somaxconn = *s.sysctls.somaxconn;
  // The overflow counters are per namespace: they point at a capped listener only when no
  // listener is full now (else the full ones explain them).
  const bool none_full = std::none_of(s.listeners.begin(), s.listeners.end(),
                                      [](const ListenerQueue& l) { return l.FullNow(); });
  std::vector<const ListenerQueue*> capped;
  std::vector<const ListenerQueue*> hurting;
  for (const ListenerQueue& l : s.listeners) {
    if (!l.CappedBy(somaxconn)) continue;
    capped.push_back(&l);
    if (l.FullNow() || l.samples_full > 0 || (none_full && Overflowing(s))) hurting.push_back(&l);
  }
  if (capped.empty()) return;
  const bool warn = !hurting.empty();
  if (!warn && somaxconn >= kModernSomaxconn) return;
  const auto& list = warn ? hurting : capped;
  Finding f = New(warn ? Severity::kWarning : Severity::kInfo, "net.core.somaxconn",
                  "net.core.somaxconn = " + std::to_string(somaxconn) + " caps " +
                      std::to_string(list.size()) + " listener" + (list.size() == 1 ? "" : "s") +
                      (warn ? " whose accept queue overflows" : " below what they ask for"));
  for (size_t i = 0; i < list.size() && i < 3; ++i) {
    const ListenerQueue& l = *list[i];
    f.evidence.push_back(
        EndpointText(l.address, l.port) +
        (l.owner_pid != 0 ? " (" + l.owner_comm + "[" + std::to_string(l.owner_pid) + "])" : "") +
        ": backlog " + std::to_string(l.backlog) + " = somaxconn, accept queue " +
        std::to_string(l.accept_queue) + (l.FullNow() ? ", FULL" : ""));
  }
  if (list.size() > 3) f.evidence.push_back("... and " + std::to_string(list.size() - 3) + " more");
  if (const auto inc = s.Increase("TcpExt.ListenOverflows"); inc && *inc > 0) {
    f.evidence.push_back("ListenOverflows +" + std::to_string(*inc) + " in " +
                         DurationText(s.interval_seconds));
  }
  const ListenerQueue& first = *list.front();
  f.facts.push_back({"key", std::string("net.core.somaxconn")});
  f.facts.push_back({"somaxconn", somaxconn});
  f.facts.push_back({"capped_listeners", static_cast<int64_t>(capped.size())});
  f.facts.push_back({"overflowing_listeners", static_cast<int64_t>(hurting.size())});
  f.facts.push_back({"listener", EndpointText(first.address, first.port)});
  f.facts.push_back({"comm", first.owner_comm});
  f.facts.push_back({"pid", int64_t{first.owner_pid}});
  f.why =
      "listen() gets min(its argument, net.core.somaxconn), clamped when it is called: these "
      "applications asked for at least " +
      std::to_string(somaxconn) + " and got exactly that" +
      (warn ? ", and their queues overflow." : "; the kernel default is 4096 since 5.4.");
  const std::string want = std::to_string(std::max<int64_t>(kModernSomaxconn, 2 * somaxconn));
  f.fix.push_back("Raise it: " + SysctlFix("net.core.somaxconn", want) + ".");
  f.fix.push_back(
      "Then restart the applications (they must call listen() again) with a backlog that large; "
      "the value only matters at listen() time.");
  f.topics = {"net.core.somaxconn", "ListenOverflows"};
  findings.push_back(std::move(f));
}

void CheckSyncookies(const Snapshot& s, std::vector<Finding>& findings) {
  if (s.sysctls.tcp_syncookies != 0 || s.listeners.empty()) return;
  const auto drops = s.Increase("TcpExt.TCPReqQFullDrop");
  const ListenerQueue* full = nullptr;
  for (const ListenerQueue& l : s.listeners) {
    if (l.backlog_known && l.syn_recv > 0 && l.syn_recv > l.backlog) full = &l;
  }
  const bool pressure = (drops && *drops > 0) || full != nullptr;
  Finding f = New(pressure ? Severity::kWarning : Severity::kInfo, "net.ipv4.tcp_syncookies",
                  pressure ? "Syncookies are off and SYNs meet a full SYN queue"
                           : "Syncookies are off on a host with listeners");
  f.evidence.push_back("net.ipv4.tcp_syncookies = 0 (default 1); " +
                       std::to_string(s.listeners.size()) + " listener" +
                       (s.listeners.size() == 1 ? "" : "s"));
  if (drops && *drops > 0) {
    f.evidence.push_back("TCPReqQFullDrop +" + std::to_string(*drops) + " in " +
                         DurationText(s.interval_seconds) + ": SYNs dropped");
    f.facts.push_back({"req_q_full_drop", static_cast<int64_t>(*drops)});
  }
  if (full != nullptr) {
    f.evidence.push_back(EndpointText(full->address, full->port) + ": SYN_RECV " +
                         std::to_string(full->syn_recv) + ", SYN queue full (backlog " +
                         std::to_string(full->backlog) + ")");
    f.facts.push_back({"listener", EndpointText(full->address, full->port)});
  }
  f.facts.push_back({"key", std::string("net.ipv4.tcp_syncookies")});
  f.facts.push_back({"syncookies", int64_t{0}});
  f.facts.push_back({"listeners", static_cast<int64_t>(s.listeners.size())});
  f.why =
      "With syncookies off, a SYN that finds a listener's SYN queue full (listen backlog + 1 "
      "entries, and 3/4 of tcp_max_syn_backlog for new peers) is dropped; with the default 1, "
      "cookies are sent only then and the connection still succeeds.";
  f.fix.push_back("Turn them back on: " + SysctlFix("net.ipv4.tcp_syncookies", "1") + ".");
  f.topics = {"net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog", "TCPReqQFullDrop"};
  findings.push_back(std::move(f));
}

void CheckTwReuse(const Snapshot& s, const RuleSettings& settings, std::vector<Finding>& findings) {
  if (s.sysctls.tcp_tw_reuse != 0) return;
  const DestinationPorts* d = BusyDestination(s, settings.Get("tw_reuse_destination_percent"));
  if (d == nullptr) return;
  Finding f =
      New(Severity::kWarning, "net.ipv4.tcp_tw_reuse",
          "tcp_tw_reuse is off while connections to " + EndpointText(d->remote, d->remote_port) +
              " use " + PercentText(d->PercentUsed()) + " of the port range");
  f.evidence.push_back("net.ipv4.tcp_tw_reuse = 0 (default 2: loopback only)");
  f.evidence.push_back(DestinationText(*d));
  f.facts.push_back({"key", std::string("net.ipv4.tcp_tw_reuse")});
  f.facts.push_back({"tcp_tw_reuse", int64_t{0}});
  f.facts.push_back({"destination", EndpointText(d->remote, d->remote_port)});
  f.facts.push_back({"local", EndpointText(d->local, 0)});
  f.facts.push_back({"ports_in_use", static_cast<int64_t>(d->in_use)});
  f.facts.push_back({"time_wait", static_cast<int64_t>(d->time_wait)});
  f.facts.push_back({"range_size", int64_t{d->range_size}});
  f.facts.push_back({"percent_used", d->PercentUsed()});
  f.why =
      "With tcp_tw_reuse = 0, connect() cannot take over a TIME_WAIT port toward the same "
      "destination, so each port stays spent for the full 60 s of TIME_WAIT. Reuse affects only "
      "outgoing connections, never a server's inbound ones.";
  f.fix.push_back("On this client: " + SysctlFix("net.ipv4.tcp_tw_reuse", "1") +
                  " (it needs net.ipv4.tcp_timestamps = 1).");
  f.topics = {"net.ipv4.tcp_tw_reuse", "TIME_WAIT", "net.ipv4.ip_local_port_range"};
  findings.push_back(std::move(f));
}

// What tcp_max_tw_buckets would be by default, as far as the snapshot tells: tcp_max_orphans
// has the same default (half the established hash), unless someone set that too.
std::optional<int64_t> TwBucketsReference(const Snapshot& s) {
  if (s.sysctls.tcp_max_orphans && EffectiveSetting(s, "net.ipv4.tcp_max_orphans") == nullptr) {
    return s.sysctls.tcp_max_orphans;
  }
  return std::nullopt;
}

// Whether `value` is a lowered tcp_max_tw_buckets, and the sentence that says against what.
std::optional<std::string> TwBucketsLowered(const Snapshot& s, const RuleSettings& settings,
                                            int64_t value) {
  if (const auto ref = TwBucketsReference(s)) {
    if (value < *ref) {
      return "below net.ipv4.tcp_max_orphans = " + std::to_string(*ref) +
             ", which has the same default (half the size of the connection hash table)";
    }
    return std::nullopt;
  }
  const auto floor = static_cast<int64_t>(settings.Get("tw_buckets_floor"));
  if (value < floor) {
    return "below " + std::to_string(floor) +
           ", the default of a host with 1 GiB of memory (it is half the connection hash table, "
           "which has one slot per 128 KiB)";
  }
  return std::nullopt;
}

constexpr std::string_view kTwBucketsWhy =
    "When TIME_WAIT reaches tcp_max_tw_buckets, closing connections skip TIME_WAIT "
    "(TCPTimeWaitOverflow), and late segments of those connections get resets; the kernel "
    "documentation says not to lower it.";

void CheckTwBuckets(const Snapshot& s, const RuleSettings& settings,
                    std::vector<Finding>& findings) {
  // Live value.
  const SysctlSetting* file = EffectiveSetting(s, "net.ipv4.tcp_max_tw_buckets");
  const std::optional<int64_t> parsed = file != nullptr ? ParseInt(file->value) : std::nullopt;
  const bool in_file = parsed.has_value();
  const int64_t file_value = parsed.value_or(0);
  const bool live_known = s.sysctls.tcp_max_tw_buckets.has_value();
  const int64_t live = s.sysctls.tcp_max_tw_buckets.value_or(0);
  if (live_known) {
    const int64_t value = live;
    if (const auto lowered = TwBucketsLowered(s, settings, value)) {
      const uint64_t tw = s.states.Get(TcpState::kTimeWait);
      const double percent = Percent(static_cast<double>(tw), static_cast<double>(value));
      const auto overflow = s.Increase("TcpExt.TCPTimeWaitOverflow");
      const bool hurts =
          percent >= settings.Get("tw_buckets_near_percent") || (overflow && *overflow > 0);
      Finding f = New(hurts ? Severity::kWarning : Severity::kInfo, "net.ipv4.tcp_max_tw_buckets",
                      "tcp_max_tw_buckets has been lowered to " + std::to_string(value) +
                          (hurts ? " and TIME_WAIT is at it" : ""));
      f.evidence.push_back("net.ipv4.tcp_max_tw_buckets = " + std::to_string(value) + ", " +
                           *lowered);
      f.evidence.push_back("TIME_WAIT now: " + std::to_string(tw) + " (" + PercentText(percent) +
                           " of it)");
      if (overflow && *overflow > 0) {
        f.evidence.push_back("TCPTimeWaitOverflow +" + std::to_string(*overflow) + " in " +
                             DurationText(s.interval_seconds));
      }
      if (in_file && file_value == value) {
        f.evidence.push_back("set in " + Where(*file));
        AddLocation(f, *file);
      } else {
        f.facts.push_back({"key", std::string("net.ipv4.tcp_max_tw_buckets")});
      }
      f.facts.push_back({"tcp_max_tw_buckets", value});
      f.facts.push_back({"time_wait", static_cast<int64_t>(tw)});
      f.why = std::string(kTwBucketsWhy);
      const std::string want = std::to_string(TwBucketsReference(s).value_or(
          std::max<int64_t>(static_cast<int64_t>(settings.Get("tw_buckets_floor")), value * 4)));
      f.fix.push_back("Raise it back" + std::string(file != nullptr ? " and delete the line" : "") +
                      ": " + SysctlFix("net.ipv4.tcp_max_tw_buckets", want) +
                      ". TIME_WAIT sockets are small; to have fewer, reuse connections "
                      "(keep-alive, pools) instead.");
      f.topics = {"net.ipv4.tcp_max_tw_buckets", "TCPTimeWaitOverflow", "TIME_WAIT"};
      findings.push_back(std::move(f));
      if (in_file && file_value == value) return;
    }
  }
  // A file value that is not the live one (another namespace, or not applied yet).
  if (in_file && (!live_known || file_value != live)) {
    if (const auto lowered = TwBucketsLowered(s, settings, file_value)) {
      Finding f = New(Severity::kWarning, Where(*file),
                      Where(*file) + " lowers tcp_max_tw_buckets to " + file->value);
      f.evidence.push_back(Where(*file) + ": net.ipv4.tcp_max_tw_buckets = " + file->value + ", " +
                           *lowered);
      AddLocation(f, *file);
      f.why = std::string(kTwBucketsWhy);
      f.fix.push_back(
          "Delete the line; to have fewer TIME_WAIT sockets, reuse connections "
          "(keep-alive, pools) instead.");
      f.topics = {"net.ipv4.tcp_max_tw_buckets", "TCPTimeWaitOverflow"};
      findings.push_back(std::move(f));
    }
  }
}

void CheckAbortOnOverflow(const Snapshot& s, std::vector<Finding>& findings) {
  if (s.sysctls.tcp_abort_on_overflow.value_or(0) == 0) return;
  const auto overflows = s.Increase("TcpExt.ListenOverflows");
  const bool resetting = overflows && *overflows > 0;
  Finding f =
      New(resetting ? Severity::kWarning : Severity::kInfo, "net.ipv4.tcp_abort_on_overflow",
          resetting ? "tcp_abort_on_overflow is on: clients of full listeners get resets"
                    : "tcp_abort_on_overflow is on");
  f.evidence.push_back("net.ipv4.tcp_abort_on_overflow = " +
                       std::to_string(*s.sysctls.tcp_abort_on_overflow) + " (default 0)");
  if (resetting) {
    f.evidence.push_back("ListenOverflows +" + std::to_string(*overflows) + " in " +
                         DurationText(s.interval_seconds) + ": those handshakes were reset");
  }
  f.facts.push_back({"key", std::string("net.ipv4.tcp_abort_on_overflow")});
  f.facts.push_back({"tcp_abort_on_overflow", *s.sysctls.tcp_abort_on_overflow});
  f.why =
      "When an accept queue is full, the kernel answers the client's final ACK with a reset "
      "instead of letting the handshake retry: a short burst becomes connection errors. The "
      "kernel documentation advises enabling it only if you are sure the listener cannot be "
      "tuned to accept faster.";
  f.fix.push_back("Turn it off: " + SysctlFix("net.ipv4.tcp_abort_on_overflow", "0") +
                  "; fix slow accepting or small backlogs in the application instead.");
  f.topics = {"net.ipv4.tcp_abort_on_overflow", "ListenOverflows"};
  findings.push_back(std::move(f));
}

void CheckTimestamps(const Snapshot& s, const RuleSettings& settings,
                     std::vector<Finding>& findings) {
  if (s.sysctls.tcp_timestamps != 0) return;
  const DestinationPorts* d = BusyDestination(s, settings.Get("tw_reuse_destination_percent"));
  Finding f = New(d != nullptr ? Severity::kWarning : Severity::kInfo, "net.ipv4.tcp_timestamps",
                  "TCP timestamps are off, which also disables tcp_tw_reuse");
  f.evidence.push_back("net.ipv4.tcp_timestamps = 0 (default 1)");
  if (d != nullptr) f.evidence.push_back(DestinationText(*d));
  f.facts.push_back({"key", std::string("net.ipv4.tcp_timestamps")});
  f.facts.push_back({"tcp_timestamps", int64_t{0}});
  if (d != nullptr) {
    f.facts.push_back({"destination", EndpointText(d->remote, d->remote_port)});
    f.facts.push_back({"percent_used", d->PercentUsed()});
  }
  f.why =
      "connect() may take over a TIME_WAIT port (tcp_tw_reuse) only if the old connection used "
      "timestamps; without them every port stays spent for the 60 s of TIME_WAIT, and PAWS "
      "cannot protect connections against old duplicate segments.";
  f.fix.push_back("Turn them back on: " + SysctlFix("net.ipv4.tcp_timestamps", "1") + ".");
  f.topics = {"net.ipv4.tcp_timestamps", "net.ipv4.tcp_tw_reuse"};
  findings.push_back(std::move(f));
}

// --- Files -----------------------------------------------------------------------------------

// Keys that are global: absent in a child namespace although the kernel has them.
bool GlobalKey(std::string_view key) {
  static const std::vector<std::string_view> kGlobal = {
      "net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans", "net.ipv4.tcp_low_latency",
      "net.ipv4.tcp_available_ulp"};
  return std::find(kGlobal.begin(), kGlobal.end(), key) != kGlobal.end();
}

// Whether a missing key says something about this kernel: TCP and port keys always, net.core
// only in the host's namespace (most of it is global). Other keys may belong to a module not
// loaded yet (bridge, conntrack) or an interface not up yet: not ours to judge.
bool AuditExistence(std::string_view key, bool child_netns) {
  if (key.find('*') != std::string_view::npos) return false;
  if (key.starts_with("net.ipv4.tcp_") || key.starts_with("net.ipv4.ip_local_")) {
    return !(child_netns && GlobalKey(key));
  }
  if (key.starts_with("net.core.")) return !child_netns || key == "net.core.somaxconn";
  return false;
}

void CheckFiles(const Snapshot& s, const RuleSettings& settings, std::vector<Finding>& findings) {
  const bool child_netns = !s.sysctls.tcp_max_orphans;
  for (const Snapshot::ConfiguredSysctl* c : Effective(s)) {
    const SysctlSetting& set = c->setting;
    const std::string where = Where(set);
    if (set.key == "net.ipv4.tcp_tw_recycle") {
      if (!c->exists) {
        Finding f = New(set.ignore_failure ? Severity::kInfo : Severity::kWarning, where,
                        where + " sets net.ipv4.tcp_tw_recycle, which this kernel does not have");
        f.evidence.push_back(where + ": net.ipv4.tcp_tw_recycle = " + set.value +
                             (set.comment.empty() ? "" : "  (# " + set.comment + ")"));
        f.evidence.push_back(
            set.ignore_failure
                ? "the line starts with '-', so systemd-sysctl ignores the failure silently"
                : "systemd-sysctl cannot write it and logs \"Couldn't write ... No such file or "
                  "directory\" at every boot; `sysctl -p` exits 1 with \"cannot stat "
                  "/proc/sys/net/ipv4/tcp_tw_recycle\"");
        AddLocation(f, set);
        f.why =
            "tcp_tw_recycle was removed in Linux 4.12: its per-host timestamp check dropped "
            "SYNs from clients behind NAT. The line does nothing today, and whatever TIME_WAIT "
            "problem it was meant to fix is not being fixed.";
        f.fix.push_back(
            "Delete the line. For TIME_WAIT toward a destination, reuse connections "
            "(keep-alive, pools) or enable net.ipv4.tcp_tw_reuse on the client.");
        f.topics = {"net.ipv4.tcp_tw_recycle", "TIME_WAIT"};
        findings.push_back(std::move(f));
      } else if (set.value != "0") {
        Finding f = New(Severity::kWarning, where, where + " turns on net.ipv4.tcp_tw_recycle");
        f.evidence.push_back(where + ": net.ipv4.tcp_tw_recycle = " + set.value);
        AddLocation(f, set);
        f.why =
            "tcp_tw_recycle drops SYNs from clients behind NAT (their timestamps are not "
            "monotonic across hosts); it was removed in Linux 4.12 for that reason.";
        f.fix.push_back(
            "Turn it off now with `sysctl -w net.ipv4.tcp_tw_recycle=0` and delete the line. For "
            "TIME_WAIT toward a destination, reuse connections (keep-alive, pools) or enable "
            "net.ipv4.tcp_tw_reuse on the client.");
        f.topics = {"net.ipv4.tcp_tw_recycle", "TIME_WAIT"};
        findings.push_back(std::move(f));
      }
      continue;
    }
    if (!c->exists && !set.ignore_failure && AuditExistence(set.key, child_netns)) {
      Finding f = New(Severity::kInfo, where,
                      where + " sets " + set.key + ", which this kernel " + "does not have");
      f.evidence.push_back(where + ": " + set.key + " = " + set.value);
      f.evidence.push_back("no /proc/sys entry for it: the setting has no effect");
      AddLocation(f, set);
      f.why =
          "The kernel has no such key (a removed, renamed or misspelt setting), so the line "
          "does nothing; systemd-sysctl logs a failure to write it at every boot.";
      f.fix.push_back(
          "Delete or correct the line (a leading '-' makes systemd ignore a missing "
          "key quietly).");
      findings.push_back(std::move(f));
      continue;
    }
    if (set.key == "net.ipv4.tcp_fin_timeout" && MentionsTimeWait(set.comment)) {
      const DestinationPorts* d = BusyDestination(s, settings.Get("tw_reuse_destination_percent"));
      Finding f = New(d != nullptr ? Severity::kWarning : Severity::kInfo, where,
                      where + ": tcp_fin_timeout does not shorten TIME_WAIT (fixed at 60 s)");
      f.evidence.push_back(where + ": net.ipv4.tcp_fin_timeout = " + set.value +
                           ", under the "
                           "comment \"" +
                           set.comment + "\"");
      if (d != nullptr) {
        f.evidence.push_back("TIME_WAIT matters here: " + DestinationText(*d));
      }
      AddLocation(f, set);
      f.facts.push_back({"time_wait", static_cast<int64_t>(s.states.Get(TcpState::kTimeWait))});
      f.why =
          "TIME_WAIT always lasts 60 s (TCP_TIMEWAIT_LEN); no sysctl changes it. "
          "tcp_fin_timeout only limits how long a connection the application has already closed "
          "waits in FIN_WAIT2 for the peer's FIN.";
      f.fix.push_back(
          "Correct the comment (the value is harmless for FIN_WAIT2). To have fewer TIME_WAIT "
          "sockets, reuse connections (keep-alive, pools); on a client short of ports, "
          "net.ipv4.tcp_tw_reuse = 1 lets connect() take over TIME_WAIT ports.");
      f.topics = {"net.ipv4.tcp_fin_timeout", "TIME_WAIT", "FIN_WAIT2"};
      findings.push_back(std::move(f));
      continue;
    }
    if (set.key == "net.ipv4.tcp_max_syn_backlog" && MentionsSynQueue(set.comment) &&
        s.sysctls.tcp_syncookies.value_or(1) != 0) {
      Finding f = New(Severity::kInfo, where,
                      where + ": tcp_max_syn_backlog is not used while syncookies are on");
      f.evidence.push_back(where + ": net.ipv4.tcp_max_syn_backlog = " + set.value +
                           ", under the comment \"" + set.comment + "\"");
      f.evidence.push_back("net.ipv4.tcp_syncookies = " +
                           std::to_string(s.sysctls.tcp_syncookies.value_or(1)));
      AddLocation(f, set);
      f.why =
          "A listener's SYN queue holds its listen backlog + 1 entries; tcp_max_syn_backlog "
          "only matters when tcp_syncookies = 0 (new peers are then refused past 3/4 of it).";
      f.fix.push_back(
          "Correct the comment or delete the line; to enlarge a SYN queue, give the application "
          "a larger listen() backlog (and net.core.somaxconn if it caps it).");
      f.topics = {"net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_syncookies", "SYN_RECV"};
      findings.push_back(std::move(f));
    }
  }
}

std::vector<Finding> Check(const Snapshot& s, const RuleSettings& settings) {
  std::vector<Finding> findings;
  CheckSomaxconn(s, findings);
  CheckSyncookies(s, findings);
  CheckTwReuse(s, settings, findings);
  CheckTwBuckets(s, settings, findings);
  CheckAbortOnOverflow(s, findings);
  CheckTimestamps(s, settings, findings);
  CheckFiles(s, settings, findings);
  return findings;
}

}  // namespace

Rule SysctlAuditRule() {
  return Rule{
      kId,
      "Sysctls that hurt given what the snapshot shows, and sysctl files that do not do what they "
      "claim",
      {{"tw_reuse_destination_percent", 50,
        "a destination at this % of its port range makes tcp_tw_reuse=0 (or timestamps off) a "
        "warning"},
       {"tw_buckets_floor", 4096,
        "tcp_max_tw_buckets below this counts as lowered when tcp_max_orphans (same default) is "
        "not readable"},
       {"tw_buckets_near_percent", 80,
        "TIME_WAIT at this % of a lowered tcp_max_tw_buckets makes it a warning"}},
      Check};
}

}  // namespace tcpdoctor
