// Bad input to `counters`, `listeners` and `ports`: exit code 2, exactly one line on stderr
// starting "tcpdoctor: " that names the problem, and nothing on stdout. Run in a private
// namespace so that the checks never depend on the host's sockets.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/netns_sandbox.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

constexpr int kUsage = 2;

struct BadInput {
  std::vector<std::string> args;
  std::vector<std::string> mentions;  // substrings the message must contain
};

void ExpectUsageError(const BadInput& input) {
  const CommandResult run = RunTcpdoctor(input.args);
  const std::string command = CommandLine(input.args);
  EXPECT_FALSE(run.timed_out) << command;
  EXPECT_EQ(run.exit_code, kUsage) << command << ": " << run.Describe();
  EXPECT_EQ(run.out, "") << command;
  EXPECT_EQ(run.err.rfind("tcpdoctor: ", 0), 0u) << command << ": " << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << command << ": " << run.err;
  EXPECT_TRUE(!run.err.empty() && run.err.back() == '\n') << command << ": " << run.err;
  for (const std::string& word : input.mentions) {
    EXPECT_NE(run.err.find(word), std::string::npos)
        << command << ": the message should mention \"" << word << "\": " << run.err;
  }
}

TEST(CountersBadInputTest, BadIntervalsLimitsAndCounterNames) {
  RunInNetns([] {
    const std::vector<BadInput> inputs = {
        {{"counters", "-i", "abc"}, {"abc"}},
        {{"counters", "-i", "0"}, {"'0'"}},
        {{"counters", "-i", "-1"}, {"-1"}},
        {{"counters", "--interval", "nan"}, {"nan"}},
        {{"counters", "-i", "1s"}, {"1s"}},
        {{"counters", "-i", "3601"}, {"3601"}},
        {{"counters", "-i", "0", "--json"}, {"'0'"}},
        {{"listeners", "-i", "0"}, {"'0'"}},
        {{"listeners", "-i", "x"}, {"'x'"}},
        {{"listeners", "-i", "-2"}, {"-2"}},
        {{"ports", "-i", "x"}, {"'x'"}},
        {{"ports", "-i", "0"}, {"'0'"}},
        {{"ports", "-n", "0"}, {"-n"}},
        {{"ports", "-n", "-3"}, {"-n"}},
        {{"ports", "-n", "abc"}, {"abc"}},
        {{"ports", "--limit", "0", "--json"}, {"-n"}},
        {{"counters", "NoSuchCounter"}, {"no counter named 'NoSuchCounter'"}},
        {{"counters", "NoSuchCounter", "--json"}, {"'NoSuchCounter'"}},
        {{"counters", "ListenOverflow"},
         {"'ListenOverflow'", "did you mean 'TcpExt.ListenOverflows'?"}},
        {{"counters", "-i", "1", "TCPTimeWaitOverflows"},
         {"'TCPTimeWaitOverflows'", "did you mean 'TcpExt.TCPTimeWaitOverflow'?"}},
        {{"counters", "--al"}, {"'--al'", "did you mean '--all'?"}},
        {{"listeners", "extra"}, {"'extra'"}},
        {{"ports", "--limt", "3"}, {"'--limt'", "did you mean '--limit'?"}},
    };
    for (const BadInput& input : inputs) ExpectUsageError(input);
  });
}

// Near misses the prefix match above does not catch get a suggestion too, as unknown commands,
// options and --by keys do (cli_errors_test): the name spelled with its section, the section
// in the wrong case, a typo inside the name.
TEST(CountersBadInputTest, NearMissesSuggestTheCounter) {
  RunInNetns([] {
    ExpectUsageError({{"counters", "TcpExt.ListenOverflow"},
                      {"'TcpExt.ListenOverflow'", "did you mean 'TcpExt.ListenOverflows'?"}});
    ExpectUsageError({{"counters", "Tcpext.ListenOverflows"},
                      {"'Tcpext.ListenOverflows'", "did you mean 'TcpExt.ListenOverflows'?"}});
    ExpectUsageError({{"counters", "ListenOverfows"},
                      {"'ListenOverfows'", "did you mean 'TcpExt.ListenOverflows'?"}});
  });
}

// A bad counter name is reported before any interval is waited out.
TEST(CountersBadInputTest, UnknownCounterFailsWithoutWaitingForTheInterval) {
  RunInNetns([] {
    const auto start = std::chrono::steady_clock::now();
    ExpectUsageError({{"counters", "-i", "5", "NoSuchCounter"}, {"'NoSuchCounter'"}});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
