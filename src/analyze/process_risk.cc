#include "analyze/process_risk.h"

#include <algorithm>

#include "analyze/process_sockets.h"

namespace tcpdoctor {

std::vector<const ProcessSnapshot*> ByRisk(const std::vector<ProcessSnapshot>& processes) {
  std::vector<std::pair<RiskRank, const ProcessSnapshot*>> ranked;
  ranked.reserve(processes.size());
  for (const ProcessSnapshot& p : processes) ranked.emplace_back(RiskRankOf(p.info, p.states), &p);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const ProcessSnapshot*> order;
  order.reserve(ranked.size());
  for (const auto& [rank, p] : ranked) order.push_back(p);
  return order;
}

}  // namespace tcpdoctor
