#include "lab/interrupt.h"

#include <string>

namespace tcpdoctor {
namespace {

// The one global of the project: a signal handler can only hand information to the program
// through a static volatile sig_atomic_t, and the lab must hear of Ctrl-C to clean up.
volatile sig_atomic_t g_signal = 0;

void OnSignal(int signal) { g_signal = signal; }

}  // namespace

InterruptScope::InterruptScope() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll(), accept() and friends return EINTR
  ::sigaction(SIGINT, &action, &previous_int_);
  ::sigaction(SIGTERM, &action, &previous_term_);
}

InterruptScope::~InterruptScope() {
  ::sigaction(SIGINT, &previous_int_, nullptr);
  ::sigaction(SIGTERM, &previous_term_, nullptr);
}

int InterruptSignal() { return g_signal; }

Status CheckInterrupt() {
  const int signal = g_signal;
  if (signal == 0) return Ok{};
  return Error{ErrorCode::kInterrupted,
               std::string("interrupted by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM"), 0, "lab",
               "the run was stopped and cleaned up; run it again to see it through"};
}

}  // namespace tcpdoctor
