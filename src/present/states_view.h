// Renders the state histogram for `tcpdoctor states`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analyze/state_counts.h"

namespace tcpdoctor {

// One line per state in RFC order (non-zero ones unless `all_states`), then TOTAL.
std::string StatesText(const StateCounts& counts, bool all_states);

// {"total": N, "states": {"ESTABLISHED": N, ...}}: every state, zeros included.
nlohmann::ordered_json StatesJson(const StateCounts& counts);

}  // namespace tcpdoctor
