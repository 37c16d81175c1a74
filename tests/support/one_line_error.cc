#include "support/one_line_error.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {

void ExpectOneLineError(const CommandResult& run, const BadInput& input) {
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

}  // namespace tcpdoctor::itest
