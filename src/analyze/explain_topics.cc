#include "analyze/explain_topics.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "analyze/counter_catalog.h"
#include "core/suggest.h"

namespace tcpdoctor {
namespace {

constexpr std::array<Topic, 52> kTopics = {{
    // TCP states, in RFC order.
    {"ESTABLISHED", "state", "The connection is open; both sides can send data.", "Both sides.",
     "Not on its own. A connection the kernel has completed but the application has not yet "
     "taken with accept() is already ESTABLISHED: it waits in the listener's accept queue with "
     "inode 0, so no process holds it yet. Many such sockets on a listening port mean the "
     "application accepts too slowly.",
     "Look at the listener's accept queue (`tcpdoctor listeners`) and at who holds the sockets "
     "(`tcpdoctor procs`).",
     "", "kernel-facts §3, §7"},
    {"SYN_SENT", "state", "connect() has sent a SYN and waits for the peer's SYN-ACK.",
     "The client: the side that calls connect().",
     "When they pile up: the peer does not answer. A server whose accept queue is full drops "
     "the SYNs, and its further clients stay in SYN_SENT.",
     "On the server, look at `tcpdoctor listeners` and the ListenOverflows counter.", "",
     "kernel-facts §3"},
    {"SYN_RECV", "state",
     "A SYN reached a listener and the SYN-ACK was sent; the final ACK has not arrived. These "
     "are request sockets: sock_diag reports them as SYN_RECV with inode 0 and the number of "
     "SYN-ACK retransmits.",
     "The server: the listening side.",
     "When a listener's SYN_RECV count reaches its backlog + 1: the SYN queue is full. Its limit "
     "is the listen() backlog, not tcp_max_syn_backlog. New SYNs then get syncookies "
     "(tcp_syncookies=1, TCPReqQFullDoCookies) or are dropped (tcp_syncookies=0, "
     "TCPReqQFullDrop). The first overflow per listener logs 'Possible SYN flooding on port'.",
     "Raise the application's listen() backlog (capped by net.core.somaxconn at listen() time, "
     "so the listener must call listen() again) and keep tcp_syncookies at 1.",
     "About 4.4: request sockets live in the established hash as TCP_NEW_SYN_RECV (12). 6.2: the "
     "SYN-flooding log line names the address, not only the port.",
     "kernel-facts §3"},
    {"FIN_WAIT1", "state",
     "The application has closed (or shut down writing); our FIN is sent and not yet "
     "acknowledged.",
     "The side that closes first.",
     "When they accumulate: peers do not acknowledge our FIN. Orphaned ones (already closed by "
     "the application) are retransmitted up to tcp_orphan_retries times, where 0 means 8.",
     "See which peers they go to (`tcpdoctor top --by peer --state fin-wait-1`). "
     "tcp_orphan_retries bounds how long orphans try; tcp_max_orphans bounds how many may exist.",
     "", "kernel-facts §2"},
    {"FIN_WAIT2", "state", "Our FIN was acknowledged; we wait for the peer's FIN.",
     "The side that closes first.",
     "A socket the application still owns (after shutdown(SHUT_WR)) has no timer and can stay "
     "here forever. An orphaned one (closed by the application) is limited by tcp_fin_timeout "
     "(default 60 s) and becomes a timewait minisocket with substate FIN_WAIT2: inode 0, "
     "counted in sockstat's tw. Many of them mean peers that do not close their side.",
     "If the application owns them, it must close() after shutdown(). Orphans are bounded by "
     "tcp_fin_timeout, or per socket by TCP_LINGER2 (at most 120 s).",
     "", "kernel-facts §1, §2"},
    {"TIME_WAIT", "state",
     "The connection is closed and its 4-tuple is held for a fixed 60 s (TCP_TIMEWAIT_LEN) by a "
     "minisocket that no process holds (inode 0). No sysctl changes the 60 s: tcp_fin_timeout "
     "does not, it only limits orphaned FIN_WAIT2 sockets.",
     "The side that closes first, client or server: a server that closes first holds TIME_WAIT "
     "on its listening port.",
     "On a client, when TIME_WAIT sockets toward one destination approach the size of "
     "ip_local_port_range: they count against connect()'s per-destination port budget, and "
     "connect() then fails with EADDRNOTAVAIL. On any host, when TCPTimeWaitOverflow rises: "
     "tcp_max_tw_buckets was reached and sockets skipped TIME_WAIT.",
     "For outgoing connections: reuse connections, widen ip_local_port_range, enable "
     "tcp_tw_reuse (it needs TCP timestamps; it only helps connect()), and use "
     "IP_BIND_ADDRESS_NO_PORT instead of bind-before-connect (`tcpdoctor ports`). Or let the "
     "other side close first. Do not lower tcp_max_tw_buckets.",
     "About 3.1: TCPTimeWaitOverflow replaced the log line 'time wait bucket table overflow'. "
     "About 4.19: tcp_tw_reuse gained value 2 (loopback only), the default. 6.14: "
     "tcp_tw_reuse_delay (before, 1 s hard-coded).",
     "kernel-facts §1, §4"},
    {"CLOSE", "state", "No connection: the kernel's TCP_CLOSE state (number 7).", "Either side.",
     "kernel-facts.md gives no rule for this state.",
     "See which process holds the sockets (`tcpdoctor procs`).", "", "kernel-facts §10"},
    {"CLOSE_WAIT", "state",
     "The peer has sent its FIN and the local application has not called close() or "
     "shutdown(). The kernel has no timeout for it.",
     "The side that did not close first: the one that received the FIN.",
     "When the count grows, typically with Recv-Q of 1 or more: the application does not close "
     "after reading EOF. It ends only when the application closes (then LAST_ACK), or when an "
     "RST after a write or a failed keepalive kills the connection; even then the fd stays open.",
     "Fix the application so that it closes the socket after EOF. Find it with `tcpdoctor top "
     "--by process --state close-wait` or `tcpdoctor procs`. No sysctl times it out.",
     "", "kernel-facts §5"},
    {"LAST_ACK", "state", "Our FIN, sent after CLOSE_WAIT, waits for its ACK.",
     "The side that closed second.",
     "When they accumulate: peers do not acknowledge our FIN. Once orphaned, they are retried "
     "up to tcp_orphan_retries times (0 means 8).",
     "See which peers they go to (`tcpdoctor top --by peer --state last-ack`).", "",
     "kernel-facts §2, §5"},
    {"LISTEN", "state",
     "A socket waiting for connections. For it, sock_diag (and `ss -l`) report the current "
     "accept-queue length as Recv-Q and the backlog as Send-Q; the queue holds backlog + 1.",
     "The server.",
     "When the accept queue is full and ListenOverflows rises: the application accepts too "
     "slowly or its backlog is too small.",
     "Make the application accept faster, or raise its listen() backlog. The kernel uses "
     "min(backlog, net.core.somaxconn), fixed at listen() time: after raising somaxconn the "
     "application must call listen() again. See `tcpdoctor listeners -i 5`.",
     "3.9: SO_REUSEPORT. 4.10: ListenOverflows also counts SYNs dropped for a full accept queue. "
     "5.4: somaxconn default 128 became 4096.",
     "kernel-facts §3, §5"},
    {"CLOSING", "state",
     "Simultaneous close: both FINs were sent and ours is not yet acknowledged.",
     "Both sides, when they close at the same time.",
     "When they accumulate: FINs are not acknowledged. Once orphaned, they are retried up to "
     "tcp_orphan_retries times (0 means 8).",
     "See which peers they go to (`tcpdoctor top --by peer --state closing`).", "",
     "kernel-facts §2, §5"},

    // Counters, in ImportantCounters() order.
    {"ListenOverflows", "counter",
     "A listener's accept queue was full: counted when a SYN is dropped for that reason or when "
     "the final ACK of a handshake finds the queue full. Per network namespace.",
     "The server: the listening side.",
     "Any steady increase: connections wait or fail (clients stay in SYN_SENT and retry).",
     "Find the listener (`tcpdoctor listeners -i 5`). Make the application accept faster, or "
     "raise its listen() backlog and net.core.somaxconn and have it call listen() again. "
     "tcp_abort_on_overflow is not a fix: the kernel doc warns against it.",
     "4.10: also counted when a SYN is dropped because the accept queue is full.",
     "kernel-facts §3, §8"},
    {"ListenDrops", "counter",
     "Any drop at a listener: a superset of ListenOverflows that also counts SYN-queue drops "
     "without syncookies and allocation failures. An accept-queue overflow raises both equally.",
     "The server: the listening side.",
     "When it rises faster than ListenOverflows: SYNs are dropped with syncookies off "
     "(see TCPReqQFullDrop), or by tcp_max_syn_backlog's 3/4 rule.",
     "Compare with ListenOverflows and TCPReqQFullDrop; keep tcp_syncookies at 1.", "",
     "kernel-facts §3"},
    {"TCPReqQFullDrop", "counter",
     "A listener's SYN queue (limit: the listen() backlog) was full and syncookies were off "
     "(tcp_syncookies=0): the SYN was dropped. ListenDrops rises too.",
     "The server: the listening side.", "Any increase: clients' SYNs are being dropped.",
     "Set tcp_syncookies to 1 (the default) and raise the application's listen() backlog.", "",
     "kernel-facts §3"},
    {"TCPReqQFullDoCookies", "counter",
     "A listener's SYN queue was full and the SYN was answered with a syncookie "
     "(tcp_syncookies=1). SyncookiesSent rises too.",
     "The server: the listening side.",
     "A steady increase: the SYN queue, sized by the listen() backlog, is too small for the SYN "
     "rate. The first overflow per listener logs 'Possible SYN flooding on port ... Sending "
     "cookies.'",
     "Raise the application's listen() backlog (and net.core.somaxconn) and have it call "
     "listen() again.",
     "6.2: the log line names the address, not only the port.", "kernel-facts §3"},
    {"SyncookiesSent", "counter",
     "Syncookies sent: on SYN-queue overflow with tcp_syncookies=1, or for every SYN with "
     "tcp_syncookies=2 (then nothing is logged).",
     "The server: the listening side.",
     "When it rises with tcp_syncookies=1: a SYN queue is full (see TCPReqQFullDoCookies).",
     "As for TCPReqQFullDoCookies: raise the listen() backlog.", "", "kernel-facts §3"},
    {"SyncookiesRecv", "counter",
     "ACKs carrying a valid syncookie: connections made from cookies, without a request socket.",
     "The server: the listening side.",
     "When it rises: listeners overflowed and connections are completing through cookies.",
     "As for TCPReqQFullDoCookies: raise the listen() backlog.", "", "kernel-facts §3"},
    {"SyncookiesFailed", "counter", "ACKs carrying an invalid syncookie.",
     "The server: the listening side.",
     "kernel-facts.md gives no threshold; read it beside SyncookiesSent.",
     "Nothing specific in kernel-facts.md.", "", "kernel-facts §3"},
    {"TCPSynRetrans", "counter",
     "A handshake segment was sent again because no answer came within its timeout (1 s, then "
     "doubling): a SYN by connect(), or a SYN-ACK by a listener. RetransSegs counts them too.",
     "Both sides: clients count their SYNs, servers their SYN-ACKs.",
     "A steady increase: handshakes are lost, and each retransmission adds at least a second to "
     "a connect(). Common causes are a peer's listener dropping SYNs (full accept queue, or full "
     "SYN queue without syncookies), a firewall, or packet loss.",
     "On a server, compare with ListenOverflows and TCPReqQFullDrop (`tcpdoctor counters -i 5`) "
     "and look at its listeners (`tcpdoctor listeners -i 5`); on a client, see which "
     "destinations keep sockets in SYN_SENT (`tcpdoctor top --by peer --state syn-sent`).",
     "", "net/ipv4/tcp_output.c (__tcp_retransmit_skb, tcp_rtx_synack); kernel-facts §3"},
    {"TCPTimeWaitOverflow", "counter",
     "tcp_max_tw_buckets (per network namespace) was reached: a closing socket skipped "
     "TIME_WAIT and closed at once. No kernel log line is printed.",
     "The side that closes first.",
     "Any increase: the peer's late segments, such as its FIN, now get RSTs.",
     "Raise net.ipv4.tcp_max_tw_buckets, or make fewer connections end in TIME_WAIT on this "
     "side. Do not lower the limit.",
     "About 3.1 (approximate): this counter replaced the log line 'TCP: time wait bucket table "
     "overflow', which blogs still quote.",
     "kernel-facts §1"},
    {"TW", "counter",
     "A running count of sockets that went through TIME_WAIT the normal way (kernel-facts: "
     "'TIME_WAIT sockets that expired normally'). Its rate is the rate at which this side "
     "closes connections first.",
     "The side that closes first.",
     "Not on its own. On a client, a high rate toward one destination uses ephemeral ports for "
     "60 s each.",
     "Compare the rate with what ip_local_port_range can sustain (`tcpdoctor ports`).", "",
     "kernel-facts §1"},
    {"TWRecycled", "counter",
     "Times connect() took over the 4-tuple of a TIME_WAIT socket. Despite its name, it counts "
     "tcp_tw_reuse at work.",
     "The client: the side that calls connect().",
     "Not a problem: a rising value shows tcp_tw_reuse saving ports toward busy destinations.",
     "Nothing. If ports still run out, see `tcpdoctor ports`.", "", "kernel-facts §1"},
    {"TCPAbortOnData", "counter",
     "An RST was sent instead of a FIN on close(), as happens with SO_LINGER {on, 0}: no "
     "TIME_WAIT follows.",
     "The side that closes.", "When unexpected: peers see connection resets.",
     "Find the application that sets SO_LINGER to 0: it avoids TIME_WAIT at the price of an RST "
     "instead of a clean close.",
     "", "kernel-facts §5"},
    {"TCPAbortOnClose", "counter",
     "The application closed a socket that still had unread received data, so an RST was sent.",
     "The side that closes.",
     "When it rises: the application closes without reading what the peer sent, and the peer "
     "sees a reset.",
     "Fix the application's read and close logic.", "", "kernel-facts §5"},
    {"TCPAbortOnMemory", "counter",
     "A connection was reset because there were too many orphans (tcp_max_orphans) or TCP "
     "memory went over tcp_mem's maximum. The kernel logs 'TCP: too many orphaned sockets' or "
     "'TCP: out of memory -- consider tuning tcp_mem'.",
     "This host: both limits are global.",
     "Any increase. The orphan check can trigger at 1/2 or 1/4 of tcp_max_orphans.",
     "Compare sockstat's orphan with tcp_max_orphans and its mem with tcp_mem (both in pages). "
     "Find why orphans or memory pile up before raising either limit.",
     "", "kernel-facts §2, §9"},
    {"TCPAbortOnTimeout", "counter",
     "A connection was dropped after its retransmissions timed out.", "Either side.",
     "When it rises: peers stop answering. kernel-facts.md says nothing more about it.",
     "See which peers are affected, and RetransSegs.", "",
     "counter catalog (snmp_counter); not in kernel-facts"},
    {"TCPAbortOnLinger", "counter",
     "An orphaned FIN_WAIT2 socket was reset instead of waiting, because its TCP_LINGER2 was "
     "negative. (SO_LINGER {on, 0} counts TCPAbortOnData instead.)",
     "The side that closes first.", "When unexpected: an application sets a negative TCP_LINGER2.",
     "Find the application that sets TCP_LINGER2.", "", "kernel-facts §2, §5"},
    {"ActiveOpens", "counter", "Connections this host opened with connect().",
     "The client: the side that calls connect().",
     "Not on its own. With TIME_WAIT it tells how fast ephemeral ports are used.",
     "Compare with what ip_local_port_range can sustain (`tcpdoctor ports`).", "",
     "counter catalog; kernel-facts §4"},
    {"PassiveOpens", "counter", "Connections this host accepted.",
     "The server: the listening side.", "Not on its own; read it beside ListenOverflows.",
     "Nothing specific in kernel-facts.md.", "", "counter catalog; not in kernel-facts"},
    {"AttemptFails", "counter",
     "Connection attempts that failed: SYN_SENT or SYN_RECV connections that went to CLOSED.",
     "Either side.", "When it rises: kernel-facts.md gives no threshold.",
     "See which peers are affected (`tcpdoctor top --by peer`).", "",
     "counter catalog; not in kernel-facts"},
    {"EstabResets", "counter", "ESTABLISHED or CLOSE_WAIT connections that were reset.",
     "Either side.", "When it rises: kernel-facts.md gives no threshold.",
     "Read it beside TCPAbortOnData, TCPAbortOnClose and TCPAbortOnMemory.", "",
     "counter catalog; not in kernel-facts"},
    {"OutRsts", "counter", "RST segments sent.", "The side sending the RSTs.",
     "When it rises: kernel-facts.md gives no threshold.",
     "Read it beside TCPTimeWaitOverflow, TCPAbortOnData, TCPAbortOnClose and "
     "tcp_abort_on_overflow.",
     "", "counter catalog; not in kernel-facts"},
    {"RetransSegs", "counter", "Segments retransmitted.", "The sending side.",
     "When it rises: kernel-facts.md gives no threshold.", "Nothing specific in kernel-facts.md.",
     "", "counter catalog; not in kernel-facts"},
    {"CurrEstab", "counter",
     "Connections now in ESTABLISHED or CLOSE_WAIT: a level, not a running total.", "Both sides.",
     "Not on its own; a growing CLOSE_WAIT share means an application leak.",
     "Compare with `tcpdoctor states`; see CLOSE_WAIT.", "", "counter catalog; kernel-facts §5"},
    {"TCPMemoryPressures", "counter",
     "Times TCP entered memory pressure: TCP memory passed tcp_mem's pressure value.",
     "This host: tcp_mem is global.", "Any increase.",
     "Compare sockstat's mem with tcp_mem (both in pages). Find what holds the memory before "
     "raising tcp_mem.",
     "", "kernel-facts §9"},

    // Sysctls.
    {"net.core.somaxconn", "sysctl",
     "Caps the backlog of listen(): the kernel uses min(backlog, somaxconn), clamped when the "
     "application calls listen(). Per network namespace.",
     "The server: the listening side.",
     "When a listener's backlog (Send-Q in `ss -l`, `tcpdoctor listeners`) equals somaxconn and "
     "ListenOverflows rises.",
     "Raise it, then have the application call listen() again (usually a restart): existing "
     "listeners keep their backlog.",
     "5.4: default 128 became 4096.", "kernel-facts §3, §8"},
    {"net.ipv4.tcp_max_syn_backlog", "sysctl",
     "Used only when tcp_syncookies=0: once a SYN queue is past 3/4 of it, SYNs from peers "
     "without TCP-metrics history are dropped (counted in ListenDrops only). It does not size "
     "the SYN queue, whose limit is the listen() backlog. Per network namespace; default "
     "max(128, ehash entries/128).",
     "The server: the listening side.", "Only with tcp_syncookies=0 and ListenDrops rising.",
     "With syncookies on (the default) leave it: it has no effect. To enlarge the SYN queue, "
     "raise the listen() backlog (and net.core.somaxconn).",
     "", "kernel-facts §0, §3"},
    {"net.ipv4.tcp_syncookies", "sysctl",
     "What happens when a SYN queue is full: 0 drops the SYN (TCPReqQFullDrop, ListenDrops), "
     "1 (the default) answers with a cookie (TCPReqQFullDoCookies, SyncookiesSent), 2 sends "
     "cookies for every SYN. Per network namespace.",
     "The server: the listening side.", "When it is 0 and TCPReqQFullDrop rises.", "Keep it at 1.",
     "6.2: the 'Possible SYN flooding' log line names the address, not only the port.",
     "kernel-facts §3"},
    {"net.ipv4.ip_local_port_range", "sysctl",
     "The ephemeral ports connect() and bind(addr, 0) pick from; default 32768 60999 (28232 "
     "ports). For connect() the limit applies per destination, since only the 4-tuple must be "
     "unique; TIME_WAIT sockets count against it. bind(addr, 0) before connect() makes each "
     "port exclusive across all destinations. Per network namespace.",
     "The client: the side that calls connect().",
     "When connect() fails with EADDRNOTAVAIL, or bind() with EADDRINUSE, or `tcpdoctor ports` "
     "shows a destination near the range's size.",
     "Widen it, with start and end of different parity. Enable tcp_tw_reuse. Use "
     "IP_BIND_ADDRESS_NO_PORT instead of bind-before-connect.",
     "4.2: IP_BIND_ADDRESS_NO_PORT. 4.6: connect() prefers ports of the range start's parity, "
     "bind(0) the other. 6.3: the per-socket IP_LOCAL_PORT_RANGE option.",
     "kernel-facts §4"},
    {"net.ipv4.ip_local_reserved_ports", "sysctl",
     "Ports excluded from automatic selection; explicit binds to them still work. Empty by "
     "default; per network namespace.",
     "The client: the side that calls connect().",
     "When the reserved list takes a large part of ip_local_port_range.",
     "Reserve only the ports your services bind.", "", "kernel-facts §4"},
    {"net.ipv4.tcp_tw_reuse", "sysctl",
     "Lets connect() take over the 4-tuple of a TIME_WAIT socket, if the old connection used TCP "
     "timestamps. 0 off, 1 everywhere, 2 loopback only (the default). It only affects outgoing "
     "connections made with connect(): it does nothing for bind() or for inbound connections, "
     "so it does not help servers. Each reuse counts TWRecycled. Per network namespace.",
     "The client: the side that calls connect().",
     "When a client runs out of ports toward one destination (EADDRNOTAVAIL) with many "
     "TIME_WAIT sockets.",
     "Set it to 1 on such clients and keep tcp_timestamps on.",
     "About 4.19 (2018): value 2 and the default 2; before, a boolean defaulting to 0. 6.14: "
     "tcp_tw_reuse_delay.",
     "kernel-facts §0, §1"},
    {"net.ipv4.tcp_tw_reuse_delay", "sysctl",
     "How long, in milliseconds, a TIME_WAIT socket must have existed before tcp_tw_reuse lets "
     "connect() take it over. Default 1000, range 1..60000. Per network namespace.",
     "The client: the side that calls connect().",
     "When connect() to one destination is limited by ports even with tcp_tw_reuse on.",
     "Lower it only for such clients; `tcpdoctor ports` shows the rate the range can sustain.",
     "6.14: new; earlier kernels hard-code 1 s.", "kernel-facts §1"},
    {"net.ipv4.tcp_max_tw_buckets", "sysctl",
     "The most TIME_WAIT sockets a network namespace may hold; default ehash entries/2. At the "
     "limit a closing socket skips TIME_WAIT and closes at once, TCPTimeWaitOverflow is counted "
     "and nothing is logged.",
     "The side that closes first.",
     "When TCPTimeWaitOverflow rises: the peer's late segments, such as its FIN, get RSTs.",
     "Do not lower it: the kernel doc says you must not. Raise it if TCPTimeWaitOverflow rises.",
     "About 3.1: the counter replaced the 'time wait bucket table overflow' log line.",
     "kernel-facts §0, §1"},
    {"net.ipv4.tcp_timestamps", "sysctl",
     "TCP timestamps. kernel-facts.md records only that tcp_tw_reuse needs them on the old "
     "connection and that the setting is per network namespace.",
     "Both sides.", "When it is off and tcp_tw_reuse is relied on: reuse cannot happen.",
     "Keep it on where tcp_tw_reuse is used.", "", "kernel-facts §1, §8"},
    {"net.ipv4.tcp_fin_timeout", "sysctl",
     "How long an orphaned FIN_WAIT2 socket (already closed by the application) waits for the "
     "peer's FIN; default 60 s. It does not change TIME_WAIT, which is fixed at 60 s, and does "
     "not limit a FIN_WAIT2 socket the application still owns. TCP_LINGER2 overrides it per "
     "socket, up to 120 s. Per network namespace.",
     "The side that closes first.", "When many orphaned FIN_WAIT2 sockets (inode 0) pile up.",
     "Changing it affects orphaned FIN_WAIT2 sockets only; it is not a TIME_WAIT setting. Above "
     "60 s the socket first waits (value - 60) s as a full socket, then 60 s as a minisocket.",
     "", "kernel-facts §0, §2"},
    {"net.ipv4.tcp_max_orphans", "sysctl",
     "The most orphaned sockets (closed by the application, still in the kernel) allowed. "
     "Global, not per network namespace; default ehash entries/2. When an orphan's timer fires "
     "over the limit the kernel logs 'TCP: too many orphaned sockets', resets it and counts "
     "TCPAbortOnMemory.",
     "This host: a container cannot set it.",
     "When sockstat's orphan nears it, or TCPAbortOnMemory rises: the check can trigger at 1/2 "
     "or 1/4 of the limit.",
     "Find why orphans pile up (FIN_WAIT1, LAST_ACK, CLOSING to unresponsive peers; "
     "tcp_orphan_retries) before raising it.",
     "", "kernel-facts §2, §8"},
    {"net.ipv4.tcp_mem", "sysctl",
     "TCP memory thresholds min, pressure and max, in pages. Global; computed at boot from RAM.",
     "This host.",
     "When TCPMemoryPressures rises (pressure reached), or the kernel logs 'TCP: out of memory "
     "-- consider tuning tcp_mem' and orphans are aborted (TCPAbortOnMemory).",
     "Compare with sockstat's mem (also in pages). Find what holds the memory before raising it.",
     "", "kernel-facts §9"},
    {"net.ipv4.tcp_orphan_retries", "sysctl",
     "How many times orphans in FIN_WAIT1, LAST_ACK or CLOSING are retransmitted. Default 0, "
     "and 0 means 8 (the kernel doc says 'default 8'; /proc shows 0). Per network namespace.",
     "The side that closed.", "When orphans to unresponsive peers pile up.",
     "A smaller value gives up on such orphans sooner.", "", "kernel-facts §2, §5"},
    {"net.ipv4.tcp_abort_on_overflow", "sysctl",
     "When the accept queue is full as the final ACK arrives: 1 sends an RST, 0 (the default) "
     "drops the ACK and lets SYN-ACK retransmission retry. Per network namespace.",
     "The server: the listening side.", "When it is 1: clients get resets during bursts.",
     "Leave it at 0 (the kernel doc warns against enabling it); fix the accept rate or the "
     "backlog instead.",
     "", "kernel-facts §3"},
    {"fs.file-max", "sysctl",
     "The system-wide open-file limit; hitting it gives ENFILE. Not namespaced: host-wide, also "
     "inside containers. fs.file-nr shows allocated, 0, max.",
     "This host.", "When fs.file-nr's allocated count nears it, or ENFILE errors appear.",
     "Find who holds files (`tcpdoctor procs`), then raise it if needed.", "",
     "kernel-facts §7, §8"},
    {"fs.nr_open", "sysctl",
     "Caps the hard RLIMIT_NOFILE a process can get; default 1048576. The per-process limit "
     "(soft up to hard) gives EMFILE when exceeded, for example from accept().",
     "This host.", "When a process needs a nofile hard limit above it.",
     "Raise it before raising the process's limit; `tcpdoctor procs` shows fds against nofile.", "",
     "kernel-facts §7"},
    {"net.ipv4.tcp_tw_recycle", "sysctl",
     "Removed: do not use. It kept a per-host timestamp cache that dropped SYNs from clients "
     "behind NAT, and 4.10's per-connection timestamp offsets had already broken it. It no "
     "longer exists in /proc/sys.",
     "Clients behind NAT were the victims, on kernels that still had it.",
     "When a guide, script or sysctl.conf sets it: that advice is wrong.",
     "Never enable it; remove it from configuration. For ports running out toward one "
     "destination see net.ipv4.tcp_tw_reuse and TIME_WAIT.",
     "4.10: per-connection timestamp offsets broke it. 4.12: removed (commit 4396e46187ca).",
     "kernel-facts §0"},
}};

std::string Lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) out += static_cast<char>(std::tolower(c));
  return out;
}

