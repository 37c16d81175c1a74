#include "analyze/rules/port_exhaustion.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule PortExhaustionRule() {
  return Rule{"port-exhaustion",
              "A destination using up the ephemeral port range",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
