// Renders the state histogram for `tcpdoctor states`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analyze/state_counts.h"

namespace tcpdoctor {

// One line per state in RFC order (non-zero ones unless `all_states`), then TOTAL.
std::string StatesText(const StateCounts& counts, bool all_states);

// {"total": N, "states": {"ESTABLISHED": N, ...}}: every state, zeros included.
nlohmann::ordered_json StatesJson(const StateCounts& counts);

// --all-netns: one row per namespace (label, total, then a column per state that occurs, or
// every state with `all_states`), then TOTAL.
struct NamespaceStates {
  std::string label;
  StateCounts counts;
};
std::string StatesByNetnsText(const std::vector<NamespaceStates>& namespaces,
                              const StateCounts& total, bool all_states);

}  // namespace tcpdoctor
