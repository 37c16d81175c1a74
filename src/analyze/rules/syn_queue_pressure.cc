#include "analyze/rules/syn_queue_pressure.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule SynQueuePressureRule() {
  return Rule{"syn-queue-pressure",
              "SYN_RECV near a listener's backlog, SYN queue drops, syncookies off",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
