// time-wait-client and time-wait-server: the same short-connection load, with the client
// closing first, then the server: TIME_WAIT lands on the side that closes first.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario TimeWaitClientScenario();
Scenario TimeWaitServerScenario();

}  // namespace tcpdoctor
