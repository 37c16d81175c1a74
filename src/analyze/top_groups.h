// `tcpdoctor top`: streams sockets into groups and keeps the N largest, with the rest summed
// into "other".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/group_by.h"
#include "analyze/group_table.h"
#include "model/socket_record.h"

namespace tcpdoctor {

// The fields a group key is made of; only those of the GroupBy in use are set.
struct GroupFields {
  IpAddress local;
  IpAddress remote;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  TcpState state = TcpState::kClose;
  uint64_t context = 0;  // process and netns keys: what the caller passed to Add
};

// For `--by process`: who the group is.
struct GroupOwner {
  int32_t pid = 0;  // 0 when no process holds the group's sockets
  std::string comm;
  std::string user;
  std::string unit;
  std::string no_owner;  // why not, e.g. "time_wait"
};

struct Group {
  std::string key;  // as printed: "8080", "127.0.0.1:8080", "10.0.0.1 -> 10.0.0.2:443" ...
  GroupFields fields;
  uint64_t count = 0;
  PerStateCounts states{};
  std::optional<GroupOwner> owner;  // set by NameOwnerGroups for `--by process`
};

struct TopGroupsResult {
  GroupBy by = GroupBy::kLocalPort;
  std::vector<Group> groups;  // largest first; ties by key
  Group other;                // every socket not in `groups` (key "other")
  uint64_t other_groups = 0;  // how many groups "other" sums
  uint64_t total = 0;         // sockets seen
};

// The key as printed for `by` (process and netns keys print their raw context until the caller
// names them): "8080", "127.0.0.1:8080", "[::1]:8080", "10.0.0.1 -> 10.0.0.2:443".
std::string GroupKeyText(GroupBy by, const GroupFields& fields);

class TopGroups {
 public:
  explicit TopGroups(GroupBy by) : by_(by) {}

  // `context` is the socket's owner key (SocketOwner::Key) for kProcess, the namespace's
  // index for kNetns, and ignored otherwise.
  void Add(const SocketRecord& r, uint64_t context = 0);
  void Reset();
  // Adds the groups of `other` (same GroupBy): per-namespace tables summed for --all-netns.
  void Merge(const TopGroups& other);
  TopGroupsResult Take(size_t n) const;

  // Keys that fit in 16 bytes: every IPv4 key, and keys without an address.
  struct NarrowKey {
    uint64_t a = 0;
    uint64_t b = 0;
    friend bool operator==(const NarrowKey&, const NarrowKey&) = default;
  };
  // IPv6 keys: up to two addresses and a port.
  struct WideKey {
    std::array<uint8_t, 16> first{};
    std::array<uint8_t, 16> second{};
    uint16_t port = 0;
    friend bool operator==(const WideKey&, const WideKey&) = default;
  };
  struct NarrowHash {
    size_t operator()(const NarrowKey& k) const;
  };
  struct WideHash {
    size_t operator()(const WideKey& k) const;
  };

 private:
  GroupBy by_;
  uint64_t total_ = 0;
  GroupTable<NarrowKey, NarrowHash> narrow_;
  GroupTable<WideKey, WideHash> wide_;
};

}  // namespace tcpdoctor
