#include "analyze/rules/close_pileup.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"
#include "analyze/socket_owner.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "close-pileup";

std::string Count(uint64_t n) { return std::to_string(n); }

// "the peers ...: 10.0.0.5 (600), ..." or nothing when unknown.
void AddPeers(Finding& f, const std::vector<EndpointCount>& peers, const std::string& what) {
  if (peers.empty()) return;
  f.evidence.push_back(what + ": " + EndpointsText(peers));
  f.facts.push_back({"top_peer", EndpointText(peers.front().address, peers.front().port)});
  f.facts.push_back({"top_peer_sockets", static_cast<int64_t>(peers.front().count)});
}

std::string FinTimeoutText(const Snapshot& s) {
  return s.sysctls.tcp_fin_timeout_s
             ? "net.ipv4.tcp_fin_timeout = " + std::to_string(*s.sysctls.tcp_fin_timeout_s) + " s"
             : "net.ipv4.tcp_fin_timeout";
}

// FIN_WAIT2 sockets an application still holds (after shutdown(SHUT_WR)): no timeout applies.
void CheckOwnedFinWait2(const Snapshot& s, const RuleSettings& settings,
                        std::vector<Finding>& findings) {
  const uint64_t total = s.states.Get(TcpState::kFinWait2);
  const uint64_t owned = total > s.fin_wait2_orphaned ? total - s.fin_wait2_orphaned : 0;
  const double min = std::max(1.0, settings.Get("fin_wait2_owned_min"));
  if (static_cast<double>(owned) < min) return;

  std::vector<const ProcessSnapshot*> holders;
  for (const ProcessSnapshot& p : s.processes) {
    if (p.states.Get(TcpState::kFinWait2) > 0) holders.push_back(&p);
  }
  std::stable_sort(holders.begin(), holders.end(),
                   [](const ProcessSnapshot* a, const ProcessSnapshot* b) {
                     return a->states.Get(TcpState::kFinWait2) > b->states.Get(TcpState::kFinWait2);
                   });
  std::vector<const ProcessSnapshot*> culprits;
  for (const ProcessSnapshot* p : holders) {
    if (static_cast<double>(p->states.Get(TcpState::kFinWait2)) >= min) culprits.push_back(p);
  }
  // One finding per process that holds enough; else one for the namespace naming the holders.
  const size_t n = culprits.empty() ? 1 : culprits.size();
  for (size_t i = 0; i < n; ++i) {
    const ProcessSnapshot* p = culprits.empty() ? nullptr : culprits[i];
    const uint64_t count = p != nullptr ? p->states.Get(TcpState::kFinWait2) : owned;
    Finding f;
    f.id = std::string(kId);
    f.severity = Severity::kWarning;
    if (p != nullptr) {
      const std::string label = ProcessLabel(p->info);
      f.subject = label;
      f.title = label + " holds " + Count(count) +
                " half-closed FIN_WAIT2 sockets whose peers never finish the close";
      f.evidence.push_back(label + ": " + Count(count) +
                           " FIN_WAIT2 sockets still open in the process (after shutdown())");
      f.facts.push_back({"comm", p->info.comm});
      f.facts.push_back({"pid", int64_t{p->info.pid}});
    } else {
      f.subject = "FIN_WAIT2";
      f.title = Count(owned) + " half-closed FIN_WAIT2 sockets whose peers never finish the close";
      std::string line = Count(owned) + " FIN_WAIT2 sockets still open in their processes";
      if (!holders.empty()) {
        line += "; held by ";
        for (size_t h = 0; h < holders.size() && h < 3; ++h) {
          line += (h > 0 ? ", " : "") + ProcessLabel(holders[h]->info) + " (" +
                  Count(holders[h]->states.Get(TcpState::kFinWait2)) + ")";
        }
        if (holders.size() > 3) line += ", ...";
      }
      f.evidence.push_back(line);
    }
    f.facts.push_back({"fin_wait2", static_cast<int64_t>(count)});
    f.facts.push_back({"fin_wait2_owned", static_cast<int64_t>(owned)});
    f.facts.push_back({"fin_wait2_orphaned", static_cast<int64_t>(s.fin_wait2_orphaned)});
    AddPeers(f, s.fin_wait2_peers, "peers of all FIN_WAIT2 sockets");
    f.evidence.push_back(FinTimeoutText(s) +
                         " does not apply: it limits only sockets the application has closed");
    f.why =
        "The application sent its FIN (shutdown(SHUT_WR)) and waits for the peer's, which never "
        "comes. A socket the application still holds stays in FIN_WAIT2 with no timeout, holding "
        "a file descriptor, until the application closes it.";
    f.fix.push_back(
        "In the application: after shutdown(), read until EOF with a timeout and close() the "
        "socket when the peer does not finish (or close() right away if no more data is "
        "expected). Once closed, the kernel ends it after tcp_fin_timeout.");
    f.fix.push_back(
        "Find why the peers do not close (evidence: their addresses): a client that keeps its "
        "end open, or a middlebox that dropped the connection.");
    f.topics = {"FIN_WAIT2", "net.ipv4.tcp_fin_timeout"};
    findings.push_back(std::move(f));
  }
}

