// Rule server-active-close: TIME_WAIT on a listening port: this server closes its connections
// first.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule ServerActiveCloseRule();

}  // namespace tcpdoctor
