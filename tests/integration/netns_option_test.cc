// --netns: tcpdoctor run in one namespace reports another's sockets exactly, whether the
// namespace is given as /proc/PID/ns/net or by name (/run/netns/NAME, as `ip netns` makes
// them), and refuses plainly when it may not enter or the name does not exist.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>

#include "support/expected_answers.h"
#include "support/netns_sandbox.h"
#include "support/population.h"
#include "support/selection.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"
#include "support/unique_fd.h"

namespace tcpdoctor::itest {
namespace {

constexpr char kName[] = "tcpdoctor-itest";
constexpr char kNamePath[] = "/run/netns/tcpdoctor-itest";

void ExpectJson(const std::vector<std::string>& args, const nlohmann::json& expected) {
  const auto doc = TcpdoctorJson(args);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(*doc, expected) << CommandLine(args);
}

// What the host side checks, computed in the namespace that holds the sockets.
nlohmann::json Expectations(const std::vector<SocketTuple>& sockets) {
  Selection v6;
  v6.ipv4 = false;
  Selection time_wait;
  time_wait.states = {State::kTimeWait};
  return {{"states", ExpectedStates(sockets)},
          {"states_v6", ExpectedStates(Select(sockets, v6))},
          {"top_dst", ExpectedTop(sockets, GroupKey::kDst, 1000)},
          {"top_peer_time_wait", ExpectedTop(Select(sockets, time_wait), GroupKey::kPeer, 3)}};
}

void ExpectNamespaceAnswers(const std::string& netns, const nlohmann::json& expected) {
  ExpectJson({"--netns", netns, "states"}, expected["states"]);
  ExpectJson({"states", "--netns", netns, "-6"}, expected["states_v6"]);
  ExpectJson({"top", "--by", "dst", "-n", "1000", "--netns", netns}, expected["top_dst"]);
  ExpectJson({"--netns", netns, "--state", "time-wait", "top", "--by", "peer", "-n", "3"},
             expected["top_peer_time_wait"]);
  ExpectJson({"--netns", netns, "--source", "proc", "states"}, expected["states"]);
}

TEST(NetnsOptionTest, FromTheHostThroughProcPidGivesTheChildsExactCounts) {
  bool checked = false;
  RunInNetns(
      [] {
        Population population;
        ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(31)));
        ASSERT_NO_FATAL_FAILURE(population.Settle());
        HandOffToHost(Expectations(population.expected()).dump());
        // Nothing changed while the host looked.
        ASSERT_NO_FATAL_FAILURE(population.Settle(std::chrono::milliseconds(0)));
      },
      [&checked](pid_t child, const std::string& payload) {
        ExpectNamespaceAnswers("/proc/" + std::to_string(child) + "/ns/net",
                               nlohmann::json::parse(payload));
        checked = true;
      });
  EXPECT_TRUE(checked);
}

TEST(NetnsOptionTest, NamedNamespaceAndItsAbsence) {
  SandboxOptions private_run;
  private_run.private_run = true;  // /run/netns here is a tmpfs of this test's own
  RunInNetns(
      [] {
        Population outer;
        ASSERT_NO_FATAL_FAILURE(outer.Build(RandomPlan(32)));
        ASSERT_NO_FATAL_FAILURE(outer.Settle());
        const nlohmann::json outer_states = ExpectedStates(outer.expected());

        // A second namespace with another population, named the way `ip netns add` does it:
        // its namespace file bind-mounted at /run/netns/NAME.
        bool checked = false;
        RunInNetns(
            [] {
              Population inner;
              ASSERT_NO_FATAL_FAILURE(inner.Build(RandomPlan(33)));
              ASSERT_NO_FATAL_FAILURE(inner.Settle());
              {
                const UniqueFd file(::open(kNamePath, O_CREAT | O_WRONLY | O_CLOEXEC, 0444));
                ASSERT_TRUE(file) << kNamePath;
              }
              ASSERT_EQ(::mount("/proc/self/ns/net", kNamePath, nullptr, MS_BIND, nullptr), 0)
                  << "bind-mount the namespace at " << kNamePath;
              HandOffToHost(Expectations(inner.expected()).dump());
              EXPECT_EQ(::umount2(kNamePath, MNT_DETACH), 0);
            },
            [&](pid_t inner_pid, const std::string& payload) {
              const nlohmann::json expected = nlohmann::json::parse(payload);
              ExpectNamespaceAnswers(kName, expected);
              ExpectJson({"--netns", "/proc/" + std::to_string(inner_pid) + "/ns/net", "states"},
                         expected["states"]);
              ExpectJson({"states"}, outer_states);  // without --netns: where it runs

              // The file is world-readable, but entering needs CAP_SYS_ADMIN.
              const passwd* pw = ::getpwnam("nobody");
              ASSERT_NE(pw, nullptr);
              CommandOptions as_nobody;
              as_nobody.run_as = RunAs{pw->pw_uid, pw->pw_gid};
              const CommandResult run = RunTcpdoctor({"--netns", kName, "states"}, as_nobody);
              EXPECT_NE(run.exit_code, 0) << run.Describe();
              EXPECT_EQ(run.out, "");
              EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
              EXPECT_EQ(run.err.rfind("tcpdoctor: ", 0), 0u) << run.err;
              EXPECT_TRUE(run.err.find("root") != std::string::npos ||
                          run.err.find("ermission") != std::string::npos ||
                          run.err.find("not permitted") != std::string::npos)
                  << "as nobody: " << run.err;
              checked = true;
            });
        EXPECT_TRUE(checked);

        // The name is gone with that namespace.
        ASSERT_EQ(::unlink(kNamePath), 0);
        const CommandResult gone = RunTcpdoctor({"--netns", kName, "states"});
        EXPECT_NE(gone.exit_code, 0) << gone.Describe();
        EXPECT_NE(gone.err.find(kNamePath), std::string::npos) << gone.err;
        EXPECT_EQ(std::count(gone.err.begin(), gone.err.end(), '\n'), 1) << gone.err;
        ExpectJson({"states"}, outer_states);
      },
      private_run);
}

}  // namespace
}  // namespace tcpdoctor::itest
