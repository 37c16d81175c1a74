// Rule close-wait-leak: CLOSE_WAIT sockets piling up in a process (the application does not close
// after reading EOF).
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule CloseWaitLeakRule();

}  // namespace tcpdoctor
