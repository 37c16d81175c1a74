// Builds the socket part of a Snapshot from one dump, streamed: the state histogram, the
// listeners, ports per destination, TIME_WAIT on listening ports and the close states' peers
// as the records pass; per process once the owner map is ready (the scan runs during the
// dump). Keeps 16 bytes per socket that has a file, and a little more per CLOSE_WAIT socket.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "analyze/endpoint_tally.h"
#include "analyze/listener_queues.h"
#include "analyze/port_usage.h"
#include "analyze/snapshot.h"
#include "model/socket_owners.h"
#include "model/socket_record.h"

namespace tcpdoctor {

class SnapshotBuilder {
 public:
  // `listening_ports`: ports with a LISTEN socket (from a LISTEN-only dump before the main
  // one). `backlog_known`: false on the /proc path.
  SnapshotBuilder(PortBudgetSettings settings, std::set<uint16_t> listening_ports,
                  bool backlog_known);

  // The inodes of the CLOSE_WAIT sockets seen at the earlier sample: those still there are not
  // growth.
  void SetEarlierCloseWait(std::vector<uint64_t> inodes);

  // The owner map, when it is ready before the dump (the exporter keeps one between scans):
  // sockets are then attributed a batch at a time instead of all being kept for Finish, so
  // memory stays flat at a million sockets. (A batch, not each socket as it passes: looking up
  // a few thousand inodes in a row lets the CPU overlap their cache misses, twice as fast as
  // one lookup between each record's parsing.) Must be the map later given to Finish.
  void AttributeWith(const SocketOwners* owners);

  void Add(const SocketRecord& r);
  // The dump restarted: forget what was added.
  void Reset();

  // Fills `into`'s socket fields. `owners` may be null (the scan failed): processes are then
  // unknown. `details(index)` must return process `index` with its details read (limits).
  void Finish(const SocketOwners* owners,
              const std::function<const ProcessInfo&(uint32_t index)>& details, Snapshot& into);

 private:
  struct Kept {
    uint64_t inode;
    TcpState state;
  };
  struct CloseWaitSocket {
    uint64_t inode;
    IpAddress peer;
    uint16_t peer_port;
    IpAddress local;
    uint16_t local_port;
    std::optional<uint32_t> idle_ms;
  };

  PortBudgetSettings settings_;
  std::set<uint16_t> listening_ports_;
  std::vector<uint64_t> earlier_close_wait_;  // sorted
  bool has_earlier_ = false;                  // there was an earlier sample

  StateCounts states_;
  ListenerQueueBuilder listeners_;
  PortUsageBuilder ports_;
  struct PortTimeWait {
    uint64_t count = 0;
    EndpointTally clients;
  };
  std::unordered_map<uint16_t, PortTimeWait> listening_time_wait_;
  EndpointTally fin_wait2_peers_;
  EndpointTally last_ack_peers_;
  uint64_t fin_wait2_orphaned_ = 0;
  static constexpr size_t kAttributeBatch = 4096;
  // Adds the kept sockets to their holders' counts, and forgets them.
  void AttributeKept(const SocketOwners& owners, std::vector<StateCounts>& per_process);

  std::vector<Kept> kept_;                // all of them, or a batch with an owner map
  const SocketOwners* owners_ = nullptr;  // the map during the dump (AttributeWith)
  std::vector<StateCounts> per_process_;  // then, per process index
  std::vector<CloseWaitSocket> close_wait_;
};

}  // namespace tcpdoctor
