// Renders `tcpdoctor top` results.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analyze/top_groups.h"

namespace tcpdoctor {

// A table: KEY, COUNT, then one column per state that occurs in the result, an "other" row
// when groups were left out, and TOTAL.
std::string TopText(const TopGroupsResult& top);

// {"by": KEY, "total": N, "groups": [{"key", "count", "states": {non-zero states}}],
//  (--by process groups also have "pid", "comm", "user", "unit", or "no_owner": reason)
//  "other": {"count": N, "groups": M, "states": {...}}}
nlohmann::ordered_json TopJson(const TopGroupsResult& top);

}  // namespace tcpdoctor