// Orphaned FIN_WAIT2: closed by the application, waiting for the peer's FIN; tcp_fin_timeout
// ends them.
void CheckOrphanedFinWait2(const Snapshot& s, const RuleSettings& settings,
                           std::vector<Finding>& findings) {
  const uint64_t orphaned = s.fin_wait2_orphaned;
  if (orphaned == 0 || static_cast<double>(orphaned) < settings.Get("fin_wait2_orphaned_min")) {
    return;
  }
  Finding f;
  f.id = std::string(kId);
  f.severity = Severity::kInfo;
  f.subject = "FIN_WAIT2 (orphaned)";
  f.title = Count(orphaned) + " closed connections wait in FIN_WAIT2 for their peers' FIN";
  std::string line = Count(orphaned) + " FIN_WAIT2 sockets that no process holds any more";
  if (s.sysctls.tcp_fin_timeout_s && *s.sysctls.tcp_fin_timeout_s > 0) {
    // Each lasts at most tcp_fin_timeout: at least this many such closes per minute.
    const auto per_minute = static_cast<uint64_t>(std::llround(
        static_cast<double>(orphaned) * 60 / static_cast<double>(*s.sysctls.tcp_fin_timeout_s)));
    line += "; each lasts at most " + FinTimeoutText(s) + ", so at least " + Count(per_minute) +
            " closes a minute meet a peer that does not close its end";
  }
  f.evidence.push_back(line);
  AddPeers(f, s.fin_wait2_peers, "peers of all FIN_WAIT2 sockets");
  f.facts.push_back({"fin_wait2_orphaned", static_cast<int64_t>(orphaned)});
  if (s.sysctls.tcp_fin_timeout_s) {
    f.facts.push_back({"tcp_fin_timeout", *s.sysctls.tcp_fin_timeout_s});
  }
  f.why =
      "This host closed these connections and the peers acknowledged its FIN but never sent "
      "their own. The kernel keeps each as a small FIN_WAIT2 socket until tcp_fin_timeout; they "
      "also count against tcp_max_tw_buckets.";
  f.fix.push_back(
      "Find why the peers do not close (evidence: their addresses): clients that vanish, or "
      "middleboxes that drop idle connections.");
  // A shorter timeout, if the current one leaves room: half of it, not below 10 s.
  const int64_t timeout = s.sysctls.tcp_fin_timeout_s.value_or(60);
  if (timeout >= 20) {
    const std::string half = std::to_string(timeout / 2);
    f.fix.push_back(
        "If they crowd the host, a shorter tcp_fin_timeout ends them sooner: `sysctl -w "
        "net.ipv4.tcp_fin_timeout=" +
        half + "` and `net.ipv4.tcp_fin_timeout = " + half +
        "` in /etc/sysctl.d/90-tcpdoctor.conf. It affects only orphaned FIN_WAIT2, "
        "not TIME_WAIT (fixed at 60 s).");
  }
  f.topics = {"FIN_WAIT2", "net.ipv4.tcp_fin_timeout"};
  findings.push_back(std::move(f));
}

