#include "analyze/rules/close_wait_leak.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule CloseWaitLeakRule() {
  return Rule{"close-wait-leak",
              "CLOSE_WAIT sockets piling up in a process (the application does not close after "
              "reading EOF)",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
