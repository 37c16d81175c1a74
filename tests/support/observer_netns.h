// Two network namespaces: one holds the socket population a test builds, the other the
// programs that observe it (the exporter, Prometheus, scrapers), so that their own listeners
// and connections are not part of what they count.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {

// Runs `populate` in a population namespace P nested in an observer namespace O (two netns
// sandboxes). Each time `populate` calls HandOffToHost(payload), `observe(pid, payload)` runs
// in O while P's sockets stay as they are; `pid` is P's sandbox process, so that
// /proc/PID/ns/net names P. Fails the test if `observe` never ran.
void RunWithObserverNetns(const std::function<void()>& populate,
                          const std::function<void(pid_t, const std::string&)>& observe,
                          const SandboxOptions& options = {});

}  // namespace tcpdoctor::itest