// Our FIN not acknowledged: FIN_WAIT1, CLOSING, LAST_ACK.
void CheckUnackedFin(const Snapshot& s, const RuleSettings& settings, TcpState state,
                     std::vector<Finding>& findings) {
  const uint64_t count = s.states.Get(state);
  if (count == 0 || static_cast<double>(count) < settings.Get("unacked_fin_min")) return;
  const std::string name(StateName(state));
  Finding f;
  f.id = std::string(kId);
  f.severity = Severity::kWarning;
  f.subject = name;
  f.facts.push_back({"state", name});
  f.facts.push_back({"sockets", static_cast<int64_t>(count)});
  switch (state) {
    case TcpState::kLastAck:
      f.title = Count(count) + " LAST_ACK sockets: peers do not acknowledge this host's FIN";
      f.evidence.push_back(Count(count) + " sockets in LAST_ACK");
      AddPeers(f, s.last_ack_peers, "peers");
      f.why =
          "The peer closed first, this host answered with its own FIN, and the peer does not "
          "acknowledge it: the peer is gone (crashed, disconnected, or a NAT or firewall forgot "
          "the connection), or the FIN waits behind data the peer does not read (a zero window). "
          "Once the application has closed the socket, the kernel retransmits the "
          "FIN until tcp_orphan_retries gives up.";
      break;
    case TcpState::kFinWait1:
      f.title = Count(count) + " FIN_WAIT1 sockets: peers do not acknowledge this host's FIN";
      f.evidence.push_back(Count(count) + " sockets in FIN_WAIT1");
      f.why =
          "This host closed and its FIN is not acknowledged: the peer is gone, or the FIN waits "
          "behind data the peer does not read (a zero window). Closed sockets retry until "
          "tcp_orphan_retries gives up.";
      break;
    default:
      f.title =
          Count(count) + " CLOSING sockets: simultaneous closes whose FIN is not acknowledged";
      f.evidence.push_back(Count(count) + " sockets in CLOSING");
      f.why =
          "Both sides sent a FIN and this host's is not acknowledged: the peer is gone or the "
          "path drops packets. Closed sockets retry until tcp_orphan_retries gives up.";
      break;
  }
  if (s.sysctls.tcp_orphan_retries) {
    const int64_t retries = *s.sysctls.tcp_orphan_retries;
    f.evidence.push_back("net.ipv4.tcp_orphan_retries = " + std::to_string(retries) +
                         (retries == 0 ? " (0 means 8 retransmissions)" : ""));
    f.facts.push_back({"tcp_orphan_retries", retries});
  }
  f.fix.push_back(
      "Find why those peers vanish (evidence: their addresses): crashed or disconnected "
      "clients, NAT or firewall idle timeouts shorter than the connections, packet loss.");
  f.fix.push_back(
      "For sockets the applications already closed, fewer FIN retransmissions free them sooner: "
      "`sysctl -w net.ipv4.tcp_orphan_retries=3` and `net.ipv4.tcp_orphan_retries = 3` in "
      "/etc/sysctl.d/90-tcpdoctor.conf.");
  f.topics = {name, "net.ipv4.tcp_orphan_retries"};
  findings.push_back(std::move(f));
}

// The counter that says the kernel killed connections for lack of memory or orphan slots.
std::optional<uint64_t> AbortsOnMemory(const Snapshot& s) {
  const auto inc = s.Increase("TcpExt.TCPAbortOnMemory");
  return inc && *inc > 0 ? inc : std::nullopt;
}

void AddAbortsOnMemory(const Snapshot& s, Finding& f) {
  const auto aborts = AbortsOnMemory(s);
  if (!aborts) return;
  f.severity = Severity::kCritical;
  f.evidence.push_back("TCPAbortOnMemory +" + Count(*aborts) + " in " +
                       DurationText(s.interval_seconds) +
                       ": the kernel reset connections for lack of memory or orphan slots");
  f.facts.push_back({"abort_on_memory", static_cast<int64_t>(*aborts)});
  f.topics.emplace_back("TCPAbortOnMemory");
}

