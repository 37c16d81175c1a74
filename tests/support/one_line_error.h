// What every bad input must get: one line on stderr, starting "tcpdoctor: ", that names the
// cause (and the fix), nothing on stdout, and a non-zero exit (2 for bad usage).
#pragma once

#include <string>
#include <vector>

#include "support/run_command.h"

namespace tcpdoctor::itest {

inline constexpr int kUsage = 2;
inline constexpr int kAnyFailure = -1;  // any non-zero exit

struct BadInput {
  std::vector<std::string> args;
  int exit_code;                      // kUsage, 1, or kAnyFailure
  std::vector<std::string> mentions;  // substrings the message must contain
};

// Checks `run` (of `tcpdoctor input.args`) with gtest assertions.
void ExpectOneLineError(const CommandResult& run, const BadInput& input);

}  // namespace tcpdoctor::itest
