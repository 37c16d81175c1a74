// Rule time-wait-overflow: TIME_WAIT at tcp_max_tw_buckets: closes skip TIME_WAIT.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule TimeWaitOverflowRule();

}  // namespace tcpdoctor
