#include "analyze/rules/accept_queue_overflow.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "accept-queue-overflow";

// Why the queue overflows, as far as the snapshot tells.
enum class Cause {
  kSlowAccept,    // full with a normal backlog: the application does not keep up
  kSmallBacklog,  // listen() asked for a small backlog
  kSomaxconnCap,  // listen() asked for more and net.core.somaxconn capped it
  kBursts,        // normal backlog that drains between samples: bursts larger than it
  kUnknown,       // no backlog (the /proc path) or no listener to blame
};

std::string_view CauseName(Cause c) {
  switch (c) {
    case Cause::kSlowAccept:
      return "slow_accept";
    case Cause::kSmallBacklog:
      return "small_backlog";
    case Cause::kSomaxconnCap:
      return "somaxconn_cap";
    case Cause::kBursts:
      return "bursts";
    case Cause::kUnknown:
      break;
  }
  return "unknown";
}

// How the overflow counters point at a listener that is not full now.
enum class Blame { kFullNow, kOnlyListener, kFullest, kNone };

std::string_view BlameName(Blame b) {
  switch (b) {
    case Blame::kFullNow:
      return "full_now";
    case Blame::kOnlyListener:
      return "only_listener";
    case Blame::kFullest:
      return "fullest";
    case Blame::kNone:
      break;
  }
  return "none";
}

std::string OwnerText(const ListenerQueue& l) {
  if (l.owner_pid == 0) return "no process tcpdoctor could read";
  std::string text = l.owner_comm + "[" + std::to_string(l.owner_pid) + "]";
  if (l.owner_processes > 1) {
    text += " and " + std::to_string(l.owner_processes - 1) + " more process" +
            (l.owner_processes > 2 ? "es" : "");
  }
  return text;
}

std::string Name(const ListenerQueue& l) {
  return l.owner_pid == 0 ? std::string("the application") : l.owner_comm;
}

uint32_t Peak(const ListenerQueue& l) { return std::max(l.peak_accept_queue, l.accept_queue); }

// The peak queue against what the queue holds (backlog + 1).
double PeakFill(const ListenerQueue& l) {
  return l.backlog_known ? Percent(Peak(l), static_cast<double>(l.backlog) + 1) : 0;
}

// The listener the namespace's overflow counters most likely come from when none is full now:
// the fullest during the interval, then the smallest backlog.
const ListenerQueue* Fullest(const std::vector<ListenerQueue>& listeners) {
  const ListenerQueue* best = nullptr;
  for (const ListenerQueue& l : listeners) {
    if (best == nullptr || PeakFill(l) > PeakFill(*best) ||
        (PeakFill(l) == PeakFill(*best) && l.backlog < best->backlog)) {
      best = &l;
    }
  }
  return best;
}

std::string Subject(const ListenerQueue& l, const std::vector<ListenerQueue>& all) {
  std::string subject = EndpointText(l.address, l.port);
  const auto same = std::count_if(all.begin(), all.end(), [&l](const ListenerQueue& o) {
    return o.port == l.port && o.address == l.address;
  });
  // SO_REUSEPORT: several listeners on one address and port.
  if (same > 1) subject += " (inode " + std::to_string(l.inode) + ")";
  return subject;
}

struct Counters {
  std::optional<uint64_t> overflows;
  std::optional<double> rate;
  std::optional<uint64_t> drops;
  bool overflowing = false;
  bool critical = false;
};

Counters ReadCounters(const Snapshot& s, const RuleSettings& settings) {
  Counters c;
  c.overflows = s.Increase("TcpExt.ListenOverflows");
  c.rate = s.RatePerSecond("TcpExt.ListenOverflows");
  c.drops = s.Increase("TcpExt.ListenDrops");
  c.overflowing = c.overflows && *c.overflows > 0 &&
                  static_cast<double>(*c.overflows) >= settings.Get("min_overflows");
  c.critical = c.overflowing && c.rate && *c.rate >= settings.Get("critical_per_second");
  return c;
}

Cause CauseOf(const ListenerQueue& l, const Snapshot& s, const RuleSettings& settings) {
  if (!l.backlog_known) return Cause::kUnknown;
  if (l.CappedBy(s.sysctls.somaxconn)) return Cause::kSomaxconnCap;
  if (static_cast<double>(l.backlog) < settings.Get("small_backlog")) return Cause::kSmallBacklog;
  if (l.FullNow()) return Cause::kSlowAccept;
  return Cause::kBursts;
}

// What to set somaxconn to when it capped a listener: the 5.4+ default, or twice the value.
int64_t SuggestedSomaxconn(int64_t somaxconn) { return std::max<int64_t>(4096, 2 * somaxconn); }

