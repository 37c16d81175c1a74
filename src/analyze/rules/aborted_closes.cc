#include "analyze/rules/aborted_closes.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule AbortedClosesRule() {
  return Rule{"aborted-closes",
              "Connections reset at close: data thrown away (SO_LINGER 0, unread data)",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
