// The kernel's own view of the namespace's TCP table, read from /proc/net/tcp{,6}: an oracle
// that does not go through tcpdoctor or ss, used to wait until a population has settled.
#pragma once

#include <string>
#include <vector>

#include "support/socket_tuple.h"

namespace tcpdoctor::itest {

// Every socket in /proc/net/tcp and /proc/net/tcp6 of the calling process's namespace, or
// an empty list and `error` set.
std::vector<SocketTuple> ReadProcNetTcp(std::string& error);

}  // namespace tcpdoctor::itest
