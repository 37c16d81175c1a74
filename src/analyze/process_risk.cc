#include "analyze/process_risk.h"

#include "analyze/process_sockets.h"
#include "analyze/sorted_by_rank.h"

namespace tcpdoctor {

std::vector<const ProcessSnapshot*> ByRisk(const std::vector<ProcessSnapshot>& processes) {
  return SortedByRank(processes,
                      [](const ProcessSnapshot& p) { return RiskRankOf(p.info, p.states); });
}

}  // namespace tcpdoctor
