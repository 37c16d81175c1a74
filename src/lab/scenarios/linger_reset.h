// linger-reset: close() after SO_LINGER {1, 0} sends an RST instead of a FIN: no TIME_WAIT,
// TCPAbortOnData counts it, and the peer reads ECONNRESET; side by side with normal closes.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario LingerResetScenario();

}  // namespace tcpdoctor
