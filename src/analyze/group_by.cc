#include "analyze/group_by.h"

namespace tcpdoctor {

std::optional<GroupBy> ParseGroupBy(std::string_view name) {
  for (size_t i = 0; i < kGroupByNames.size(); ++i) {
    if (kGroupByNames[i] == name) return static_cast<GroupBy>(i);
  }
  return std::nullopt;
}

std::string_view GroupByName(GroupBy by) { return kGroupByNames[static_cast<size_t>(by)]; }

}  // namespace tcpdoctor
