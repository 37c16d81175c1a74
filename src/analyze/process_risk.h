// A snapshot's processes riskiest first, as `tcpdoctor procs` orders them (RiskRankOf): the
// order in which a report cut to a few processes keeps them (the exporter's top N).
#pragma once

#include <vector>

#include "analyze/snapshot.h"

namespace tcpdoctor {

// `processes` riskiest first, as pointers into it.
std::vector<const ProcessSnapshot*> ByRisk(const std::vector<ProcessSnapshot>& processes);

}  // namespace tcpdoctor