Finding MakeFinding(const Snapshot& s, const RuleSettings& settings, const ListenerQueue* l,
                    Blame blame, size_t full_listeners, const Counters& c) {
  Finding f;
  f.id = std::string(kId);
  f.severity = c.critical ? Severity::kCritical : Severity::kWarning;
  const Cause cause = l != nullptr ? CauseOf(*l, s, settings) : Cause::kUnknown;
  const std::string where = l != nullptr ? EndpointText(l->address, l->port) : "";
  const std::string interval = DurationText(s.interval_seconds);

  // Title.
  if (l == nullptr) {
    f.subject = "ListenOverflows";
    f.title = "Connections were dropped at a full accept queue (no listener is left to blame)";
  } else {
    f.subject = Subject(*l, s.listeners);
    if (blame == Blame::kFullNow) {
      f.title = where + " (" + OwnerText(*l) + "): accept queue full" +
                (c.overflowing ? ", connections are being dropped"
                               : ", the next connections will be dropped");
    } else {
      f.title = "Connections dropped at a full accept queue, " +
                std::string(blame == Blame::kOnlyListener ? "at " : "most likely at ") + where +
                " (" + OwnerText(*l) + ")";
    }
  }

  // Evidence.
  if (l != nullptr) {
    std::string line =
        where + " held by " + OwnerText(*l) + ": accept queue " + std::to_string(l->accept_queue);
    if (l->backlog_known) {
      line += " of " + std::to_string(static_cast<uint64_t>(l->backlog) + 1) + " (listen backlog " +
              std::to_string(l->backlog) + ", the queue holds backlog+1)";
    }
    if (l->FullNow()) line += ", FULL";
    f.evidence.push_back(line);
    if (l->samples > 1) {
      f.evidence.push_back("sampled " + std::to_string(l->samples) + " times over " + interval +
                           ": full in " + std::to_string(l->samples_full) + ", peak " +
                           std::to_string(Peak(*l)));
    }
    if (l->backlog_known && s.sysctls.somaxconn) {
      const std::string somax = "net.core.somaxconn = " + std::to_string(*s.sysctls.somaxconn);
      f.evidence.push_back(
          "backlog " + std::to_string(l->backlog) + " = min(listen() argument, " + somax + ")" +
          (cause == Cause::kSomaxconnCap
               ? ": somaxconn capped it (the application asked for at least that much)"
               : ": the application asked for " + std::to_string(l->backlog)));
    }
    if (l->syn_recv > 0) {
      f.evidence.push_back("half-open (SYN_RECV) connections waiting: " +
                           std::to_string(l->syn_recv));
    }
  }
  if (c.overflows) {
    std::string line = "ListenOverflows +" + std::to_string(*c.overflows) + " in " + interval;
    if (c.rate) line += " (" + RateText(*c.rate) + ")";
    if (c.drops) line += ", ListenDrops +" + std::to_string(*c.drops);
    line += ": handshakes dropped because an accept queue was full";
    f.evidence.push_back(line);
  }
  if (c.overflowing) {
    if (blame == Blame::kFullNow && full_listeners > 1) {
      f.evidence.push_back(
          "the counters are per namespace, not per listener: " + std::to_string(full_listeners) +
          " listeners are full now and share them");
    } else if (blame == Blame::kOnlyListener) {
      f.evidence.push_back(
          "the counters are per namespace, not per listener; this is the only listener, though "
          "not full at the last sample");
    } else if (blame == Blame::kFullest && l != nullptr) {
      f.evidence.push_back("the counters are per namespace, not per listener: of " +
                           std::to_string(s.listeners.size()) +
                           " listeners none is full now; the fullest during the interval was " +
                           where + " (peak " + std::to_string(Peak(*l)) + " of " +
                           std::to_string(static_cast<uint64_t>(l->backlog) + 1) + ")");
    }
  }

  // Facts.
  if (l != nullptr) {
    f.facts.push_back({"listener", where});
    f.facts.push_back({"port", int64_t{l->port}});
    f.facts.push_back({"comm", l->owner_comm});
    f.facts.push_back({"pid", int64_t{l->owner_pid}});
    f.facts.push_back({"processes", int64_t{l->owner_processes}});
    f.facts.push_back({"accept_queue", int64_t{l->accept_queue}});
    if (l->backlog_known) f.facts.push_back({"backlog", int64_t{l->backlog}});
    f.facts.push_back({"full_now", int64_t{l->FullNow() ? 1 : 0}});
    f.facts.push_back({"peak_accept_queue", int64_t{Peak(*l)}});
    f.facts.push_back({"samples", int64_t{l->samples}});
    f.facts.push_back({"samples_full", int64_t{l->samples_full}});
    f.facts.push_back({"syn_recv", int64_t{l->syn_recv}});
    f.facts.push_back({"capped_by_somaxconn", int64_t{l->CappedBy(s.sysctls.somaxconn) ? 1 : 0}});
  }
  if (s.sysctls.somaxconn) f.facts.push_back({"somaxconn", *s.sysctls.somaxconn});
  f.facts.push_back({"cause", std::string(CauseName(cause))});
  f.facts.push_back({"blame", std::string(BlameName(blame))});
  if (c.overflows) f.facts.push_back({"listen_overflows", static_cast<int64_t>(*c.overflows)});
  if (c.rate) f.facts.push_back({"listen_overflows_per_second", *c.rate});
  if (c.drops) f.facts.push_back({"listen_drops", static_cast<int64_t>(*c.drops)});

  // Why.
  const std::string queue_size =
      l != nullptr ? std::to_string(static_cast<uint64_t>(l->backlog) + 1) : "";
  const std::string effect =
      " When it is full the kernel drops new handshakes and clients wait for their SYN "
      "retransmits (1 s, 3 s, 7 s ...) or give up.";
  switch (cause) {
    case Cause::kSlowAccept:
      f.why = Name(*l) + " calls accept() more slowly than clients connect: its queue of " +
              queue_size + " is full although the backlog is not small." + effect;
      break;
    case Cause::kSmallBacklog:
      f.why = "listen() asked for a backlog of only " + std::to_string(l->backlog) +
              ", so the queue holds " + queue_size + " connections and " +
              (l->FullNow() ? "fills as soon as " + Name(*l) + " falls behind."
                            : "a burst larger than that overflows it.") +
              effect;
      break;
    case Cause::kSomaxconnCap:
      f.why = "The backlog is min(listen() argument, net.core.somaxconn): somaxconn capped what " +
              Name(*l) + " asked for at " + std::to_string(l->backlog) + ", and " +
              (l->FullNow() ? "the queue is full." : "bursts overflow it.") + effect;
      break;
    case Cause::kBursts:
      f.why = "The queue drains between samples, so " + Name(*l) +
              " keeps up on average, but bursts larger than " + queue_size +
              " connections overflow it." + effect;
      break;
    case Cause::kUnknown:
      f.why =
          "An accept queue (connections that finished the handshake and wait for accept()) "
          "was full." +
          effect;
      break;
  }

  // Fix: the application first.
  const std::string app = l != nullptr ? Name(*l) : std::string("the server");
  if (cause == Cause::kSlowAccept || cause == Cause::kUnknown || l == nullptr || l->FullNow()) {
    f.fix.push_back("Make " + app +
                    " accept faster: more accept threads or worker processes, accept() in a loop "
                    "until EAGAIN on every wakeup, and no slow work (TLS, DNS, database calls) on "
                    "the accepting thread.");
  }
  if (cause == Cause::kSmallBacklog || cause == Cause::kBursts || cause == Cause::kSlowAccept ||
      cause == Cause::kUnknown) {
    f.fix.push_back(
        "Give listen() a larger backlog to absorb bursts (e.g. 1024 or more; Java's default is "
        "50, nginx's 511: `listen ... backlog=N`), then restart " +
        app + "; the effective backlog is min(listen() argument, net.core.somaxconn).");
  }
  if (cause == Cause::kSomaxconnCap && s.sysctls.somaxconn) {
    const int64_t want = SuggestedSomaxconn(*s.sysctls.somaxconn);
    f.fix.push_back(
        "Raise net.core.somaxconn: `sysctl -w net.core.somaxconn=" + std::to_string(want) +
        "` and, to keep it, `net.core.somaxconn = " + std::to_string(want) +
        "` in /etc/sysctl.d/90-tcpdoctor.conf.");
    f.fix.push_back("Then " + app +
                    " must call listen() again (restart it) with a backlog at least that large: "
                    "the backlog is clamped when listen() is called.");
  }
  f.fix.push_back(
      "Do not turn on net.ipv4.tcp_abort_on_overflow: it only turns the drops into resets that "
      "clients see as errors, and the kernel documentation advises against it.");

  f.topics = {"ListenOverflows", "ListenDrops", "net.core.somaxconn",
              "net.ipv4.tcp_abort_on_overflow"};
  return f;
}

