// `tcpdoctor states` on a known population in a private namespace: exact counts for every
// state, in JSON and text, per family, and agreement with `ss -tan` in the same namespace.
#include <gtest/gtest.h>

#include <sstream>

#include "support/expected_answers.h"
#include "support/netns_sandbox.h"
#include "support/population.h"
#include "support/selection.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

// ss's name for one state in a `state NAME` filter.
std::string SsFilterName(State s) {
  switch (s) {
    case State::kEstablished:
      return "established";
    case State::kSynSent:
      return "syn-sent";
    case State::kSynRecv:
      return "syn-recv";
    case State::kFinWait1:
      return "fin-wait-1";
    case State::kFinWait2:
      return "fin-wait-2";
    case State::kTimeWait:
      return "time-wait";
    case State::kClose:
      return "closed";
    case State::kCloseWait:
      return "close-wait";
    case State::kLastAck:
      return "last-ack";
    case State::kListen:
      return "listening";
    case State::kClosing:
      return "closing";
  }
  return "";
}

// The rows of `tcpdoctor states` text output: (name, count) pairs, TOTAL included.
std::vector<std::pair<std::string, uint64_t>> ParseStatesText(const std::string& text) {
  std::vector<std::pair<std::string, uint64_t>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    uint64_t count = 0;
    std::string rest;
    if (!(fields >> name >> count) || (fields >> rest)) {
      ADD_FAILURE() << "unexpected line in `states` output: '" << line << "'";
      continue;
    }
    rows.emplace_back(name, count);
  }
  return rows;
}

std::vector<std::pair<std::string, uint64_t>> ExpectedStatesText(
    const std::vector<SocketTuple>& sockets, bool all_states) {
  const nlohmann::json counts = ExpectedStates(sockets);
  std::vector<std::pair<std::string, uint64_t>> rows;
  for (State s : kAllStates) {
    const uint64_t n = counts["states"][std::string(StateName(s))].get<uint64_t>();
    if (n != 0 || all_states) rows.emplace_back(StateName(s), n);
  }
  rows.emplace_back("TOTAL", sockets.size());
  return rows;
}

class StatesTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(StatesTest, JsonCountsEveryStateExactlyAndAgreesWithSs) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    const std::vector<SocketTuple>& sockets = population.expected();
    const nlohmann::json expected = ExpectedStates(sockets);
    // The plan reaches every state the table can hold (CLOSE sockets are never listed).
    for (State s : kAllStates) {
      if (s == State::kClose) continue;
      EXPECT_GT(expected["states"][std::string(StateName(s))].get<int>(), 0)
          << "the population has no " << StateName(s) << "; plan: " << population.plan().ToString();
    }

    const auto doc = TcpdoctorJson({"states"});
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(*doc, expected) << "plan: " << population.plan().ToString();

    const SsResult ss = RunSs();
    ASSERT_EQ(ss.error, "");
    EXPECT_EQ(Sorted(ss.rows), Sorted(sockets)) << "ss -tan disagrees with the population";
    EXPECT_EQ(ExpectedStates(ss.rows), *doc) << "tcpdoctor's counts differ from ss -tan's";
    for (State s : kAllStates) {
      const SsResult one = RunSs({"state", SsFilterName(s)}, s);
      ASSERT_EQ(one.error, "");
      EXPECT_EQ((*doc)["states"][std::string(StateName(s))], one.rows.size())
          << "ss -tan state " << SsFilterName(s);
    }
  });
}

TEST_P(StatesTest, TextAndFamiliesAreExact) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    const std::vector<SocketTuple>& sockets = population.expected();

    for (const bool all_states : {false, true}) {
      std::vector<std::string> args = {"states"};
      if (all_states) args.push_back("--all-states");
      const CommandResult text = RunTcpdoctor(args);
      ASSERT_EQ(text.exit_code, 0) << text.Describe();
      EXPECT_EQ(text.err, "");
      EXPECT_EQ(ParseStatesText(text.out), ExpectedStatesText(sockets, all_states))
          << CommandLine(args) << " printed:\n"
          << text.out;
    }

    Selection v4;
    v4.ipv6 = false;
    Selection v6;
    v6.ipv4 = false;
    for (const auto& [flag, selection] : {std::pair{"-4", v4}, std::pair{"-6", v6}}) {
      const auto selected = Select(sockets, selection);
      ASSERT_FALSE(selected.empty()) << "the population has no sockets for " << flag;
      // Before and after the command: both places take the global options.
      for (const auto& args :
           {std::vector<std::string>{flag, "states"}, std::vector<std::string>{"states", flag}}) {
        const auto doc = TcpdoctorJson(args);
        ASSERT_TRUE(doc.has_value());
        EXPECT_EQ(*doc, ExpectedStates(selected)) << CommandLine(args);
      }
      const SsResult ss = RunSs({flag});
      ASSERT_EQ(ss.error, "");
      EXPECT_EQ(Sorted(ss.rows), Sorted(selected)) << "ss -tan " << flag;
      const CommandResult text = RunTcpdoctor({"states", flag, "--all-states"});
      ASSERT_EQ(text.exit_code, 0) << text.Describe();
      EXPECT_EQ(ParseStatesText(text.out), ExpectedStatesText(selected, true)) << text.out;
    }
  });
}

TEST(StatesEmptyNamespaceTest, PrintsOnlyTheZeroTotal) {
  RunInNetns([] {
    const auto doc = TcpdoctorJson({"states"});
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(*doc, ExpectedStates({}));
    const CommandResult text = RunTcpdoctor({"states"});
    ASSERT_EQ(text.exit_code, 0) << text.Describe();
    EXPECT_EQ(ParseStatesText(text.out), ExpectedStatesText({}, false)) << text.out;
    // The JSON lists every state, in RFC (kernel) order.
    const auto ordered = nlohmann::ordered_json::parse(RunTcpdoctor({"states", "--json"}).out);
    std::vector<std::string> keys;
    for (const auto& item : ordered["states"].items()) keys.push_back(item.key());
    std::vector<std::string> rfc_order;
    for (State s : kAllStates) rfc_order.emplace_back(StateName(s));
    EXPECT_EQ(keys, rfc_order);
  });
}

INSTANTIATE_TEST_SUITE_P(Seeds, StatesTest, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace tcpdoctor::itest
