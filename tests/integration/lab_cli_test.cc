// `tcpdoctor lab` itself: the scenario list, bad usage (one line, exit 2), no root (exit 1),
// and Ctrl-C or SIGTERM in the middle of a run (exit 130, its helper killed and reaped, no
// process left in its namespace).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"
#include "support/one_line_error.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

TEST(LabCliTest, ListsTheScenariosWithTheirBoundsWithoutRoot) {
  CommandOptions as_nobody;
  as_nobody.run_as = Nobody();
  const CommandResult text = RunTcpdoctor({"lab", "--list"}, as_nobody);
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_EQ(text.err, "");
  const CommandResult json = RunTcpdoctor({"lab", "--list", "--json"}, as_nobody);
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  const nlohmann::json doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  ASSERT_FALSE(doc["scenarios"].empty());
  for (const nlohmann::json& s : doc["scenarios"]) {
    const std::string name = s["name"];
    EXPECT_NE(text.out.find(name + "\n"), std::string::npos) << name << " missing from:\n"
                                                             << text.out;
    EXPECT_FALSE(s["summary"].get<std::string>().empty()) << name;
    for (const auto& [option, bounds] : s["options"].items()) {
      EXPECT_LE(bounds["min"].get<double>(), bounds["default"].get<double>()) << name << option;
      EXPECT_LE(bounds["default"].get<double>(), bounds["max"].get<double>()) << name << option;
      EXPECT_NE(text.out.find("--" + option), std::string::npos) << name << " --" << option;
    }
  }
}

TEST(LabCliTest, BadUsageIsOneLineAndExit2) {
  const std::vector<BadInput> inputs = {
      {{"lab"}, kUsage, {"which scenario?", "lab --list"}},
      {{"lab", "frobnicate"}, kUsage, {"unknown scenario 'frobnicate'", "lab --list"}},
      {{"lab", "time-wait-clent"}, kUsage, {"did you mean 'time-wait-client'?"}},
      {{"lab", "time-wait-client", "extra"}, kUsage, {"'extra'"}},
      {{"lab", "--list", "time-wait-client"}, kUsage, {"--list"}},
      {{"lab", "time-wait-client", "--connections", "0"},
       kUsage,
       {"--connections", "out of bounds", "at least 1"}},
      {{"lab", "time-wait-client", "--connections", "100000"},
       kUsage,
       {"--connections", "at most 5000"}},
      {{"lab", "time-wait-client", "--connections", "many"},
       kUsage,
       {"--connections", "'many' is not a whole number", "1 to 5000"}},
      {{"lab", "time-wait-client", "--connections", "2.5"}, kUsage, {"not a whole number"}},
      {{"lab", "time-wait-client", "--rate", "0"}, kUsage, {"--rate", "at least 10"}},
      {{"lab", "time-wait-client", "--rate", "fast"}, kUsage, {"--rate", "not a number"}},
      {{"lab", "time-wait-client", "--duration", "5"},
       kUsage,
       {"takes no --duration", "--connections, --rate"}},
      {{"lab", "time-wait-client", "--connections", "5000", "--rate", "10"},
       kUsage,
       {"--rate", "would take 500 s", "250 or more"}},
      {{"lab", "syn-fold"}, kUsage, {"did you mean 'syn-flood'?"}},
      {{"lab", "syn-flood", "--duration", "5"},
       kUsage,
       {"takes no --duration", "--connections, --rate"}},
      {{"lab", "backlog-overflow", "--connections", "5"}, kUsage, {"at least 10"}},
      {{"lab", "port-exhaustion", "--connections", "10"}, kUsage, {"at least 20"}},
      {{"lab", "close-wait-leak", "--connections", "2001"}, kUsage, {"at most 2000"}},
      {{"lab", "time-wait-client", "--netns", "blue"}, kUsage, {"--netns does not apply"}},
      {{"--all-netns", "lab", "time-wait-client"}, kUsage, {"--all-netns does not apply"}},
      {{"lab", "time-wait-client", "--state", "time-wait"}, kUsage, {"--state", "does not apply"}},
      {{"lab", "time-wait-server", "--port", "8080"}, kUsage, {"--port", "does not apply"}},
      {{"lab", "time-wait-server", "-4"}, kUsage, {"-4", "does not apply"}},
  };
  for (const BadInput& input : inputs) ExpectOneLineError(RunTcpdoctor(input.args), input);
}

