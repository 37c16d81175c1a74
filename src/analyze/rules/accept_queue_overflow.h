// Rule accept-queue-overflow: A listener's accept queue full, or ListenOverflows/ListenDrops
// rising.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule AcceptQueueOverflowRule();

}  // namespace tcpdoctor