std::vector<Finding> Check(const Snapshot& s, const RuleSettings& settings) {
  std::vector<Finding> findings;
  const Counters c = ReadCounters(s, settings);
  const size_t full = static_cast<size_t>(std::count_if(
      s.listeners.begin(), s.listeners.end(), [](const ListenerQueue& l) { return l.FullNow(); }));
  for (const ListenerQueue& l : s.listeners) {
    if (l.FullNow()) findings.push_back(MakeFinding(s, settings, &l, Blame::kFullNow, full, c));
  }
  if (full == 0 && c.overflowing) {
    const ListenerQueue* l = Fullest(s.listeners);
    const Blame blame = l == nullptr              ? Blame::kNone
                        : s.listeners.size() == 1 ? Blame::kOnlyListener
                                                  : Blame::kFullest;
    findings.push_back(MakeFinding(s, settings, l, blame, 0, c));
  }
  return findings;
}

}  // namespace

Rule AcceptQueueOverflowRule() {
  return Rule{
      kId,
      "A listener's accept queue full, or ListenOverflows/ListenDrops rising",
      {{"min_overflows", 1,
        "ListenOverflows increase over the interval that counts as overflowing (warning)"},
       {"critical_per_second", 10, "ListenOverflows per second that make it critical"},
       {"small_backlog", 128,
        "a listen backlog below this is called too small rather than the accepts too slow"}},
      Check};
}

}  // namespace tcpdoctor
