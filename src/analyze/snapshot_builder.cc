#include "analyze/snapshot_builder.h"

#include <algorithm>

#include "analyze/socket_owner.h"

namespace tcpdoctor {
namespace {

// Per process while attributing CLOSE_WAIT.
struct CloseWaitTally {
  EndpointTally peers;
  EndpointTally local;
  uint64_t fresh = 0;
  std::optional<uint64_t> idle_ms;
};

}  // namespace

SnapshotBuilder::SnapshotBuilder(PortBudgetSettings settings, std::set<uint16_t> listening_ports,
                                 bool backlog_known)
    : settings_(settings),
      listening_ports_(listening_ports),
      listeners_(backlog_known),
      ports_(settings, std::move(listening_ports)) {}

void SnapshotBuilder::SetEarlierCloseWait(std::vector<uint64_t> inodes) {
  std::sort(inodes.begin(), inodes.end());
  earlier_close_wait_ = std::move(inodes);
  has_earlier_ = true;
}

void SnapshotBuilder::AttributeWith(const SocketOwners* owners) {
  owners_ = owners;
  per_process_.assign(owners != nullptr ? owners->processes().size() : 0, StateCounts{});
}

void SnapshotBuilder::Add(const SocketRecord& r) {
  states_.Add(r.state);
  if (r.inode != 0) {
    kept_.push_back({r.inode, r.state});
    if (owners_ != nullptr && kept_.size() == kAttributeBatch)
      AttributeKept(*owners_, per_process_);
  }
  const bool accepted = listening_ports_.contains(r.local_port);
  switch (r.state) {
    case TcpState::kListen:
    case TcpState::kSynRecv:
      listeners_.Add(r);
      break;
    case TcpState::kTimeWait:
      if (accepted) {
        PortTimeWait& port = listening_time_wait_[r.local_port];
        ++port.count;
        port.clients.Add(r.remote, 0);
      }
      break;
    case TcpState::kFinWait2:
      fin_wait2_peers_.Add(r.remote, 0);
      if (r.inode == 0) ++fin_wait2_orphaned_;
      break;
    case TcpState::kLastAck:
      last_ack_peers_.Add(r.remote, 0);
      break;
    case TcpState::kCloseWait:
      // Accepted connections: the clients' addresses and our service port; outgoing ones: the
      // server's address and port, and our address.
      close_wait_.push_back(
          accepted
              ? CloseWaitSocket{r.inode, r.remote, 0, r.local, r.local_port, r.last_data_recv_ms}
              : CloseWaitSocket{r.inode, r.remote, r.remote_port, r.local, 0, r.last_data_recv_ms});
      break;
    default:
      break;
  }
  if (r.state != TcpState::kListen) ports_.Add(r);
}

void SnapshotBuilder::AttributeKept(const SocketOwners& owners,
                                    std::vector<StateCounts>& per_process) {
  for (const Kept& k : kept_) {
    for (const SocketOwners::Holder& h : owners.HoldersOf(k.inode)) {
      per_process[h.process].Add(k.state);
    }
  }
  kept_.clear();
}

void SnapshotBuilder::Reset() {
  states_.Reset();
  listeners_.Reset();
  ports_.Reset();
  listening_time_wait_.clear();
  fin_wait2_peers_ = {};
  last_ack_peers_ = {};
  fin_wait2_orphaned_ = 0;
  kept_.clear();
  per_process_.assign(per_process_.size(), StateCounts{});
  close_wait_.clear();
}

void SnapshotBuilder::Finish(const SocketOwners* owners,
                             const std::function<const ProcessInfo&(uint32_t index)>& details,
                             Snapshot& into) {
  into.states = states_;
  into.port_settings = settings_;
  into.listeners = listeners_.Take();
  into.destinations = ports_.Take();
  into.listening_time_wait.clear();
  for (const auto& [port, tw] : listening_time_wait_) {
    into.listening_time_wait.push_back({port, tw.count, tw.clients.Top(kTopEndpoints)});
  }
  std::sort(into.listening_time_wait.begin(), into.listening_time_wait.end(),
            [](const ListeningPortTimeWait& a, const ListeningPortTimeWait& b) {
              return a.time_wait != b.time_wait ? a.time_wait > b.time_wait : a.port < b.port;
            });
  into.fin_wait2_peers = fin_wait2_peers_.Top(kTopEndpoints);
  into.last_ack_peers = last_ack_peers_.Top(kTopEndpoints);
  into.fin_wait2_orphaned = fin_wait2_orphaned_;
  into.processes.clear();
  into.owners_known = owners != nullptr;
  into.close_wait_not_accepted = 0;
  into.close_wait_hidden = 0;
  for (const CloseWaitSocket& s : close_wait_) {
    if (s.inode == 0) ++into.close_wait_not_accepted;
  }
  if (owners == nullptr) return;

  AttributeListeners(into.listeners, *owners);
  into.unreadable_processes = owners->unreadable;
  std::vector<StateCounts> per_process = std::move(per_process_);
  if (owners_ != owners) per_process.assign(owners->processes().size(), StateCounts{});
  AttributeKept(*owners, per_process);
  std::unordered_map<uint32_t, CloseWaitTally> close_wait;
  for (const CloseWaitSocket& s : close_wait_) {
    const auto holders = owners->HoldersOf(s.inode);
    if (s.inode != 0 && holders.empty()) ++into.close_wait_hidden;
    const bool fresh =
        !std::binary_search(earlier_close_wait_.begin(), earlier_close_wait_.end(), s.inode);
    for (const SocketOwners::Holder& h : holders) {
      CloseWaitTally& t = close_wait[h.process];
      t.peers.Add(s.peer, s.peer_port);
      t.local.Add(s.local, s.local_port);
      if (fresh) ++t.fresh;
      if (s.idle_ms) t.idle_ms = std::max<uint64_t>(t.idle_ms.value_or(0), *s.idle_ms);
    }
  }
  for (uint32_t i = 0; i < per_process.size(); ++i) {
    if (per_process[i].Total() == 0) continue;
    ProcessSnapshot p;
    p.info = details(i);
    p.states = per_process[i];
    if (auto it = close_wait.find(i); it != close_wait.end()) {
      p.close_wait_new = has_earlier_ ? it->second.fresh : 0;
      p.close_wait_peers = it->second.peers.Top(kTopEndpoints);
      p.close_wait_local = it->second.local.Top(kTopEndpoints);
      p.close_wait_idle_ms = it->second.idle_ms;
    }
    into.processes.push_back(std::move(p));
  }
  std::stable_sort(into.processes.begin(), into.processes.end(),
                   [](const ProcessSnapshot& a, const ProcessSnapshot& b) {
                     return a.states.Total() > b.states.Total();
                   });
}

}  // namespace tcpdoctor
