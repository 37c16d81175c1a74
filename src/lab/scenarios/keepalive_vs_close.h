// keepalive-vs-close: the same number of requests over one keep-alive connection, then over
// one connection each: TIME_WAIT counts (and segments) side by side.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario KeepaliveVsCloseScenario();

}  // namespace tcpdoctor