// Orphans (global): tcp_max_orphans is missing in a child namespace, and then so is this part.
bool CheckOrphans(const Snapshot& s, const RuleSettings& settings, std::vector<Finding>& findings) {
  const SockstatLine* tcp = s.sockstat.Find("TCP");
  const auto orphans = tcp != nullptr ? tcp->Get("orphan") : std::nullopt;
  if (!orphans || !s.sysctls.tcp_max_orphans || *s.sysctls.tcp_max_orphans <= 0) return false;
  const auto max = static_cast<double>(*s.sysctls.tcp_max_orphans);
  const double percent = Percent(static_cast<double>(*orphans), max);
  if (*orphans == 0 || percent < settings.Get("orphans_warning_percent")) return false;
  Finding f;
  f.id = std::string(kId);
  f.severity = percent >= settings.Get("orphans_critical_percent") ? Severity::kCritical
                                                                   : Severity::kWarning;
  f.subject = "orphans";
  f.title = Count(*orphans) + " orphaned connections, " + PercentText(percent) +
            " of net.ipv4.tcp_max_orphans";
  f.evidence.push_back("sockstat TCP orphan " + Count(*orphans) + " of net.ipv4.tcp_max_orphans " +
                       Count(static_cast<uint64_t>(max)) + " (" + PercentText(percent) +
                       "; host-wide)");
  const uint64_t closing = s.states.Get(TcpState::kFinWait1) + s.states.Get(TcpState::kLastAck) +
                           s.states.Get(TcpState::kClosing);
  f.evidence.push_back("in this namespace: FIN_WAIT1 " + Count(s.states.Get(TcpState::kFinWait1)) +
                       ", LAST_ACK " + Count(s.states.Get(TcpState::kLastAck)) + ", CLOSING " +
                       Count(s.states.Get(TcpState::kClosing)) + ", orphaned FIN_WAIT2 " +
                       Count(s.fin_wait2_orphaned));
  f.facts.push_back({"orphans", static_cast<int64_t>(*orphans)});
  f.facts.push_back({"tcp_max_orphans", *s.sysctls.tcp_max_orphans});
  f.facts.push_back({"orphans_percent", percent});
  f.facts.push_back({"closing_states", static_cast<int64_t>(closing)});
  f.why =
      "Orphans are connections the applications closed that are still finishing their close. "
      "Past tcp_max_orphans the kernel resets them and logs \"TCP: too many orphaned sockets\"; "
      "for connections with an idle peer or ICMP errors the check already triggers at 1/2 or 1/4 "
      "of the limit.";
  f.fix.push_back(
      "Find the closing states that hold them and their peers (FIN_WAIT1, LAST_ACK: peers that "
      "do not acknowledge the FIN).");
  f.fix.push_back(
      "If the host has memory to spare, raise the limit (global): `sysctl -w "
      "net.ipv4.tcp_max_orphans=" +
      Count(static_cast<uint64_t>(max) * 2) + "` and `net.ipv4.tcp_max_orphans = " +
      Count(static_cast<uint64_t>(max) * 2) + "` in /etc/sysctl.d/90-tcpdoctor.conf.");
  f.topics = {"net.ipv4.tcp_max_orphans", "FIN_WAIT1", "LAST_ACK"};
  AddAbortsOnMemory(s, f);
  findings.push_back(std::move(f));
  return true;
}

// TCP memory (global): tcp_mem is missing in a child namespace, and then so is this part.
bool CheckMemory(const Snapshot& s, const RuleSettings& settings, std::vector<Finding>& findings) {
  const SockstatLine* tcp = s.sockstat.Find("TCP");
  const auto pages = tcp != nullptr ? tcp->Get("mem") : std::nullopt;
  if (!pages || !s.sysctls.tcp_mem || s.sysctls.tcp_mem->pressure_pages <= 0 ||
      s.sysctls.tcp_mem->max_pages <= 0) {
    return false;
  }
  const TcpMem& mem = *s.sysctls.tcp_mem;
  const auto used = static_cast<double>(*pages);
  const double of_pressure = Percent(used, static_cast<double>(mem.pressure_pages));
  const double of_max = Percent(used, static_cast<double>(mem.max_pages));
  const bool critical = of_max >= settings.Get("mem_max_percent");
  if (*pages == 0 || (!critical && of_pressure < settings.Get("mem_pressure_percent"))) {
    return false;
  }
  const auto mib = [&s](double p) {
    return std::to_string(static_cast<int64_t>(p * static_cast<double>(s.page_size) / 1048576)) +
           " MiB";
  };
  Finding f;
  f.id = std::string(kId);
  f.severity = critical ? Severity::kCritical : Severity::kWarning;
  f.subject = "tcp_mem";
  f.title = std::string("TCP memory ") +
            (used >= static_cast<double>(mem.max_pages)        ? "at its limit"
             : used >= static_cast<double>(mem.pressure_pages) ? "under pressure"
                                                               : "near the pressure threshold") +
            ": " + PercentText(of_max) + " of net.ipv4.tcp_mem max";
  f.evidence.push_back("sockstat TCP mem " + Count(*pages) + " pages (" + mib(used) +
                       "; host-wide) against net.ipv4.tcp_mem " + std::to_string(mem.min_pages) +
                       " " + std::to_string(mem.pressure_pages) + " " +
                       std::to_string(mem.max_pages) + " (min, pressure, max in pages)");
  if (const auto pressures = s.Increase("TcpExt.TCPMemoryPressures"); pressures && *pressures) {
    f.evidence.push_back("TCPMemoryPressures +" + Count(*pressures) + " in " +
                         DurationText(s.interval_seconds));
    f.facts.push_back({"memory_pressures", static_cast<int64_t>(*pressures)});
  }
  f.facts.push_back({"mem_pages", static_cast<int64_t>(*pages)});
  f.facts.push_back({"tcp_mem_pressure", mem.pressure_pages});
  f.facts.push_back({"tcp_mem_max", mem.max_pages});
  f.facts.push_back({"percent_of_pressure", of_pressure});
  f.facts.push_back({"percent_of_max", of_max});
  f.why =
      "Socket buffers use this memory. Above the pressure threshold the kernel shrinks buffers "
      "(slower transfers); above the maximum allocations fail, it logs \"TCP: out of memory -- "
      "consider tuning tcp_mem\" and resets orphaned connections.";
  f.fix.push_back(
      "Find the sockets with large queues (data the applications do not read, or send faster "
      "than peers take): `ss -tmn`, and fix those readers or peers.");
  f.fix.push_back(
      "If the host has memory to spare, raise the limits (global, in pages): "
      "`sysctl -w net.ipv4.tcp_mem=\"" +
      std::to_string(mem.min_pages) + " " + std::to_string(mem.pressure_pages * 2) + " " +
      std::to_string(mem.max_pages * 2) +
      "\"` and the same line in "
      "/etc/sysctl.d/90-tcpdoctor.conf.");
  f.topics = {"net.ipv4.tcp_mem", "TCPMemoryPressures"};
  AddAbortsOnMemory(s, f);
  findings.push_back(std::move(f));
  return true;
}

