// syn-flood: handshakes that never complete fill a listener's SYN queue. On loopback, inside the
// lab's namespace, a TCP_DEFER_ACCEPT listener stands in for the flood: the kernel drops the
// clients' bare final ACKs and keeps their request sockets in SYN_RECV, as it keeps those of a
// flood whose ACKs never come. With tcp_syncookies = 1 the SYNs beyond the queue get cookies;
// with 0 they are dropped and their clients wait in SYN_SENT.
#pragma once

#include "lab/scenario.h"

namespace tcpdoctor {

Scenario SynFloodScenario();

}  // namespace tcpdoctor