// Lower case, '/' as '.', '-' as '_', without a leading "/proc/sys/".
std::string Normalize(std::string_view typed) {
  std::string s = Lower(typed);
  std::replace(s.begin(), s.end(), '/', '.');
  std::replace(s.begin(), s.end(), '-', '_');
  for (std::string_view lead : {".proc.sys.", "proc.sys.", "."}) {
    if (s.starts_with(lead)) s.erase(0, lead.size());
  }
  return s;
}

// States also without separators: "finwait1" for "fin-wait-1" and FIN_WAIT1.
std::string WithoutSeparators(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

constexpr std::array<std::string_view, 3> kSysctlPrefixes = {"net.ipv4.", "net.core.", "fs."};

std::string_view ShortSysctl(std::string_view name) {
  for (std::string_view p : kSysctlPrefixes) {
    if (name.starts_with(p)) return name.substr(p.size());
  }
  return name;
}

bool Matches(const Topic& t, const std::string& typed) {
  const std::string name = Normalize(t.name);
  if (typed == name) return true;
  if (t.kind == "state") return WithoutSeparators(typed) == WithoutSeparators(name);
  if (t.kind == "counter") {
    const CounterInfo* info = FindCounterInfo(t.name);
    return info != nullptr && typed == Lower(info->section) + "." + name;
  }
  return false;
}

}  // namespace

