// `tcpdoctor listeners`: each LISTEN socket with its accept queue, backlog and half-open
// (SYN_RECV) connections.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/socket_owners.h"
#include "model/socket_record.h"

namespace tcpdoctor {

struct ListenerQueue {
  IpAddress address;  // may be a wildcard (0.0.0.0, ::)
  uint16_t port = 0;
  uint64_t inode = 0;
  uint32_t uid = 0;
  // The accept queue: connections that finished the handshake and wait for accept().
  uint32_t accept_queue = 0;
  // The effective backlog, min(listen() argument, somaxconn at listen() time). The kernel
  // lets the queue hold backlog + 1 before it drops (sk_acceptq_is_full tests '>').
  uint32_t backlog = 0;
  bool backlog_known = true;  // false on the /proc path, which does not show it
  // Request sockets (SYN_RECV) addressed to this listener's address and port.
  uint32_t syn_recv = 0;
  // Across samples: the longest accept queue seen and how many samples found it full.
  uint32_t peak_accept_queue = 0;
  uint32_t samples_full = 0;
  uint32_t samples = 0;
  // Who holds it (AttributeListeners): the lowest pid, and how many processes share it (a
  // master and its workers); pid 0 when no process we could read holds it.
  int32_t owner_pid = 0;
  std::string owner_comm;
  uint32_t owner_processes = 0;

  // How full the accept queue is now, against what it can hold (backlog + 1): 0..100.
  double FillPercent() const;
  bool FullNow() const { return backlog_known && accept_queue > backlog; }
  // The application asked for at least somaxconn and was capped to it.
  bool CappedBy(std::optional<uint32_t> somaxconn) const {
    return backlog_known && somaxconn && backlog == *somaxconn;
  }
};

// Builds listeners from one dump of LISTEN and SYN_RECV sockets. Feed every record, then
// Take(). Request sockets go to the listener on their exact address, else to a wildcard
// listener on their port of a compatible family; with SO_REUSEPORT, several listeners share
// an address and the first one gets the count (the kernel does not say which one owns it).
class ListenerQueueBuilder {
 public:
  // `backlog_known`: false when the source cannot see the backlog (/proc/net/tcp).
  explicit ListenerQueueBuilder(bool backlog_known = true) : backlog_known_(backlog_known) {}
  void Add(const SocketRecord& r);
  void Reset();
  std::vector<ListenerQueue> Take();

 private:
  bool backlog_known_;
  std::vector<ListenerQueue> listeners_;
  std::vector<SocketRecord> requests_;  // few: bounded by the listeners' SYN queues
};

// Folds a later sample into `into` (same listeners by address, port and inode): keeps the
// latest queue and SYN_RECV figures and accumulates the peak and the full count.
// Names each listener's owner from the owner map.
void AttributeListeners(std::vector<ListenerQueue>& listeners, const SocketOwners& owners);

void MergeListenerSample(std::vector<ListenerQueue>& into,
                         const std::vector<ListenerQueue>& sample);

}  // namespace tcpdoctor
