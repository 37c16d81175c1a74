#include "analyze/rules/accept_queue_overflow.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule AcceptQueueOverflowRule() {
  return Rule{"accept-queue-overflow",
              "A listener's accept queue full, or ListenOverflows/ListenDrops rising",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
