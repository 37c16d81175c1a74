// The other ways in to the same socket table: --source proc (/proc/net/tcp{,6} instead of
// sock_diag) and --record/--replay (a saved netlink dump) give the same answers as the live
// netlink dump, with every filter.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "support/expected_answers.h"
#include "support/netns_sandbox.h"
#include "support/population.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

// Commands with the filters that go to the kernel (states, ports) and those applied after.
std::vector<std::vector<std::string>> Commands(const std::vector<SocketTuple>& sockets) {
  uint16_t listener_port = 0;
  uint16_t client_port = 0;
  for (const SocketTuple& s : sockets) {
    if (s.state == State::kListen && listener_port == 0) listener_port = s.local.port;
    if (s.state == State::kSynSent) client_port = s.local.port;
  }
  const std::string lp = std::to_string(listener_port);
  const std::string cp = std::to_string(client_port);
  return {{"states"},
          {"states", "-6"},
          {"states", "-4", "--state", "time-wait,syn-recv,listen"},
          {"states", "--sport", lp},
          {"states", "--dport", lp},
          {"states", "--port", cp},
          {"states", "--addr", "127.0.1.0/24", "--state", "connected"},
          {"top", "--by", "laddr", "-n", "1000"},
          {"top", "--by", "dst", "--dport", lp, "-n", "3"},
          {"top", "--by", "state", "--addr", "::1"},
          {"top", "--by", "peer", "--state", "syn-sent", "-n", "1000"}};
}

class SourcesTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(SourcesTest, ProcNetTcpGivesTheSameAnswersAsNetlink) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    for (const std::vector<std::string>& args : Commands(population.expected())) {
      const auto netlink = TcpdoctorJson(args);
      std::vector<std::string> proc_args = args;
      proc_args.insert(proc_args.end(), {"--source", "proc"});
      const auto proc = TcpdoctorJson(proc_args);
      ASSERT_TRUE(netlink.has_value() && proc.has_value());
      EXPECT_EQ(*proc, *netlink) << CommandLine(proc_args);
    }
    // And both are right.
    const auto proc = TcpdoctorJson({"--source", "proc", "states"});
    ASSERT_TRUE(proc.has_value());
    EXPECT_EQ(*proc, ExpectedStates(population.expected()));
  });
}

TEST_P(SourcesTest, ARecordedDumpReplaysElsewhereToTheSameAnswers) {
  const uint32_t seed = GetParam();
  char path[] = "/tmp/tcpdoctor-itest-dump-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string dump = path;
  struct Remover {
    std::string path;
    ~Remover() { ::unlink(path.c_str()); }
  } remover{dump};
  std::vector<std::pair<std::vector<std::string>, nlohmann::json>> live;
  RunInNetns(
      [seed, dump] {
        Population population;
        ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
        ASSERT_NO_FATAL_FAILURE(population.Settle());
        const auto recorded = TcpdoctorJson({"states", "--record", dump});
        ASSERT_TRUE(recorded.has_value());
        EXPECT_EQ(*recorded, ExpectedStates(population.expected()));
        nlohmann::json answers = nlohmann::json::array();
        for (const std::vector<std::string>& args : Commands(population.expected())) {
          const auto doc = TcpdoctorJson(args);
          ASSERT_TRUE(doc.has_value());
          answers.push_back({{"args", args}, {"answer", *doc}});
        }
        HandOffToHost(answers.dump());
      },
      [&live](pid_t, const std::string& payload) {
        for (const auto& item : nlohmann::json::parse(payload)) {
          live.emplace_back(item["args"].get<std::vector<std::string>>(), item["answer"]);
        }
      });
  ASSERT_FALSE(live.empty());
  // Replayed in the host's namespace, after the sandbox and its sockets are gone.
  for (const auto& [args, answer] : live) {
    std::vector<std::string> replay = args;
    replay.insert(replay.end(), {"--replay", dump});
    const auto doc = TcpdoctorJson(replay);
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(*doc, answer) << CommandLine(replay);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SourcesTest, ::testing::Values(41u, 42u));

}  // namespace
}  // namespace tcpdoctor::itest
