#include "analyze/rules/server_active_close.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule ServerActiveCloseRule() {
  return Rule{"server-active-close",
              "TIME_WAIT on a listening port: this server closes its connections first",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
