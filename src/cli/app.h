// The command line: parses arguments, runs the command, prints errors, picks the exit code.
#pragma once

#include <ostream>

namespace tcpdoctor {

// Exit codes: 0 success, 1 the command failed at run time, 2 bad usage, 130 interrupted by
// SIGINT or SIGTERM (the lab, which cleans up first).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tcpdoctor
