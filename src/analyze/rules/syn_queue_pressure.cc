#include "analyze/rules/syn_queue_pressure.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "syn-queue-pressure";

std::string OwnerText(const ListenerQueue& l) {
  if (l.owner_pid == 0) return "no process tcpdoctor could read";
  return l.owner_comm + "[" + std::to_string(l.owner_pid) + "]";
}

bool CookiesOff(const Snapshot& s) { return s.sysctls.tcp_syncookies == 0; }

// How many request sockets the listener's SYN queue takes before the kernel sends cookies or
// drops: backlog + 1 (inet_csk_reqsk_queue_is_full tests '>'); with syncookies off, SYNs from
// peers without TCP metrics are also dropped once the queue is past 3/4 of
// tcp_max_syn_backlog, i.e. it then holds at most max - max/4 + 1 (kernel-facts §3).
uint64_t SynLimit(const ListenerQueue& l, const Snapshot& s, bool* by_max_syn_backlog = nullptr) {
  uint64_t limit = static_cast<uint64_t>(l.backlog) + 1;
  if (by_max_syn_backlog != nullptr) *by_max_syn_backlog = false;
  if (CookiesOff(s) && s.sysctls.tcp_max_syn_backlog && *s.sysctls.tcp_max_syn_backlog > 0) {
    const auto max = static_cast<uint64_t>(*s.sysctls.tcp_max_syn_backlog);
    const uint64_t by_max = max - (max >> 2) + 1;
    if (by_max < limit) {
      limit = by_max;
      if (by_max_syn_backlog != nullptr) *by_max_syn_backlog = true;
    }
  }
  return limit;
}

bool Full(const ListenerQueue& l, const Snapshot& s) {
  return l.backlog_known && l.syn_recv > 0 && l.syn_recv >= SynLimit(l, s);
}

bool UnderPressure(const ListenerQueue& l, const Snapshot& s, const RuleSettings& settings) {
  if (!l.backlog_known || l.syn_recv == 0) return false;
  if (Full(l, s)) return true;
  return static_cast<double>(l.syn_recv) >= settings.Get("min_syn_recv") &&
         Percent(l.syn_recv, static_cast<double>(SynLimit(l, s))) >= settings.Get("near_percent");
}

double SynFill(const ListenerQueue& l, const Snapshot& s) {
  return l.backlog_known ? Percent(l.syn_recv, static_cast<double>(SynLimit(l, s))) : 0;
}

struct Counters {
  std::optional<uint64_t> drops;  // TCPReqQFullDrop
  std::optional<double> drop_rate;
  std::optional<uint64_t> cookies;  // TCPReqQFullDoCookies
  std::optional<double> cookie_rate;
  std::optional<uint64_t> cookies_sent;  // SyncookiesSent
  bool dropping = false;
  bool cookies_rising = false;
};

Counters ReadCounters(const Snapshot& s) {
  Counters c;
  c.drops = s.Increase("TcpExt.TCPReqQFullDrop");
  c.drop_rate = s.RatePerSecond("TcpExt.TCPReqQFullDrop");
  c.cookies = s.Increase("TcpExt.TCPReqQFullDoCookies");
  c.cookie_rate = s.RatePerSecond("TcpExt.TCPReqQFullDoCookies");
  c.cookies_sent = s.Increase("TcpExt.SyncookiesSent");
  c.dropping = c.drops && *c.drops > 0;
  c.cookies_rising = c.cookies && *c.cookies > 0;
  return c;
}

