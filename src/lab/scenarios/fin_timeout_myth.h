// fin-timeout-myth: lowers tcp_fin_timeout and shows that TIME_WAIT still lasts 60 s while
// orphaned FIN_WAIT2 sockets end after tcp_fin_timeout.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario FinTimeoutMythScenario();

}  // namespace tcpdoctor
