// backlog-overflow: a listener with a small backlog whose server accepts slowly, and a crowd of
// clients connecting at once. The accept queue fills at backlog+1, ListenOverflows and
// ListenDrops count the handshakes dropped, and clients wait for their SYN (and data)
// retransmits: connect latency in whole seconds on an idle loopback.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario BacklogOverflowScenario();

}  // namespace tcpdoctor
