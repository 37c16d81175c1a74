// port-exhaustion: short connections closed by the client use up the ephemeral ports toward one
// destination (each held 60 s in TIME_WAIT) until connect() fails with EADDRNOTAVAIL; then
// tcp_tw_reuse = 1 takes over TIME_WAIT ports once they are tcp_tw_reuse_delay old, and a
// second destination address has a whole range of its own.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario PortExhaustionScenario();

}  // namespace tcpdoctor
