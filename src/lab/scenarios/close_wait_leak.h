// close-wait-leak: a server that never closes after its clients' FIN. CLOSE_WAIT grows one for
// one with the connections, each holding a descriptor, until the server's small nofile is used up
// and accept() fails with EMFILE while new clients wait in the accept queue.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario CloseWaitLeakScenario();

}  // namespace tcpdoctor
