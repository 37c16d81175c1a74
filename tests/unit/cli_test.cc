// The command line in-process through RunCli: usage errors and their exit codes, help and
// version, and whole outputs on the recorded fixtures (golden files).
//
// Golden files: tests/fixtures/golden/<name> holds the exact stdout of one command line run
// on a recorded fixture (the table in GoldenTest below). After an intended output change,
// regenerate them all with
//   TCPDOCTOR_UPDATE_GOLDEN=1 build-unit/tcpdoctor_tests --gtest_filter='GoldenTest.*'
// and review the diff: the numbers must still agree with tests/fixtures/netlink/*.ss.txt.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/command.h"
#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun Tcpdoctor(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"tcpdoctor"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CliRun run;
  run.code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

const std::string kSmall = FixturePath("netlink/small.bin");
const std::string kMany = FixturePath("netlink/many.bin");
const std::string kProcSmall = FixturePath("proc/small");

// Runs `states` on the small recording with extra arguments.
CliRun States(std::vector<std::string> args) {
  args.insert(args.begin(), {"states", "--replay", kSmall});
  return Tcpdoctor(args);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void ExpectUsageError(const CliRun& run, const std::vector<std::string>& parts) {
  EXPECT_EQ(run.code, kExitUsage) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(run.err.starts_with("tcpdoctor: ")) << run.err;
  EXPECT_TRUE(run.err.ends_with("\n")) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << "one line: " << run.err;
  for (const std::string& p : parts)
    EXPECT_TRUE(Contains(run.err, p)) << "'" << p << "' not in: " << run.err;
}

TEST(CliTest, UnknownCommandSuggestsTheClosest) {
  ExpectUsageError(Tcpdoctor({"stats"}), {"unknown command 'stats'", "did you mean 'states'?"});
  ExpectUsageError(Tcpdoctor({"topp", "--by", "lport"}),
                   {"unknown command 'topp'", "did you mean 'top'?"});
  const CliRun far = Tcpdoctor({"frobnicate"});
  ExpectUsageError(far, {"unknown command 'frobnicate'"});
  EXPECT_FALSE(Contains(far.err, "did you mean"));
}

TEST(CliTest, UnknownFlagSuggestsTheClosest) {
  ExpectUsageError(States({"--jsn"}), {"unknown option '--jsn'", "did you mean '--json'?"});
  ExpectUsageError(Tcpdoctor({"--jsn", "states"}),
                   {"unknown option '--jsn'", "did you mean '--json'?"});
  ExpectUsageError(States({"--stat", "listen"}), {"'--stat'", "did you mean '--state'?"});
  ExpectUsageError(States({"--all-state"}), {"'--all-state'", "did you mean '--all-states'?"});
  ExpectUsageError(States({"--sport=80x", "--zzzzzzzz"}), {"--zzzzzzzz"});
}

TEST(CliTest, ExtraArgumentIsAnError) {
  ExpectUsageError(States({"extra"}), {"unexpected argument 'extra'", "states"});
}

TEST(CliTest, BadPorts) {
  for (const char* flag : {"--sport", "--dport", "--port"}) {
    for (const char* value : {"0", "65536", "abc", "-1", "80x", "1e3"}) {
      const CliRun run = States({flag, value});
      ExpectUsageError(run, {flag, std::string("bad port '") + value + "'", "1 to 65535"});
    }
  }
}

TEST(CliTest, BadAddresses) {
  for (const char* value : {"10.0.0.0/33", "10.0.0.0/", "abc", "::1/129", "10.0.0.0/-1"}) {
    ExpectUsageError(States({"--addr", value}), {"--addr", std::string("'") + value + "'"});
  }
}

TEST(CliTest, BadStates) {
  ExpectUsageError(States({"--state", "tme-wait"}),
                   {"--state", "unknown state 'tme-wait'", "did you mean 'time-wait'?"});
  ExpectUsageError(States({"--state", "listen,bogus"}), {"unknown state 'bogus'"});
  ExpectUsageError(States({"--state", ","}), {"--state", "no state given"});
}

TEST(CliTest, BothFamiliesExcluded) {
  ExpectUsageError(States({"-4", "-6"}), {"-4", "-6"});
  ExpectUsageError(Tcpdoctor({"-4", "states", "-6", "--replay", kSmall}), {"-4 and -6"});
}

TEST(CliTest, TopNeedsAKnownKeyAndAPositiveLimit) {
  ExpectUsageError(Tcpdoctor({"top", "--replay", kSmall}), {"--by"});
  ExpectUsageError(Tcpdoctor({"top", "--by", "pear", "--replay", kSmall}),
                   {"unknown key 'pear'", "did you mean 'peer'?"});
  ExpectUsageError(Tcpdoctor({"top", "--by", "lport", "-n", "0", "--replay", kSmall}), {"-n"});
  ExpectUsageError(Tcpdoctor({"top", "--by", "lport", "-n", "abc", "--replay", kSmall}), {"abc"});
}

TEST(CliTest, StateMayRepeatAndTakesLists) {
  const std::string expected = "TIME_WAIT  2\nLISTEN     6\nTOTAL      8\n";
  const CliRun repeated = States({"--state", "listen", "--state", "time-wait"});
  ASSERT_EQ(repeated.code, kExitOk) << repeated.err;
  EXPECT_EQ(repeated.out, expected);
  const CliRun listed = States({"--state=LISTEN,Time-Wait"});
  ASSERT_EQ(listed.code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out, expected);
}

// Global options work "on either side of" the command (app.cc); a repeatable one given on
// both sides must keep both values, as when it is repeated on one side.
TEST(CliTest, StateRepeatedOnBothSidesOfTheCommandKeepsBoth) {
  const CliRun run =
      Tcpdoctor({"--state", "listen", "states", "--state", "time-wait", "--replay", kSmall});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "TIME_WAIT  2\nLISTEN     6\nTOTAL      8\n")
      << "the --state given before the command was dropped";
}

