#include "analyze/process_sockets.h"

#include <algorithm>
#include <tuple>

namespace tcpdoctor {

void ProcessSocketTable::Add(const SocketRecord& r) {
  ++total_;
  const auto holders = owners_.HoldersOf(r.inode);
  if (holders.empty()) {
    ++no_owner_[static_cast<int>(NoOwnerReason(r))];
    return;
  }
  for (const SocketOwners::Holder& h : holders) per_process_[h.process].Add(r.state);
}

void ProcessSocketTable::Reset() {
  std::fill(per_process_.begin(), per_process_.end(), StateCounts{});
  no_owner_ = {};
  total_ = 0;
}

ProcessSockets ProcessSocketTable::Take() const {
  ProcessSockets out;
  for (uint32_t i = 0; i < per_process_.size(); ++i) {
    if (per_process_[i].Total() != 0) out.rows.push_back({i, per_process_[i]});
  }
  out.no_owner = no_owner_;
  out.total = total_;
  return out;
}

std::optional<double> FdUsePercent(const ProcessInfo& p) {
  if (!p.nofile_soft || *p.nofile_soft == kUnlimited || *p.nofile_soft == 0) return std::nullopt;
  return 100.0 * static_cast<double>(p.open_fds) / static_cast<double>(*p.nofile_soft);
}

RiskRank RiskRankOf(const ProcessInfo& p, const StateCounts& states) {
  const double used = FdUsePercent(p).value_or(-1.0);
  const uint64_t close_wait = states.Get(TcpState::kCloseWait);
  const int tier = used >= 80.0 ? 2 : close_wait > 0 ? 1 : 0;
  // Negated so that a plain ascending comparison puts the riskiest first.
  return std::make_tuple(-tier, -used, -static_cast<double>(close_wait),
                         -static_cast<double>(states.Total()), p.pid);
}

void SortByRisk(std::vector<ProcessRow>& rows, const SocketOwners& owners) {
  const auto rank = [&owners](const ProcessRow& row) {
    return std::tuple_cat(RiskRankOf(owners.processes()[row.process], row.states),
                          std::make_tuple(row.netns));
  };
  std::sort(rows.begin(), rows.end(),
            [&rank](const ProcessRow& a, const ProcessRow& b) { return rank(a) < rank(b); });
}

}  // namespace tcpdoctor
