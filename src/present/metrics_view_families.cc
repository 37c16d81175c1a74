#include "present/metrics_view_families.h"

#include <array>

namespace tcpdoctor {
namespace {

struct CounterText {
  std::string_view name;
  std::string_view key;
  std::string_view help;
};

// The kernel's own counters, per namespace. The HELP texts follow kernel-facts.md and
// Documentation/networking/snmp_counter.rst.
constexpr std::array<CounterText, 23> kCounterTexts = {{
    {"tcpdoctor_kernel_listen_overflows_total", "TcpExt.ListenOverflows",
     "Times a listener's accept queue was full, so a SYN or the handshake's final ACK was "
     "dropped: the application accepts too slowly for its backlog (TcpExt ListenOverflows)."},
    {"tcpdoctor_kernel_listen_drops_total", "TcpExt.ListenDrops",
     "Connections dropped at a listener for any reason: accept queue full, SYN queue full "
     "without syncookies, allocation failures; counts ListenOverflows too (TcpExt ListenDrops)."},
    {"tcpdoctor_kernel_syn_queue_full_drops_total", "TcpExt.TCPReqQFullDrop",
     "SYNs dropped because a listener's SYN queue (as long as its backlog) was full and "
     "tcp_syncookies was 0 (TcpExt TCPReqQFullDrop)."},
    {"tcpdoctor_kernel_syn_queue_full_cookies_total", "TcpExt.TCPReqQFullDoCookies",
     "SYNs answered with a syncookie because a listener's SYN queue was full "
     "(TcpExt TCPReqQFullDoCookies)."},
    {"tcpdoctor_kernel_syncookies_sent_total", "TcpExt.SyncookiesSent",
     "SYN cookies sent: on SYN queue overflow, or for every SYN with tcp_syncookies=2 "
     "(TcpExt SyncookiesSent)."},
    {"tcpdoctor_kernel_syncookies_received_total", "TcpExt.SyncookiesRecv",
     "ACKs carrying a valid SYN cookie: connections made from cookies (TcpExt SyncookiesRecv)."},
    {"tcpdoctor_kernel_syncookies_failed_total", "TcpExt.SyncookiesFailed",
     "ACKs whose SYN cookie did not validate (TcpExt SyncookiesFailed)."},
    {"tcpdoctor_kernel_syn_retransmits_total", "TcpExt.TCPSynRetrans",
     "SYNs sent again by connect() and SYN-ACKs sent again by listeners for want of an answer: "
     "lost handshakes, each costing the client at least a second (TcpExt TCPSynRetrans)."},
    {"tcpdoctor_kernel_time_wait_overflows_total", "TcpExt.TCPTimeWaitOverflow",
     "Connections closed without TIME_WAIT because tcp_max_tw_buckets was reached; late "
     "segments of them get RSTs. Raise the limit (TcpExt TCPTimeWaitOverflow)."},
    {"tcpdoctor_kernel_time_wait_total", "TcpExt.TW",
     "Sockets that entered TIME_WAIT, and orphaned FIN_WAIT2 sockets that became minisockets, "
     "counted when their timer starts, not when it ends (TcpExt TW)."},
    {"tcpdoctor_kernel_time_wait_reused_total", "TcpExt.TWRecycled",
     "TIME_WAIT connections whose 4-tuple connect() took over, as tcp_tw_reuse allows "
     "(TcpExt TWRecycled)."},
    {"tcpdoctor_kernel_aborts_on_data_total", "TcpExt.TCPAbortOnData",
     "Connections reset instead of closed with a FIN: close() with SO_LINGER and a zero "
     "timeout, or data arriving after the application closed (TcpExt TCPAbortOnData)."},
    {"tcpdoctor_kernel_aborts_on_close_total", "TcpExt.TCPAbortOnClose",
     "Connections reset because the application closed them with received data it had not "
     "read (TcpExt TCPAbortOnClose)."},
    {"tcpdoctor_kernel_aborts_on_memory_total", "TcpExt.TCPAbortOnMemory",
     "Connections reset for lack of memory: too many orphans (tcp_max_orphans) or TCP memory "
     "over tcp_mem's maximum (TcpExt TCPAbortOnMemory)."},
    {"tcpdoctor_kernel_aborts_on_timeout_total", "TcpExt.TCPAbortOnTimeout",
     "Connections dropped after their retransmissions, keepalive probes or orphan retries ran "
     "out (TcpExt TCPAbortOnTimeout)."},
    {"tcpdoctor_kernel_aborts_on_linger_total", "TcpExt.TCPAbortOnLinger",
     "Orphaned FIN_WAIT2 connections reset at once because TCP_LINGER2 was negative "
     "(TcpExt TCPAbortOnLinger)."},
    {"tcpdoctor_kernel_memory_pressures_total", "TcpExt.TCPMemoryPressures",
     "Times TCP entered memory pressure: its memory crossed tcp_mem's second value "
     "(TcpExt TCPMemoryPressures)."},
    {"tcpdoctor_kernel_active_opens_total", "Tcp.ActiveOpens",
     "Connections opened with connect(): SYNs sent for new connections (Tcp ActiveOpens)."},
    {"tcpdoctor_kernel_passive_opens_total", "Tcp.PassiveOpens",
     "Connections a listener created from an incoming handshake (Tcp PassiveOpens)."},
    {"tcpdoctor_kernel_attempt_fails_total", "Tcp.AttemptFails",
     "Connection attempts that failed: SYN_SENT or SYN_RECV back to CLOSED, or SYN_RECV back "
     "to LISTEN (Tcp AttemptFails)."},
    {"tcpdoctor_kernel_established_resets_total", "Tcp.EstabResets",
     "Connections reset while ESTABLISHED or CLOSE_WAIT (Tcp EstabResets)."},
    {"tcpdoctor_kernel_out_resets_total", "Tcp.OutRsts", "RST segments sent (Tcp OutRsts)."},
    {"tcpdoctor_kernel_retransmitted_segments_total", "Tcp.RetransSegs",
     "Segments retransmitted (Tcp RetransSegs)."},
}};

struct SysctlText {
  std::string_view name;
  std::string_view help;
  std::optional<MetricValue> (*value)(const Snapshot&);
};

template <std::optional<int64_t> Sysctls::*kField>
std::optional<MetricValue> Plain(const Snapshot& s) {
  const std::optional<int64_t>& v = s.sysctls.*kField;
  return v ? std::optional<MetricValue>(*v) : std::nullopt;
}

std::optional<MetricValue> ReuseDelaySeconds(const Snapshot& s) {
  const auto& ms = s.sysctls.tcp_tw_reuse_delay_ms;
  return ms ? std::optional<MetricValue>(static_cast<double>(*ms) / 1000) : std::nullopt;
}

template <uint32_t PortRange::*kEnd>
std::optional<MetricValue> RangeEnd(const Snapshot& s) {
  const auto& range = s.sysctls.ip_local_port_range;
  return range ? std::optional<MetricValue>((*range).*kEnd) : std::nullopt;
}

template <int64_t TcpMem::*kPages>
std::optional<MetricValue> TcpMemBytes(const Snapshot& s) {
  const auto& mem = s.sysctls.tcp_mem;
  return mem ? std::optional<MetricValue>((*mem).*kPages * s.page_size) : std::nullopt;
}

const std::array<SysctlText, 17> kSysctlTexts = {{
    {"tcpdoctor_sysctl_somaxconn",
     "net.core.somaxconn: the cap on a listen() backlog, applied when the application calls "
     "listen() (a raise needs a new listen()).",
     &Plain<&Sysctls::somaxconn>},
    {"tcpdoctor_sysctl_tcp_max_syn_backlog",
     "net.ipv4.tcp_max_syn_backlog: matters only with tcp_syncookies=0, when SYNs from unknown "
     "peers are dropped past 3/4 of it; the SYN queue is otherwise capped by the backlog.",
     &Plain<&Sysctls::tcp_max_syn_backlog>},
    {"tcpdoctor_sysctl_tcp_syncookies",
     "net.ipv4.tcp_syncookies: 0 off (a full SYN queue drops SYNs), 1 cookies when a SYN queue "
     "is full (the default), 2 cookies always.",
     &Plain<&Sysctls::tcp_syncookies>},
    {"tcpdoctor_sysctl_tcp_abort_on_overflow",
     "net.ipv4.tcp_abort_on_overflow: 1 resets a connection whose final ACK finds the accept "
     "queue full; 0 (the default, recommended) drops the ACK so the handshake is retried.",
     &Plain<&Sysctls::tcp_abort_on_overflow>},
    {"tcpdoctor_sysctl_tcp_max_tw_buckets",
     "net.ipv4.tcp_max_tw_buckets: the most TIME_WAIT sockets in the namespace; past it "
     "connections close without TIME_WAIT (TCPTimeWaitOverflow). Not to be lowered.",
     &Plain<&Sysctls::tcp_max_tw_buckets>},
    {"tcpdoctor_sysctl_tcp_tw_reuse",
     "net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only (the default since 4.19): lets "
     "connect() take over a TIME_WAIT 4-tuple (needs timestamps); no effect on accepted "
     "connections.",
     &Plain<&Sysctls::tcp_tw_reuse>},
    {"tcpdoctor_sysctl_tcp_tw_reuse_delay_seconds",
     "net.ipv4.tcp_tw_reuse_delay (6.14+, milliseconds in /proc), in seconds: the delay before "
     "tcp_tw_reuse may take over a TIME_WAIT socket (1 s, hard-coded, before 6.14).",
     &ReuseDelaySeconds},
    {"tcpdoctor_sysctl_tcp_timestamps",
     "net.ipv4.tcp_timestamps: TCP timestamps (RFC 7323), which tcp_tw_reuse needs; 0 off.",
     &Plain<&Sysctls::tcp_timestamps>},
    {"tcpdoctor_sysctl_tcp_fin_timeout_seconds",
     "net.ipv4.tcp_fin_timeout: how long an orphaned FIN_WAIT2 socket (closed by its "
     "application) waits for the peer's FIN. It does not shorten TIME_WAIT, always 60 s.",
     &Plain<&Sysctls::tcp_fin_timeout_s>},
    {"tcpdoctor_sysctl_tcp_orphan_retries",
     "net.ipv4.tcp_orphan_retries: retransmissions before an orphan in FIN_WAIT1, LAST_ACK or "
     "CLOSING is dropped; 0 (the default) means 8.",
     &Plain<&Sysctls::tcp_orphan_retries>},
    {"tcpdoctor_sysctl_tcp_max_orphans",
     "net.ipv4.tcp_max_orphans: orphans past it (sooner after socket errors) are reset "
     "(TCPAbortOnMemory); host-wide, so absent inside a child namespace.",
     &Plain<&Sysctls::tcp_max_orphans>},
    {"tcpdoctor_sysctl_ip_local_port_range_first",
     "net.ipv4.ip_local_port_range, first port: connect() picks local ports from the range, "
     "per destination.",
     &RangeEnd<&PortRange::first>},
    {"tcpdoctor_sysctl_ip_local_port_range_last",
     "net.ipv4.ip_local_port_range, last port: connect() picks local ports from the range, "
     "per destination.",
     &RangeEnd<&PortRange::last>},
    {"tcpdoctor_sysctl_tcp_mem_pressure_bytes",
     "net.ipv4.tcp_mem's second value (pages) times the page size: over it TCP moderates its "
     "buffers (memory pressure); global.",
     &TcpMemBytes<&TcpMem::pressure_pages>},
    {"tcpdoctor_sysctl_tcp_mem_max_bytes",
     "net.ipv4.tcp_mem's third value (pages) times the page size: over it TCP allocations fail "
     "and orphans are reset; global.",
     &TcpMemBytes<&TcpMem::max_pages>},
    {"tcpdoctor_sysctl_fs_file_max",
     "fs.file-max: the most open files on the host (ENFILE past it); not namespaced.",
     &Plain<&Sysctls::file_max>},
    {"tcpdoctor_sysctl_fs_nr_open",
     "fs.nr_open: the highest a process's RLIMIT_NOFILE can be raised to; not namespaced.",
     &Plain<&Sysctls::nr_open>},
}};

}  // namespace

MetricFamilies DeclareMetricFamilies(PrometheusText& out) {
  const auto gauge = [&out](std::string_view name, std::string_view help) {
    return &out.Family(name, help, MetricType::kGauge);
  };
  MetricFamilies f;
  f.tcp_sockets = gauge("tcpdoctor_tcp_sockets",
                        "TCP sockets in each state, IPv4 and IPv6, from one sock_diag dump: "
                        "syn_recv counts request sockets, fin_wait2 orphaned minisockets too.");
  f.accept_queue = gauge("tcpdoctor_listener_accept_queue_connections",
                         "Connections that completed the handshake and wait for accept() on "
                         "this listener (ss -lt Recv-Q).");
  f.accept_queue_max = gauge(
      "tcpdoctor_listener_accept_queue_max_connections",
      "The listener's effective backlog, min(listen() argument, somaxconn at listen() time) "
      "(ss -lt Send-Q); the accept queue holds backlog+1 before the kernel drops. Summed over "
      "the listeners of a series.");
  f.syn_recv = gauge("tcpdoctor_listener_syn_recv_connections",
                     "Half-open connections (SYN_RECV request sockets) for this listener; the "
                     "backlog caps its SYN queue too.");
  f.destination_ports =
      gauge("tcpdoctor_destination_ephemeral_ports",
            "Local ports held by outgoing connections to this destination, every state but LISTEN, "
            "TIME_WAIT included: connect() needs a unique 4-tuple, so the range is a budget per "
            "destination.");
  f.destination_time_wait = gauge("tcpdoctor_destination_time_wait_sockets",
                                  "Of the ports in use toward this destination, those held by "
                                  "TIME_WAIT sockets (60 s each).");
  f.destination_range = gauge("tcpdoctor_destination_port_range_ports",
                              "Ephemeral ports connect() can use toward this destination: "
                              "ip_local_port_range minus the reserved ports inside it.");
  f.listener_time_wait = gauge("tcpdoctor_listener_time_wait_sockets",
                               "TIME_WAIT sockets on a listening port: this server closed those "
                               "connections first (each lasts 60 s; costs memory, not ports).");
  f.process_sockets = gauge("tcpdoctor_process_sockets",
                            "TCP sockets the process holds in this namespace, per state (a "
                            "socket shared by several processes counts for each).");
  f.process_close_wait = gauge("tcpdoctor_process_close_wait_sockets",
                               "Sockets the process holds in CLOSE_WAIT: the peer closed, the "
                               "process has not; the kernel never times them out.");
  f.process_open_fds =
      gauge("tcpdoctor_process_open_fds", "Open file descriptors of the process, of every kind.");
  f.process_max_fds = gauge("tcpdoctor_process_max_fds",
                            "The process's soft RLIMIT_NOFILE (Max open files): past it "
                            "accept() and open() fail with EMFILE.");
  f.process_scan_age = gauge("tcpdoctor_process_scan_age_seconds",
                             "How old the process figures are: seconds since the /proc/PID/fd "
                             "scan they come from.");
  for (const CounterText& c : kCounterTexts) {
    f.counters.push_back({c.key, &out.Family(c.name, c.help, MetricType::kCounter)});
  }
  f.sockstat_orphans = gauge("tcpdoctor_sockstat_orphan_sockets",
                             "TCP sockets their applications closed that the kernel still "
                             "holds (orphans), host-wide (/proc/net/sockstat TCP orphan).");
  f.sockstat_time_wait = gauge("tcpdoctor_sockstat_time_wait_sockets",
                               "TIME_WAIT and orphaned FIN_WAIT2 minisockets in the namespace, "
                               "IPv4 and IPv6 (/proc/net/sockstat TCP tw).");
  f.sockstat_memory = gauge("tcpdoctor_sockstat_memory_bytes",
                            "Memory TCP has allocated, host-wide: /proc/net/sockstat TCP mem "
                            "(pages) times the page size; compare with tcp_mem.");
  f.allocated_files = gauge("tcpdoctor_host_allocated_files",
                            "File handles allocated on the host (fs.file-nr's first field); "
                            "at fs.file-max, open() fails with ENFILE.");
  for (const SysctlText& s : kSysctlTexts) f.sysctls.push_back({s.value, gauge(s.name, s.help)});
  f.finding = gauge("tcpdoctor_finding",
                    "1 for each finding the checkup makes now (tcpdoctor checkup shows its "
                    "evidence and fix); subject=\"other\" counts a rule's findings of that "
                    "severity past the top N.");
  f.findings = gauge("tcpdoctor_findings", "Findings the checkup makes now, of each severity.");
  f.collector_success = gauge("tcpdoctor_scrape_collector_success",
                              "1 if the collector succeeded in the collection shown, 0 if it "
                              "failed.");
  f.collector_duration = gauge("tcpdoctor_scrape_collector_duration_seconds",
                               "How long the collector took in the collection shown.");
  f.collections = &out.Family("tcpdoctor_exporter_collections_total",
                              "Collections made since the exporter started; scrapes within "
                              "--min-interval of the last one share it.",
                              MetricType::kCounter);
  f.collection_timestamp = gauge("tcpdoctor_exporter_collection_timestamp_seconds",
                                 "Unix time of the collection this scrape shows.");
  f.build_info = gauge("tcpdoctor_build_info", "1, with the tcpdoctor version as a label.");
  return f;
}

}  // namespace tcpdoctor
