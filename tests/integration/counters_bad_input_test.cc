// Bad input to `counters`, `listeners` and `ports`: exit code 2, exactly one line on stderr
// starting "tcpdoctor: " that names the problem, and nothing on stdout. Run in a private
// namespace so that the checks never depend on the host's sockets.
#include <gtest/gtest.h>

#include "support/netns_sandbox.h"
#include "support/one_line_error.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

struct UsageCase {
  std::vector<std::string> args;
  std::vector<std::string> mentions;  // substrings the message must contain
};

void ExpectUsageError(const UsageCase& usage) {
  ExpectOneLineError(RunTcpdoctor(usage.args), {usage.args, kUsage, usage.mentions});
}

TEST(CountersBadInputTest, BadIntervalsLimitsAndCounterNames) {
  RunInNetns([] {
    const std::vector<UsageCase> inputs = {
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
    for (const UsageCase& input : inputs) ExpectUsageError(input);
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
