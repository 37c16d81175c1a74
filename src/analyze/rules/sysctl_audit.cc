#include "analyze/rules/sysctl_audit.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule SysctlAuditRule() {
  return Rule{"sysctl-audit",
              "Sysctls that hurt given what the snapshot shows, and sysctl files that do not do "
              "what they claim",
              {},
              [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
