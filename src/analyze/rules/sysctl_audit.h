// Rule sysctl-audit: Sysctls that hurt given what the snapshot shows, and sysctl files that do not
// do what they claim.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule SysctlAuditRule();

}  // namespace tcpdoctor
