// `tcpdoctor procs`: the sockets each process holds, by state, and how close the process is to
// its open-file limit.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "analyze/socket_owner.h"
#include "analyze/state_counts.h"
#include "model/socket_owners.h"
#include "model/socket_record.h"

namespace tcpdoctor {

struct ProcessRow {
  uint32_t process = 0;  // index into owners.processes()
  StateCounts states;    // sockets it holds (a socket shared by several processes counts for each)
  uint32_t netns = 0;    // with several namespaces: the caller's index of the one they are in
};

struct ProcessSockets {
  std::vector<ProcessRow> rows;                    // processes holding at least one socket
  std::array<uint64_t, kNoOwnerCount> no_owner{};  // sockets no process holds, by reason
  uint64_t total = 0;                              // sockets seen
};

class ProcessSocketTable {
 public:
  explicit ProcessSocketTable(const SocketOwners& owners)
      : owners_(owners), per_process_(owners.processes().size()) {}

  void Add(const SocketRecord& r);
  void Reset();
  ProcessSockets Take() const;

 private:
  const SocketOwners& owners_;
  std::vector<StateCounts> per_process_;
  std::array<uint64_t, kNoOwnerCount> no_owner_{};
  uint64_t total_ = 0;
};

// open_fds as a percentage of the soft nofile limit; nullopt when the limit is unknown or
// unlimited.
std::optional<double> FdUsePercent(const ProcessInfo& p);

// Riskiest first: processes at >= 80 % of their soft nofile limit (so those at 95 % before
// them), then those holding CLOSE_WAIT sockets (a leak in the making), then the rest; within
// a tier by fd use, CLOSE_WAIT count and sockets, all descending, then by pid. A smaller rank is
// riskier (compare ranks with <). Needs the limits (ProcessInfo's details).
using RiskRank = std::tuple<int, double, double, double, int32_t>;
RiskRank RiskRankOf(const ProcessInfo& p, const StateCounts& states);

// Rows in RiskRankOf order, then by netns. Needs the limits, so call it after the details of the
// rows' processes are read.
void SortByRisk(std::vector<ProcessRow>& rows, const SocketOwners& owners);

}  // namespace tcpdoctor
