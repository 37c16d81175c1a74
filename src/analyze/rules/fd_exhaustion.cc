#include "analyze/rules/fd_exhaustion.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule FdExhaustionRule() {
  return Rule{"fd-exhaustion",
              "A process near its nofile limit, or the host near fs.file-max",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
