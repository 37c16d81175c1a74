#include "analyze/counter_catalog.h"

#include <array>

namespace tcpdoctor {
namespace {

constexpr std::array<CounterInfo, 24> kCounters = {{
    {"TcpExt", "ListenOverflows",
     "accept queue full: a SYN or final ACK was dropped because the app accepts too slowly"},
    {"TcpExt", "ListenDrops",
     "any drop at a listener (a superset of ListenOverflows: also SYN-queue drops)"},
    {"TcpExt", "TCPReqQFullDrop", "SYN queue full and syncookies off: the SYN was dropped"},
    {"TcpExt", "TCPReqQFullDoCookies", "SYN queue full: answered with a syncookie instead"},
    {"TcpExt", "SyncookiesSent", "syncookies sent (SYN queue overflow, or tcp_syncookies=2)"},
    {"TcpExt", "SyncookiesRecv", "valid syncookie ACKs received: connections made from cookies"},
    {"TcpExt", "SyncookiesFailed", "ACKs with an invalid syncookie"},
    {"TcpExt", "TCPSynRetrans",
     "SYNs sent again by connect() and SYN-ACKs sent again by listeners: lost handshakes"},
    {"TcpExt", "TCPTimeWaitOverflow",
     "tcp_max_tw_buckets reached: a closing socket skipped TIME_WAIT (raise the limit)"},
    {"TcpExt", "TW",
     "sockets that entered TIME_WAIT (counted when the 60 s timer is set, not at expiry)"},
    {"TcpExt", "TWRecycled", "TIME_WAIT 4-tuples taken over by connect() (tcp_tw_reuse)"},
    {"TcpExt", "TCPAbortOnData",
     "RST sent on close with SO_LINGER {1,0}, or data arriving after close"},
    {"TcpExt", "TCPAbortOnClose", "RST sent because the app closed with unread data"},
    {"TcpExt", "TCPAbortOnMemory",
     "connection reset for lack of memory or too many orphans (tcp_mem, tcp_max_orphans)"},
    {"TcpExt", "TCPAbortOnTimeout", "connection dropped after its retransmissions timed out"},
    {"TcpExt", "TCPAbortOnLinger", "orphan in FIN_WAIT2 reset because TCP_LINGER2 was negative"},
    {"Tcp", "ActiveOpens", "connections this host opened (connect())"},
    {"Tcp", "PassiveOpens", "connections this host accepted"},
    {"Tcp", "AttemptFails", "connection attempts that failed (SYN_SENT/SYN_RECV to CLOSED)"},
    {"Tcp", "EstabResets", "ESTABLISHED or CLOSE_WAIT connections reset"},
    {"Tcp", "OutRsts", "RST segments sent"},
    {"Tcp", "RetransSegs", "segments retransmitted"},
    {"Tcp", "CurrEstab", "connections now in ESTABLISHED or CLOSE_WAIT", true},
    {"TcpExt", "TCPMemoryPressures", "times TCP entered memory pressure (tcp_mem[1])"},
}};

}  // namespace

std::span<const CounterInfo> ImportantCounters() { return kCounters; }

const CounterInfo* FindCounterInfo(std::string_view name) {
  const size_t dot = name.find('.');
  const std::string_view section = dot == std::string_view::npos ? "" : name.substr(0, dot);
  const std::string_view field = dot == std::string_view::npos ? name : name.substr(dot + 1);
  for (const CounterInfo& c : kCounters) {
    if (c.name == field && (section.empty() || c.section == section)) return &c;
  }
  return nullptr;
}

}  // namespace tcpdoctor