std::vector<Finding> Check(const Snapshot& s, const RuleSettings& settings) {
  std::vector<Finding> findings;
  CheckOwnedFinWait2(s, settings, findings);
  CheckOrphanedFinWait2(s, settings, findings);
  for (TcpState state : {TcpState::kFinWait1, TcpState::kClosing, TcpState::kLastAck}) {
    CheckUnackedFin(s, settings, state, findings);
  }
  const bool orphans = CheckOrphans(s, settings, findings);
  const bool memory = CheckMemory(s, settings, findings);
  if (!orphans && !memory) {
    if (const auto aborts = AbortsOnMemory(s)) {
      Finding f;
      f.id = std::string(kId);
      f.severity = Severity::kCritical;
      f.subject = "TCPAbortOnMemory";
      f.title = "The kernel reset connections for lack of memory or orphan slots";
      f.why =
          "The kernel resets orphaned connections when there are too many orphans "
          "(tcp_max_orphans) or TCP memory is above net.ipv4.tcp_mem; the condition has passed, "
          "but it happened during the interval.";
      f.fix.push_back(
          "Watch sockstat's TCP orphan and mem against tcp_max_orphans and tcp_mem, and the "
          "kernel log for \"too many orphaned sockets\" or \"out of memory\".");
      AddAbortsOnMemory(s, f);
      f.topics.insert(f.topics.begin(), {"net.ipv4.tcp_max_orphans", "net.ipv4.tcp_mem"});
      findings.push_back(std::move(f));
    }
  }
  return findings;
}

}  // namespace

Rule ClosePileupRule() {
  return Rule{
      kId,
      "FIN_WAIT2 / LAST_ACK piling up, orphans near tcp_max_orphans, TCP memory near tcp_mem",
      {{"fin_wait2_owned_min", 100,
        "FIN_WAIT2 sockets still held by a process (after shutdown()) that make a warning"},
       {"fin_wait2_orphaned_min", 1000,
        "orphaned FIN_WAIT2 sockets (tcp_fin_timeout applies) worth a note (info)"},
       {"unacked_fin_min", 100, "FIN_WAIT1, CLOSING or LAST_ACK sockets that make a warning"},
       {"orphans_warning_percent", 25,
        "orphans at this % of tcp_max_orphans: warning (the kernel may act at 1/4 already)"},
       {"orphans_critical_percent", 50, "orphans at this % of tcp_max_orphans: critical"},
       {"mem_pressure_percent", 90, "TCP memory at this % of tcp_mem's pressure value: warning"},
       {"mem_max_percent", 90, "TCP memory at this % of tcp_mem's max value: critical"}},
      Check};
}

}  // namespace tcpdoctor