// CLI11's own validation messages must name the flag too, like every other usage error.
TEST(CliTest, BadSourceNamesTheFlag) {
  const CliRun run = States({"--source", "nope"});
  ExpectUsageError(run, {"nope", "netlink", "proc"});
  EXPECT_TRUE(Contains(run.err, "--source")) << "the message does not say which flag: " << run.err;
}

TEST(CliTest, HelpAndVersionExitZero) {
  for (const char* flag : {"--help", "-h"}) {
    const CliRun run = Tcpdoctor({flag});
    EXPECT_EQ(run.code, kExitOk) << flag;
    EXPECT_EQ(run.err, "");
    EXPECT_TRUE(Contains(run.out, "Usage: tcpdoctor")) << run.out;
    EXPECT_TRUE(Contains(run.out, "states")) << run.out;
    EXPECT_TRUE(Contains(run.out, "top")) << run.out;
    EXPECT_FALSE(Contains(run.out, "--replay")) << "debug flags stay hidden";
  }
  const CliRun states_help = Tcpdoctor({"states", "--help"});
  EXPECT_EQ(states_help.code, kExitOk);
  EXPECT_TRUE(Contains(states_help.out, "--all-states")) << states_help.out;
  EXPECT_TRUE(Contains(states_help.out, "Examples:")) << states_help.out;
  const CliRun top_help = Tcpdoctor({"top", "-h"});
  EXPECT_EQ(top_help.code, kExitOk);
  EXPECT_TRUE(Contains(top_help.out, "--by")) << top_help.out;

  const CliRun version = Tcpdoctor({"--version"});
  EXPECT_EQ(version.code, kExitOk);
  EXPECT_EQ(version.out, std::string("tcpdoctor ") + TCPDOCTOR_VERSION + "\n");
  EXPECT_EQ(version.err, "");
}

// `tcpdoctor` alone is the checkup (here of a recorded dump and recorded /proc files).
TEST(CliTest, NoCommandRunsTheCheckup) {
  const CliRun run =
      Tcpdoctor({"--replay", kSmall, "--proc-root", FixturePath("proc/counters/kernel-6.18")});
  EXPECT_GE(run.code, 0) << run.err;
  EXPECT_LE(run.code, 2) << run.err;  // a verdict, not 3 (could not check)
  EXPECT_TRUE(run.out.starts_with("tcpdoctor checkup: current network namespace")) << run.out;
  EXPECT_TRUE(Contains(run.out, "sockets 37: ESTABLISHED 23")) << run.out;
}

// The checkup's mistakes exit 3 (Nagios "unknown"), since 1 and 2 are its verdicts; a
// mistyped command name stays a usage error.
TEST(CliTest, CheckupUsageErrorsExitThree) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--bogus"},
                                             {"checkup", "--bogus"},
                                             {"checkup", "-i", "abc"},
                                             {"checkup", "-i", "-1"},
                                             {"checkup", "--set", "nope.x=1"},
                                             {"checkup", "--set", "garbage"},
                                             {"checkup", "--config", "/nonexistent/td.conf"},
                                             {"checkup", "--port", "80"},
                                             {"checkup", "--netns"}}) {
    const CliRun run = Tcpdoctor(args);
    std::string line;
    for (const std::string& a : args) line += a + " ";
    EXPECT_EQ(run.code, kCheckupUnknown) << line << run.err;
    EXPECT_EQ(run.out, "") << line;
    EXPECT_TRUE(run.err.starts_with("tcpdoctor: ")) << line << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << line << run.err;
  }
  EXPECT_EQ(Tcpdoctor({"chekup"}).code, kExitUsage);
  // The cause is said once.
  const CliRun missing = Tcpdoctor({"checkup", "--config", "/nonexistent/td.conf"});
  EXPECT_NE(missing.err.find("cannot read /nonexistent/td.conf: No such file or directory"),
            std::string::npos)
      << missing.err;
  EXPECT_EQ(missing.err.find("No such file or directory: No such"), std::string::npos)
      << missing.err;
}

