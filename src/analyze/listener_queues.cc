#include "analyze/listener_queues.h"

#include <algorithm>

namespace tcpdoctor {
namespace {

bool IsWildcard(const IpAddress& a) {
  return std::all_of(a.bytes.begin(), a.bytes.end(), [](uint8_t b) { return b == 0; });
}

// How well a listener matches a request's local address, as the kernel's compute_score()
// ranks them: the exact address, then the wildcard of the request's family, then an IPv6
// wildcard (dual-stack) taking IPv4 connections. 0: no match.
int MatchScore(const IpAddress& listener, const IpAddress& local) {
  if (listener == local) return 3;
  if (!IsWildcard(listener)) return 0;
  if (listener.family == local.family) return 2;
  return listener.family == Family::kIpv6 ? 1 : 0;
}

bool ListenerOrder(const ListenerQueue& a, const ListenerQueue& b) {
  if (a.port != b.port) return a.port < b.port;
  if (a.address.family != b.address.family) return a.address.family < b.address.family;
  if (a.address.bytes != b.address.bytes) return a.address.bytes < b.address.bytes;
  return a.inode < b.inode;
}

void CountSample(ListenerQueue& l) {
  l.samples = 1;
  l.peak_accept_queue = l.accept_queue;
  l.samples_full = l.FullNow() ? 1 : 0;
}

}  // namespace

double ListenerQueue::FillPercent() const {
  if (!backlog_known) return 0;
  return 100.0 * accept_queue / (static_cast<double>(backlog) + 1);
}

void ListenerQueueBuilder::Add(const SocketRecord& r) {
  if (r.state == TcpState::kListen) {
    ListenerQueue l;
    l.address = r.local;
    l.port = r.local_port;
    l.inode = r.inode;
    l.uid = r.uid;
    l.accept_queue = r.recv_queue;
    l.backlog = r.send_queue;
    l.backlog_known = backlog_known_;
    listeners_.push_back(l);
  } else if (r.state == TcpState::kSynRecv) {
    requests_.push_back(r);
  }
}

void ListenerQueueBuilder::Reset() {
  listeners_.clear();
  requests_.clear();
}

std::vector<ListenerQueue> ListenerQueueBuilder::Take() {
  for (const SocketRecord& req : requests_) {
    ListenerQueue* owner = nullptr;
    int best = 0;
    for (ListenerQueue& l : listeners_) {
      if (l.port != req.local_port) continue;
      const int score = MatchScore(l.address, req.local);
      if (score > best) {
        best = score;
        owner = &l;
      }
    }
    if (owner != nullptr) ++owner->syn_recv;
  }
  for (ListenerQueue& l : listeners_) CountSample(l);
  std::sort(listeners_.begin(), listeners_.end(),
            [](const ListenerQueue& a, const ListenerQueue& b) {
              if (a.port != b.port) return a.port < b.port;
              if (a.address.family != b.address.family) return a.address.family < b.address.family;
              return a.address.bytes < b.address.bytes;
            });
  requests_.clear();
  return std::move(listeners_);
}

void MergeListenerSample(std::vector<ListenerQueue>& into,
                         const std::vector<ListenerQueue>& sample) {
  for (const ListenerQueue& s : sample) {
    auto it = std::find_if(into.begin(), into.end(), [&](const ListenerQueue& l) {
      return l.port == s.port && l.address == s.address && l.inode == s.inode;
    });
    if (it == into.end()) {  // a listener that appeared during the interval
      into.push_back(s);
      continue;
    }
    const uint32_t peak = std::max(it->peak_accept_queue, s.accept_queue);
    const uint32_t full = it->samples_full + (s.FullNow() ? 1 : 0);
    const uint32_t samples = it->samples + 1;
    *it = s;
    it->peak_accept_queue = peak;
    it->samples_full = full;
    it->samples = samples;
  }
  std::sort(into.begin(), into.end(), ListenerOrder);
}

void AttributeListeners(std::vector<ListenerQueue>& listeners, const SocketOwners& owners) {
  for (ListenerQueue& l : listeners) {
    const auto holders = owners.HoldersOf(l.inode);
    l.owner_processes = static_cast<uint32_t>(holders.size());
    if (holders.empty()) continue;
    const ProcessInfo& first = owners.processes()[holders.front().process];
    l.owner_pid = first.pid;
    l.owner_comm = first.comm;
  }
}

}  // namespace tcpdoctor
