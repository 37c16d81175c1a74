#include "analyze/rules/time_wait_overflow.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule TimeWaitOverflowRule() {
  return Rule{"time-wait-overflow",
              "TIME_WAIT at tcp_max_tw_buckets: closes skip TIME_WAIT",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