TEST(LabCliTest, WithoutRootSaysSoAndExits1) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to drop to an unprivileged user";
  CommandOptions as_nobody;
  as_nobody.run_as = Nobody();
  const BadInput input{{"lab", "time-wait-client"}, 1, {"needs root", "network namespace", "sudo"}};
  ExpectOneLineError(RunTcpdoctor(input.args, as_nobody), input);
}

// The children of `pid` and their names, from /proc/PID/task/PID/children.
std::vector<std::pair<pid_t, std::string>> ChildrenOf(pid_t pid) {
  std::vector<std::pair<pid_t, std::string>> out;
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                         "/children");
  pid_t child = 0;
  while (children >> child) {
    std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
    std::string name;
    std::getline(comm, name);
    out.emplace_back(child, name);
  }
  return out;
}

std::string NetnsOf(pid_t pid) {
  char target[64] = {};
  const std::string link = "/proc/" + std::to_string(pid) + "/ns/net";
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

// Starts a long run, waits for its server helper, sends `signal` to the lab, and checks that
// it stopped at once, said so in one line, exited 130 and left nothing behind.
void InterruptARun(int signal) {
  pid_t helper = 0;
  std::string lab_netns;
  CommandOptions options;
  options.timeout = std::chrono::seconds(40);
  std::chrono::steady_clock::time_point signalled;
  options.while_running = [&](pid_t lab) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (helper == 0 && std::chrono::steady_clock::now() < give_up) {
      for (const auto& [pid, comm] : ChildrenOf(lab)) {
        if (comm == "lab-server") helper = pid;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    lab_netns = NetnsOf(lab);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // mid-way through the clients
    signalled = std::chrono::steady_clock::now();
    ::kill(lab, signal);
  };
  // 5000 connections at 250/s: 20 s of pacing, far longer than the test waits.
  const std::vector<std::string> args = {"lab",  "time-wait-client", "--connections",
                                         "5000", "--rate",           "250"};
  const CommandResult run = RunTcpdoctor(args, options);
  const double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  ASSERT_NE(helper, 0) << "the lab's server helper never appeared: " << run.Describe();
  ExpectOneLineError(run, {args, 130, {"interrupted by", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
  EXPECT_LT(stop_seconds, 3) << "the lab took too long to stop after the signal";
  EXPECT_FALSE(ProcessExists(helper)) << "the lab's helper " << helper << " outlived it";
  ASSERT_FALSE(lab_netns.empty());
  EXPECT_NE(lab_netns, CurrentNetnsId()) << "the lab ran in its caller's namespace";
  const std::vector<pid_t> inside = ProcessesInNetns(lab_netns);
  EXPECT_TRUE(inside.empty()) << inside.size() << " process(es) left in " << lab_netns;
  const SsResult ss = RunSs();
  EXPECT_TRUE(ss.error.empty()) << ss.error;
  EXPECT_TRUE(ss.rows.empty()) << "a socket in the caller's namespace: "
                               << ss.rows.front().ToString();
}

TEST(LabCliTest, CtrlCStopsTheRunAndCleansUp) {
  RunInNetns([] { InterruptARun(SIGINT); });
}

TEST(LabCliTest, SigtermStopsTheRunAndCleansUp) {
  RunInNetns([] { InterruptARun(SIGTERM); });
}

}  // namespace
}  // namespace tcpdoctor::itest
