// Bad input gets one line on stderr, starting "tcpdoctor: ", that names the problem (with a
// suggestion when one is close), nothing on stdout, and a non-zero exit: 2 for bad usage.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "support/one_line_error.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(CliErrorsTest, UnknownCommandsAndOptionsSuggestTheClosest) {
  const std::vector<BadInput> inputs = {
      {{"stats"}, kUsage, {"unknown command 'stats'", "did you mean 'states'?"}},
      {{"tops", "--by", "lport"}, kUsage, {"unknown command 'tops'", "did you mean 'top'?"}},
      {{"frobnicate"}, kUsage, {"unknown command 'frobnicate'"}},
      {{"--stat", "time-wait", "states"}, kUsage, {"'--stat'", "did you mean '--state'?"}},
      {{"--jsn", "states"}, kUsage, {"'--jsn'", "did you mean '--json'?"}},
      {{"states", "--jsn"}, kUsage, {"'--jsn'", "did you mean '--json'?"}},
      {{"states", "--all-state"}, kUsage, {"'--all-state'", "did you mean '--all-states'?"}},
      {{"top", "--by", "lport", "--limt", "3"}, kUsage, {"'--limt'", "did you mean '--limit'?"}},
      {{"top", "--by", "lprt"}, kUsage, {"lprt", "did you mean 'lport'?"}},
      {{"top", "--by", "peers"}, kUsage, {"peers", "did you mean 'peer'?"}},
      {{"top", "--by", "nonsense"}, kUsage, {"nonsense", "lport"}},
      {{"top"}, kUsage, {"--by"}},
      {{"top", "--by", "lport", "-n", "0"}, kUsage, {"-n"}},
      {{"top", "--by", "lport", "-n", "abc"}, kUsage, {"abc"}},
      {{"states", "extra"}, kUsage, {"'extra'"}},
  };
  for (const BadInput& input : inputs) ExpectOneLineError(RunTcpdoctor(input.args), input);
}

TEST(CliErrorsTest, BadPortsAddressesAndStatesSayWhatIsExpected) {
  const std::vector<BadInput> inputs = {
      {{"states", "--sport", "0"}, kUsage, {"--sport", "bad port '0'", "1 to 65535"}},
      {{"states", "--sport", "65536"}, kUsage, {"--sport", "'65536'"}},
      {{"states", "--dport", "-1"}, kUsage, {"--dport", "'-1'"}},
      {{"states", "--port", "80x"}, kUsage, {"--port", "'80x'"}},
      {{"--port", "http", "top", "--by", "lport"}, kUsage, {"--port", "'http'"}},
      {{"states", "--addr", "10.0.0.0/33"}, kUsage, {"--addr", "'10.0.0.0/33'"}},
      {{"states", "--addr", "300.1.1.1"}, kUsage, {"--addr", "'300.1.1.1'"}},
      {{"states", "--addr", "::1/129"}, kUsage, {"--addr", "'::1/129'"}},
      {{"states", "--addr", "10.0.0.0/"}, kUsage, {"--addr"}},
      {{"states", "--addr", "fe80::zz"}, kUsage, {"--addr", "'fe80::zz'"}},
      {{"states", "--addr", "localhost"}, kUsage, {"--addr", "'localhost'"}},
      {{"states", "--state", "time-wiat"},
       kUsage,
       {"--state", "unknown state 'time-wiat'", "did you mean 'time-wait'?"}},
      {{"states", "--state", "established,CLOSE-WIAT"}, kUsage, {"'CLOSE-WIAT'", "close-wait"}},
      {{"--state", "bogus", "top", "--by", "lport"}, kUsage, {"unknown state 'bogus'"}},
      {{"states", "--state", ","}, kUsage, {"--state"}},
      {{"-4", "-6", "states"}, kUsage, {"-4", "-6"}},
      {{"states", "--pid", "0"}, kUsage, {"--pid", "'0'"}},
      {{"states", "--pid", "self"}, kUsage, {"--pid", "'self'"}},
      {{"top", "--by", "process", "--netns", "pid:x"}, kUsage, {"pid:x"}},
      {{"procs", "-n", "-2"}, kUsage, {"-n"}},
      {{"top", "--by", "proces"}, kUsage, {"did you mean 'process'?"}},
      // counters are per namespace: a socket filter there would be silently ignored.
      {{"counters", "--sport", "80"}, kUsage, {"--sport", "does not apply"}},
      {{"counters", "--pid", "1"}, kUsage, {"--pid", "does not apply"}},
      {{"--state", "listen", "counters"}, kUsage, {"--state", "does not apply"}},
  };
  for (const BadInput& input : inputs) ExpectOneLineError(RunTcpdoctor(input.args), input);
}

