// Rule syn-queue-pressure: SYN_RECV near a listener's backlog, SYN queue drops, syncookies off.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule SynQueuePressureRule();

}  // namespace tcpdoctor