Severity Worse(Severity a, Severity b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// `l` is the listener the finding is about (nullptr: none to name); `with_counters`: the
// namespace's SYN-queue counters are reported in this finding.
Finding MakeFinding(const Snapshot& s, const RuleSettings& settings, const ListenerQueue* l,
                    bool with_counters, const Counters& c) {
  Finding f;
  f.id = std::string(kId);
  const bool cookies_off = CookiesOff(s);
  const std::string where = l != nullptr ? EndpointText(l->address, l->port) : "";
  const std::string interval = DurationText(s.interval_seconds);
  const bool full = l != nullptr && Full(*l, s);
  const bool pressure = l != nullptr && UnderPressure(*l, s, settings);

  // Severity: a full or nearly full SYN queue is a warning when SYNs beyond it are dropped
  // (syncookies off) and information when cookies take over; counters raise it by rate.
  Severity severity = Severity::kInfo;
  if (pressure && cookies_off) severity = Severity::kWarning;
  if (with_counters && c.dropping) {
    severity = Worse(severity, c.drop_rate && *c.drop_rate >= settings.Get("critical_per_second")
                                   ? Severity::kCritical
                                   : Severity::kWarning);
  }
  if (with_counters && c.cookies_rising && c.cookie_rate &&
      *c.cookie_rate >= settings.Get("cookies_warning_per_second")) {
    severity = Worse(severity, Severity::kWarning);
  }
  f.severity = severity;

  // Subject and title.
  if (l != nullptr) {
    f.subject = where;
    if (pressure) {
      f.title = where + " (" + OwnerText(*l) + "): SYN queue " + (full ? "full" : "nearly full") +
                (cookies_off ? ", and syncookies are off: further SYNs are dropped"
                             : ": further SYNs are answered with syncookies");
    } else {
      f.title = (c.dropping ? "SYNs dropped at a full SYN queue, most likely at "
                            : "SYN queue overflowed into syncookies, most likely at ") +
                where + " (" + OwnerText(*l) + ")";
    }
  } else {
    f.subject = c.dropping ? "TCPReqQFullDrop" : "TCPReqQFullDoCookies";
    f.title = c.dropping ? "SYNs dropped at a full SYN queue"
                         : "A full SYN queue overflowed into syncookies";
  }

  // Evidence.
  if (l != nullptr) {
    bool by_max = false;
    const uint64_t limit = SynLimit(*l, s, &by_max);
    std::string line = where + " held by " + OwnerText(*l) + ": " + std::to_string(l->syn_recv) +
                       " half-open (SYN_RECV) of " + std::to_string(limit) + " (listen backlog " +
                       std::to_string(l->backlog) + "; the SYN queue holds backlog+1)";
    f.evidence.push_back(line);
    if (by_max) {
      f.evidence.push_back("with syncookies off, net.ipv4.tcp_max_syn_backlog = " +
                           std::to_string(*s.sysctls.tcp_max_syn_backlog) + " lowers that to " +
                           std::to_string(limit) +
                           " for new peers (SYNs are dropped past 3/4 of it)");
    }
    f.evidence.push_back("accept queue " + std::to_string(l->accept_queue) + " of " +
                         std::to_string(static_cast<uint64_t>(l->backlog) + 1));
  }
  if (with_counters && c.drops && (c.dropping || !c.cookies_rising)) {
    std::string line = "TCPReqQFullDrop +" + std::to_string(*c.drops) + " in " + interval;
    if (c.drop_rate) line += " (" + RateText(*c.drop_rate) + ")";
    line += ": SYNs dropped because a SYN queue was full";
    f.evidence.push_back(line);
  }
  if (with_counters && c.cookies_rising) {
    std::string line = "TCPReqQFullDoCookies +" + std::to_string(*c.cookies) + " in " + interval;
    if (c.cookie_rate) line += " (" + RateText(*c.cookie_rate) + ")";
    line += ": SYNs that found a SYN queue full and were to be answered with a cookie";
    if (c.cookies_sent) line += "; SyncookiesSent +" + std::to_string(*c.cookies_sent);
    f.evidence.push_back(line);
    if (l != nullptr && l->FullNow()) {
      f.evidence.push_back(
          "its accept queue is full as well: such SYNs are dropped before a cookie is sent "
          "(ListenOverflows, see accept-queue-overflow)");
    }
  }
  if (with_counters && l != nullptr && !pressure) {
    f.evidence.push_back("the counters are per namespace, not per listener: " + where +
                         (s.listeners.size() == 1
                              ? " is the only listener"
                              : " has the fullest SYN queue of the " +
                                    std::to_string(s.listeners.size()) + " listeners"));
  }
  if (s.sysctls.tcp_syncookies) {
    f.evidence.push_back("net.ipv4.tcp_syncookies = " + std::to_string(*s.sysctls.tcp_syncookies) +
                         (cookies_off ? " (off: a full SYN queue drops SYNs)"
                                      : " (a full SYN queue is bypassed with cookies)"));
  }

  // Facts.
  if (l != nullptr) {
    f.facts.push_back({"listener", where});
    f.facts.push_back({"port", int64_t{l->port}});
    f.facts.push_back({"comm", l->owner_comm});
    f.facts.push_back({"pid", int64_t{l->owner_pid}});
    f.facts.push_back({"syn_recv", int64_t{l->syn_recv}});
    f.facts.push_back({"syn_queue_limit", static_cast<int64_t>(SynLimit(*l, s))});
    f.facts.push_back({"backlog", int64_t{l->backlog}});
    f.facts.push_back({"accept_queue", int64_t{l->accept_queue}});
    f.facts.push_back({"full_now", int64_t{full ? 1 : 0}});
  }
  if (s.sysctls.tcp_syncookies) f.facts.push_back({"syncookies", *s.sysctls.tcp_syncookies});
  if (cookies_off && s.sysctls.tcp_max_syn_backlog) {
    f.facts.push_back({"tcp_max_syn_backlog", *s.sysctls.tcp_max_syn_backlog});
  }
  if (with_counters) {
    if (c.drops) f.facts.push_back({"req_q_full_drop", static_cast<int64_t>(*c.drops)});
    if (c.drop_rate) f.facts.push_back({"req_q_full_drop_per_second", *c.drop_rate});
    if (c.cookies) f.facts.push_back({"req_q_full_do_cookies", static_cast<int64_t>(*c.cookies)});
    if (c.cookie_rate) f.facts.push_back({"req_q_full_do_cookies_per_second", *c.cookie_rate});
    if (c.cookies_sent) {
      f.facts.push_back({"syncookies_sent", static_cast<int64_t>(*c.cookies_sent)});
    }
  }

  // Why.
  const std::string queue =
      "Each half-open connection waits in the listener's SYN queue until the client's final ACK; "
      "the queue holds listen backlog + 1 entries.";
  f.why = cookies_off ? queue +
                            " With net.ipv4.tcp_syncookies = 0 a SYN that finds it full is "
                            "dropped, and the client waits for its SYN retransmits (1 s, 3 s, 7 s "
                            "...) or gives up."
                      : queue +
                            " Beyond it the kernel answers with syncookies, so clients still "
                            "connect; handshakes that do not complete keep it full: a SYN flood, "
                            "final ACKs lost on the way, or a TCP_DEFER_ACCEPT listener holding "
                            "clients that have sent no data yet.";

  // Fix: the application first.
  const std::string app = l != nullptr && l->owner_pid != 0 ? l->owner_comm : "the server";
  f.fix.push_back("Give " + app +
                  " a larger listen() backlog (up to net.core.somaxconn): it sizes the SYN queue "
                  "as well as the accept queue; restart it after the change.");
  if (cookies_off) {
    f.fix.push_back(
        "Turn syncookies back on: `sysctl -w net.ipv4.tcp_syncookies=1` and, to keep it, "
        "`net.ipv4.tcp_syncookies = 1` in /etc/sysctl.d/90-tcpdoctor.conf (cookies are used only "
        "when the SYN queue is full).");
  } else {
    f.fix.push_back(
        "Raising net.ipv4.tcp_max_syn_backlog does not help: with syncookies on it is not used; "
        "the listen backlog caps the SYN queue.");
  }
  f.fix.push_back(
      "If it is a flood (many sources whose handshakes never complete), rate-limit SYNs or "
      "filter the sources in the firewall or upstream.");

  f.topics = {"SYN_RECV",       "TCPReqQFullDrop",         "TCPReqQFullDoCookies",
              "SyncookiesSent", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog"};
  return f;
}

std::vector<Finding> Check(const Snapshot& s, const RuleSettings& settings) {
  std::vector<const ListenerQueue*> pressed;
  for (const ListenerQueue& l : s.listeners) {
    if (UnderPressure(l, s, settings)) pressed.push_back(&l);
  }
  // Fullest SYN queue first: it gets the namespace's counters.
  std::stable_sort(pressed.begin(), pressed.end(),
                   [&s](const ListenerQueue* a, const ListenerQueue* b) {
                     return SynFill(*a, s) > SynFill(*b, s);
                   });
  const Counters c = ReadCounters(s);
  // Cookies with tcp_syncookies = 2 are sent for every SYN, not for a full queue: only
  // TCPReqQFullDoCookies says the queue overflowed, and it is what we read.
  const bool counters_matter = c.dropping || c.cookies_rising;
  std::vector<Finding> findings;
  for (size_t i = 0; i < pressed.size(); ++i) {
    findings.push_back(MakeFinding(s, settings, pressed[i], i == 0 && counters_matter, c));
  }
  if (pressed.empty() && counters_matter) {
    const ListenerQueue* fullest = nullptr;
    for (const ListenerQueue& l : s.listeners) {
      if (l.syn_recv > 0 && (fullest == nullptr || SynFill(l, s) > SynFill(*fullest, s))) {
        fullest = &l;
      }
    }
    if (fullest == nullptr && s.listeners.size() == 1) fullest = &s.listeners.front();
    findings.push_back(MakeFinding(s, settings, fullest, true, c));
  }
  return findings;
}

}  // namespace

Rule SynQueuePressureRule() {
  return Rule{
      kId,
      "SYN_RECV near a listener's backlog, SYN queue drops, syncookies off",
      {{"near_percent", 80, "SYN_RECV at this % of what the SYN queue holds counts as nearly full"},
       {"min_syn_recv", 16,
        "fewer SYN_RECV than this never count as nearly full (a full queue does)"},
       {"critical_per_second", 10, "TCPReqQFullDrop per second that make it critical"},
       {"cookies_warning_per_second", 100,
        "TCPReqQFullDoCookies per second that make it a warning rather than information"}},
      Check};
}

}  // namespace tcpdoctor