TEST(CliErrorsTest, NamespacesThatDoNotExist) {
  const std::vector<BadInput> inputs = {
      {{"--netns", "tcpdoctor-no-such-ns", "states"}, kAnyFailure, {"tcpdoctor-no-such-ns"}},
      {{"states", "--netns", "/proc/999999999/ns/net"}, kAnyFailure, {"/proc/999999999/ns/net"}},
      {{"top", "--by", "lport", "--netns", "/nonexistent/ns"}, kAnyFailure, {"/nonexistent/ns"}},
      {{"states", "--netns", "/etc/hostname"}, kAnyFailure, {"not a network namespace"}},
  };
  for (const BadInput& input : inputs) ExpectOneLineError(RunTcpdoctor(input.args), input);
}

// `--netns ""` (e.g. an unset shell variable) must not quietly show the current namespace.
TEST(CliErrorsTest, EmptyNamespaceNameIsAnError) {
  const BadInput input{{"--netns", "", "states"}, kAnyFailure, {"--netns"}};
  ExpectOneLineError(RunTcpdoctor(input.args), input);
}

TEST(CliErrorsTest, EnteringANamespaceWithoutPermission) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to drop to an unprivileged user";
  CommandOptions as_nobody;
  as_nobody.run_as = Nobody();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--netns", "/proc/1/ns/net", "states"},
        {"top", "--by", "lport", "--netns", "/proc/1/ns/net"}}) {
    const CommandResult run = RunTcpdoctor(args, as_nobody);
    ExpectOneLineError(run, {args, kAnyFailure, {}});
    const std::string message = Lower(run.err);
    EXPECT_TRUE(message.find("permission") != std::string::npos ||
                message.find("root") != std::string::npos)
        << CommandLine(args) << " as nobody should say it lacks permission: " << run.err;
  }
}

// The namespace exists; only the permission is missing, and the message must not say otherwise.
TEST(CliErrorsTest, PermissionDeniedIsNotReportedAsAMissingNamespace) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to drop to an unprivileged user";
  CommandOptions as_nobody;
  as_nobody.run_as = Nobody();
  const std::vector<std::string> args = {"--netns", "/proc/1/ns/net", "states"};
  const CommandResult run = RunTcpdoctor(args, as_nobody);
  EXPECT_NE(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err.find("no network namespace"), std::string::npos)
      << "as nobody, " << CommandLine(args) << " claims the namespace is missing: " << run.err;
  EXPECT_NE(Lower(run.err).find("root"), std::string::npos)
      << "the message should say that entering a namespace needs root: " << run.err;
  EXPECT_NE(run.err.find("CAP_SYS_PTRACE"), std::string::npos)
      << "another user's /proc/PID/ns/net also needs ptrace access: " << run.err;
}

TEST(CliErrorsTest, HelpAndVersionSucceed) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                               {"states", "--help"},
                                               {"top", "--help"},
                                               {"--version"},
                                               {}}) {
    const CommandResult run = RunTcpdoctor(args);
    EXPECT_EQ(run.exit_code, 0) << CommandLine(args) << ": " << run.Describe();
    EXPECT_FALSE(run.out.empty()) << CommandLine(args);
    EXPECT_EQ(run.err, "") << CommandLine(args);
  }
}

}  // namespace
}  // namespace tcpdoctor::itest