std::span<const Topic> AllTopics() { return kTopics; }

const Topic* FindTopic(std::string_view typed) {
  const std::string key = Normalize(typed);
  if (key.empty()) return nullptr;
  for (const Topic& t : kTopics) {
    if (Matches(t, key)) return &t;
  }
  // A sysctl without its prefix, when only one topic has that short name.
  const Topic* found = nullptr;
  for (const Topic& t : kTopics) {
    if (t.kind != "sysctl" || Normalize(ShortSysctl(t.name)) != key) continue;
    if (found != nullptr) return nullptr;
    found = &t;
  }
  return found;
}

std::vector<std::string> TopicSpellings() {
  std::vector<std::string> out;
  for (const Topic& t : kTopics) {
    out.emplace_back(t.name);
    if (t.kind == "state") {
      std::string dashed = Lower(t.name);
      std::replace(dashed.begin(), dashed.end(), '_', '-');
      out.push_back(dashed);
    } else if (t.kind == "counter") {
      if (const CounterInfo* info = FindCounterInfo(t.name)) {
        out.push_back(std::string(info->section) + "." + std::string(t.name));
      }
    } else if (ShortSysctl(t.name) != t.name) {
      out.emplace_back(ShortSysctl(t.name));
    }
  }
  return out;
}

std::string ClosestTopic(std::string_view typed) {
  // Compared in lower case, so that "listenoverflow" finds ListenOverflows.
  std::vector<std::string> lowered;
  for (const std::string& s : TopicSpellings()) lowered.push_back(Lower(s));
  const std::string match = ClosestMatch(Lower(typed), lowered);
  if (match.empty()) return "";
  const Topic* topic = FindTopic(match);
  return topic != nullptr ? std::string(topic->name) : "";
}

}  // namespace tcpdoctor
