// Rule close-pileup: FIN_WAIT2 / LAST_ACK piling up, orphans near tcp_max_orphans, TCP memory near
// pressure.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule ClosePileupRule();

}  // namespace tcpdoctor
