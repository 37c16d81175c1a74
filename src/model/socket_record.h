// One TCP socket as the kernel reports it: the unit that flows from collect/ to analyze/.
#pragma once

#include <cstdint>
#include <optional>

#include "model/ip_address.h"
#include "model/tcp_state.h"

namespace tcpdoctor {

// idiag_timer: which timer is pending on the socket.
enum class SocketTimer : uint8_t {
  kNone = 0,
  kRetransmit = 1,  // also SYN_RECV request sockets (SYN-ACK retransmit)
  kKeepalive = 2,
  kTimeWait = 3,  // TIME_WAIT and orphaned FIN_WAIT2 minisockets
  kZeroWindowProbe = 4,
};

struct SocketRecord {
  TcpState state = TcpState::kClose;
  IpAddress local;
  IpAddress remote;
  uint16_t local_port = 0;   // host order
  uint16_t remote_port = 0;  // host order
  // For LISTEN: the accept queue's length now and its maximum (the effective backlog).
  // For other states: unread bytes (rcv_nxt - copied_seq) and unacked bytes (write_seq - snd_una).
  uint32_t recv_queue = 0;
  uint32_t send_queue = 0;
  // 0 for sockets without a file: TIME_WAIT, request sockets, orphans, unaccepted children.
  uint64_t inode = 0;
  uint32_t uid = 0;
  SocketTimer timer = SocketTimer::kNone;
  uint32_t timer_expires_ms = 0;
  uint8_t retransmits = 0;
  uint64_t cookie = 0;  // 0 when the source has none (/proc/net/tcp)
  // From tcp_info (asked for with INET_DIAG_INFO): milliseconds since the socket last received
  // data. nullopt when not asked for, or for sockets without tcp_info (TIME_WAIT, requests).
  std::optional<uint32_t> last_data_recv_ms;

  Family family() const { return local.family; }
};

}  // namespace tcpdoctor
