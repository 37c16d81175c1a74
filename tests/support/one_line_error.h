// Bad input gets one line on stderr, starting "tcpdoctor: ", that names the problem, nothing on
// stdout, and a non-zero exit: the check the CLI error tests share (header-only).
#pragma once

#include <gtest/gtest.h>
#include <pwd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/run_command.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {

inline constexpr int kUsage = 2;
inline constexpr int kAnyFailure = -1;  // any non-zero exit

struct BadInput {
  std::vector<std::string> args;
  int exit_code;                      // kUsage, or kAnyFailure, or an exact code
  std::vector<std::string> mentions;  // substrings the message must contain
};

// One line, "tcpdoctor: ...", nothing on stdout, the expected exit and words.
inline void ExpectOneLineError(const CommandResult& run, const BadInput& input) {
  const std::string command = CommandLine(input.args);
  EXPECT_FALSE(run.timed_out) << command;
  if (input.exit_code == kAnyFailure) {
    EXPECT_NE(run.exit_code, 0) << command << ": " << run.Describe();
  } else {
    EXPECT_EQ(run.exit_code, input.exit_code) << command << ": " << run.Describe();
  }
  EXPECT_EQ(run.out, "") << command;
  EXPECT_TRUE(run.err.rfind("tcpdoctor: ", 0) == 0) << command << ": " << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << command << ": " << run.err;
  EXPECT_TRUE(!run.err.empty() && run.err.back() == '\n') << command << ": " << run.err;
  for (const std::string& word : input.mentions) {
    EXPECT_NE(run.err.find(word), std::string::npos)
        << command << ": the message should mention \"" << word << "\": " << run.err;
  }
}

inline RunAs Nobody() {
  const passwd* pw = ::getpwnam("nobody");
  return pw != nullptr ? RunAs{pw->pw_uid, pw->pw_gid} : RunAs{65534, 65534};
}

}  // namespace tcpdoctor::itest