TEST(CliTest, MissingReplayFileIsARunTimeFailure) {
  const CliRun run = Tcpdoctor({"states", "--replay", "/nonexistent/dump.bin"});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(Contains(run.err, "/nonexistent/dump.bin")) << run.err;
}

// Expected numbers below come from tests/fixtures/netlink/small.ss.txt.

TEST(CliTest, FamilyFilter) {
  const CliRun v4 = States({"-4"});
  ASSERT_EQ(v4.code, kExitOk) << v4.err;
  EXPECT_EQ(v4.out,
            "ESTABLISHED  16\n"
            "SYN_SENT      1\n"
            "SYN_RECV      1\n"
            "FIN_WAIT2     1\n"
            "TIME_WAIT     1\n"
            "CLOSE_WAIT    1\n"
            "LISTEN        4\n"
            "TOTAL        25\n");
  const CliRun v6 = States({"--ipv6"});
  ASSERT_EQ(v6.code, kExitOk) << v6.err;
  EXPECT_EQ(v6.out,
            "ESTABLISHED   7\n"
            "FIN_WAIT2     1\n"
            "TIME_WAIT     1\n"
            "CLOSE_WAIT    1\n"
            "LISTEN        2\n"
            "TOTAL        12\n");
}

TEST(CliTest, PortAndAddressFilters) {
  // :8443 on either side: the listener, 2 accepted, 2 clients, a TIME_WAIT, the orphaned
  // FIN_WAIT2 and its CLOSE_WAIT peer.
  const CliRun port = States({"--port", "8443"});
  ASSERT_EQ(port.code, kExitOk) << port.err;
  EXPECT_EQ(port.out,
            "ESTABLISHED  4\n"
            "FIN_WAIT2    1\n"
            "TIME_WAIT    1\n"
            "CLOSE_WAIT   1\n"
            "LISTEN       1\n"
            "TOTAL        8\n");
  // 10.0.0.0/8: the 9000 listener, its 2 queued connections and their 2 clients.
  const CliRun addr = States({"--addr", "10.0.0.0/8"});
  ASSERT_EQ(addr.code, kExitOk) << addr.err;
  EXPECT_EQ(addr.out, "ESTABLISHED  4\nLISTEN       1\nTOTAL        5\n");
  // --sport and --dport together: exactly one socket.
  const CliRun both = States({"--sport", "40051", "--dport", "8080"});
  ASSERT_EQ(both.code, kExitOk) << both.err;
  EXPECT_EQ(both.out, "FIN_WAIT2  1\nTOTAL      1\n");
  // A v4 prefix matches the v4-mapped sockets of the dual-stack listener too:
  // 127.0.0.0/8 on port 8081 = the IPv4 client and the IPv6 accepted socket.
  const CliRun mapped = States({"--addr", "127.0.0.0/8", "--port", "8081"});
  ASSERT_EQ(mapped.code, kExitOk) << mapped.err;
  EXPECT_EQ(mapped.out, "ESTABLISHED  2\nTOTAL        2\n");
}

