// Ctrl-C and SIGTERM during a lab run: a flag that every loop of the lab checks, so that the
// run stops at the next check and cleans up through its destructors (helpers killed and
// reaped, the namespace left) instead of dying with processes and sockets behind.
#pragma once

#include <signal.h>

#include "core/result.h"

namespace tcpdoctor {

// Installs handlers for SIGINT and SIGTERM for its lifetime (without SA_RESTART, so that a
// blocking call returns EINTR) and restores the previous ones when destroyed. One at a time.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// The signal that arrived since the scope was installed (SIGINT or SIGTERM), or 0.
int InterruptSignal();

// kInterrupted naming the signal if one arrived, else Ok: what every lab loop returns early.
Status CheckInterrupt();

}  // namespace tcpdoctor