TEST(CliTest, StatesJsonHasEveryState) {
  const CliRun run = States({"--json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  const auto json = nlohmann::ordered_json::parse(run.out);
  EXPECT_EQ(json["total"], 37);
  std::vector<std::string> keys;
  for (const auto& [name, value] : json["states"].items()) keys.push_back(name);
  const std::vector<std::string> expected = {"ESTABLISHED", "SYN_SENT",  "SYN_RECV", "FIN_WAIT1",
                                             "FIN_WAIT2",   "TIME_WAIT", "CLOSE",    "CLOSE_WAIT",
                                             "LAST_ACK",    "LISTEN",    "CLOSING"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(json["states"]["ESTABLISHED"], 23);
  EXPECT_EQ(json["states"]["LISTEN"], 6);
  EXPECT_EQ(json["states"]["FIN_WAIT1"], 0);
}

TEST(CliTest, TopJsonShape) {
  const CliRun run = Tcpdoctor({"top", "--by", "rport", "-n", "2", "--json", "--replay", kSmall});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  const auto json = nlohmann::ordered_json::parse(run.out);
  std::vector<std::string> keys;
  for (const auto& [k, v] : json.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"by", "total", "groups", "other"}));
  EXPECT_EQ(json["by"], "rport");
  EXPECT_EQ(json["total"], 37);
  ASSERT_EQ(json["groups"].size(), 2u);
  // Two groups of 6, the smaller port first. Remote port 0: the 6 listeners.
  EXPECT_EQ(json["groups"][0]["key"], "0");
  EXPECT_EQ(json["groups"][0]["count"], 6);
  EXPECT_EQ(json["groups"][0]["states"], nlohmann::ordered_json::parse(R"({"LISTEN":6})"));
  // Remote port 8080: 4 ESTABLISHED clients, the FIN_WAIT2 and the TIME_WAIT, in RFC order.
  EXPECT_EQ(json["groups"][1]["key"], "8080");
  EXPECT_EQ(json["groups"][1]["count"], 6);
  EXPECT_EQ(json["groups"][1]["states"].dump(), R"({"ESTABLISHED":4,"FIN_WAIT2":1,"TIME_WAIT":1})");
  EXPECT_EQ(json["other"]["count"], 37 - 12);
  uint64_t other_groups = json["other"]["groups"];
  EXPECT_GT(other_groups, 0u);
}

TEST(CliTest, ProcSourceGivesTheSameCountsAsTheReplay) {
  const std::vector<std::vector<std::string>> commands = {
      {"states"},
      {"states", "-6"},
      {"top", "--by", "lport"},
      {"top", "--by", "dst", "-n", "5"},
      {"top", "--by", "peer", "--state", "established,close-wait"}};
  for (const auto& command : commands) {
    std::vector<std::string> replay = command;
    replay.insert(replay.end(), {"--replay", kSmall});
    std::vector<std::string> proc = command;
    proc.insert(proc.end(), {"--source", "proc", "--proc-root", kProcSmall});
    const CliRun a = Tcpdoctor(replay);
    const CliRun b = Tcpdoctor(proc);
    ASSERT_EQ(a.code, kExitOk) << a.err;
    ASSERT_EQ(b.code, kExitOk) << b.err;
    EXPECT_EQ(a.out, b.out) << command[0];
    EXPECT_EQ(b.err, "");
  }
}

// Whole outputs on the recordings, byte for byte.
struct GoldenCase {
  const char* file;
  std::vector<std::string> args;
};

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesTheGoldenFile) {
  const GoldenCase& c = GetParam();
  const CliRun run = Tcpdoctor(c.args);
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  const std::string path = FixturePath(std::string("golden/") + c.file);
  if (std::getenv("TCPDOCTOR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << run.out;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(run.out, test_util::ReadText(path)) << "golden: " << path;
}

INSTANTIATE_TEST_SUITE_P(
    Recorded, GoldenTest,
    ::testing::Values(
        GoldenCase{"states.txt", {"states", "--replay", kSmall}},
        GoldenCase{"states_all.txt", {"states", "--all-states", "--replay", kSmall}},
        GoldenCase{"states.json", {"states", "--json", "--replay", kSmall}},
        GoldenCase{"states_v6_bucket.txt",
                   {"-6", "states", "--state", "bucket,listen", "--replay", kSmall}},
        GoldenCase{"top_lport.txt", {"top", "--by", "lport", "--replay", kSmall}},
        GoldenCase{"top_laddr.json",
                   {"top", "--by", "laddr", "-n", "3", "--json", "--replay", kSmall}},
        GoldenCase{"top_raddr.txt", {"top", "--by", "raddr", "--replay", kSmall}},
        GoldenCase{"top_peer_loopback.txt",
                   {"top", "--by", "peer", "--addr", "127.0.0.0/8", "--state", "established", "-n",
                    "20", "--replay", kSmall}},
        GoldenCase{"top_dst.txt", {"top", "--by", "dst", "-n", "4", "--replay", kSmall}},
        GoldenCase{"top_state.txt", {"top", "--by", "state", "--replay", kSmall}},
        GoldenCase{"top_raddr_many.txt", {"top", "--by", "raddr", "-n", "3", "--replay", kMany}},
        GoldenCase{"top_laddr_many.json",
                   {"top", "--by", "laddr", "-n", "2", "--json", "--replay", kMany}}),
    [](const ::testing::TestParamInfo<GoldenCase>& info) {
      std::string name = info.param.file;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace tcpdoctor
