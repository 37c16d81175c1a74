// `tcpdoctor checkup` on a healthy namespace: a few listeners (IPv4 and IPv6) with accepted,
// ESTABLISHED connections and the kernel's default sysctls must give exit 0, status "ok" and no
// warning or critical finding, with the state summary equal to what ss sees. And the verdict's
// exit codes: 1 for a warning, 2 for a critical finding, on a real CLOSE_WAIT condition whose
// thresholds the test sets with --set and --config.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

Endpoint At(const char* address, uint16_t port = 0) { return *Endpoint::Parse(address, port); }

// A sysctl root like a fresh Debian's: /etc/sysctl.conf with only comments, an empty
// /etc/sysctl.d.
std::string BenignSysctlRoot() {
  const std::string root = ::testing::TempDir() + "/checkup_root_" + std::to_string(::getpid());
  ::mkdir(root.c_str(), 0755);
  ::mkdir((root + "/etc").c_str(), 0755);
  ::mkdir((root + "/etc/sysctl.d").c_str(), 0755);
  std::ofstream(root + "/etc/sysctl.conf") << "# /etc/sysctl.conf - Configuration file for "
                                              "setting system variables\n"
                                              "#net.ipv4.tcp_syncookies=1\n"
                                              "#net.ipv4.ip_forward=1\n";
  return root;
}

struct Pair {
  UniqueFd client;
  UniqueFd server;
};

// `n` connections to `listener` at `to`, accepted.
std::vector<Pair> Connect(int listener, const Endpoint& to, int n) {
  std::vector<Pair> pairs;
  for (int i = 0; i < n; ++i) {
    Connection c = ConnectAndWait(to);
    EXPECT_TRUE(c.fd) << "connect: " << c.error;
    UniqueFd s = AcceptOne(listener);
    EXPECT_TRUE(s);
    pairs.push_back({std::move(c.fd), std::move(s)});
  }
  return pairs;
}

// ss's count per state name ("ESTAB" -> n) over the namespace.
std::map<std::string, int> SsCounts() {
  const SsResult ss = RunSs();
  EXPECT_EQ(ss.error, "");
  std::map<std::string, int> counts;
  for (const SocketTuple& s : ss.rows) ++counts[std::string(StateName(s.state))];
  return counts;
}

nlohmann::json ParseJson(const CommandResult& run) {
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << run.Describe();
  return doc;
}

TEST(CheckupHealthyTest, AQuietNamespaceIsOkWithExitZero) {
  const std::string root = BenignSysctlRoot();
  RunInNetns([&root] {
    Endpoint web, api, v6;
    const UniqueFd l1 = Listen(At("127.0.0.1"), 128, &web);
    const UniqueFd l2 = Listen(At("127.0.0.2"), 4096, &api);
    const UniqueFd l3 = Listen(At("::1"), 511, &v6);
    ASSERT_TRUE(l1 && l2 && l3);
    std::vector<Pair> a = Connect(l1.get(), web, 5);
    std::vector<Pair> b = Connect(l2.get(), api, 3);
    std::vector<Pair> c = Connect(l3.get(), v6, 2);

    const std::vector<std::string> args = {"checkup", "--json", "-i", "1", "--sysctl-root", root};
    const CommandResult run = RunTcpdoctor(args);
    ASSERT_EQ(run.exit_code, 0) << run.Describe();
    EXPECT_EQ(run.err, "");
    const nlohmann::json doc = ParseJson(run);
    EXPECT_EQ(doc["status"], "ok");
    EXPECT_EQ(doc["rules_checked"], 10);
    EXPECT_GT(doc["interval_seconds"].get<double>(), 0.9);
    for (const auto& f : doc["findings"]) {
      EXPECT_EQ(f["severity"], "info") << f.dump(2);
    }
    // 3 listeners and 10 connections, each seen from both ends.
    EXPECT_EQ(doc["states"]["LISTEN"], 3);
    EXPECT_EQ(doc["states"]["ESTABLISHED"], 20);
    EXPECT_EQ(doc["total"], 23);
    const std::map<std::string, int> ss = SsCounts();
    EXPECT_EQ(ss.at("LISTEN"), 3);
    EXPECT_EQ(ss.at("ESTABLISHED"), 20);

    // The text report says the same in one line, and `tcpdoctor` alone is the checkup.
    const CommandResult text = RunTcpdoctor({"checkup", "-i", "0", "--sysctl-root", root});
    EXPECT_EQ(text.exit_code, 0) << text.Describe();
    EXPECT_NE(text.out.find("sockets 23: ESTABLISHED 20, LISTEN 3\n"), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("OK: no problem found by 10 rules."), std::string::npos) << text.out;
  });
}

// CLOSE_WAIT held by this process (the peers closed, the test never does): the verdict follows
// the thresholds the user set, and so does the exit code.
TEST(CheckupExitCodeTest, WarningExitsOneAndCriticalExitsTwo) {
  const std::string root = BenignSysctlRoot();
  RunInNetns([&root] {
    Endpoint at;
    const UniqueFd listener = Listen(At("127.0.0.1"), 64, &at);
    ASSERT_TRUE(listener);
    std::vector<Pair> pairs = Connect(listener.get(), at, 6);
    for (Pair& p : pairs) p.client.Reset();  // FIN to the server side: CLOSE_WAIT
    ASSERT_TRUE(WaitUntil([&] {
      for (const Pair& p : pairs) {
        if (StateOf(p.server.get()) != State::kCloseWait) return false;
      }
      return true;
    }));
    const std::string cfg =
        ::testing::TempDir() + "/checkup_" + std::to_string(::getpid()) + ".conf";
    const auto run = [&](std::vector<std::string> extra) {
      std::vector<std::string> args = {"checkup", "--json", "-i", "0", "--sysctl-root", root};
      args.insert(args.end(), extra.begin(), extra.end());
      return RunTcpdoctor(args);
    };
    // Default thresholds: 6 fresh CLOSE_WAIT sockets are not a leak.
    const CommandResult quiet = run({});
    EXPECT_EQ(quiet.exit_code, 0) << quiet.Describe();

    std::ofstream(cfg) << "# test thresholds\nclose-wait-leak.min_sockets = 5\n"
                          "close-wait-leak.min_idle_seconds = 0\n";
    const CommandResult warning = run({"--config", cfg});
    EXPECT_EQ(warning.exit_code, 1) << warning.Describe();
    const nlohmann::json w = ParseJson(warning);
    EXPECT_EQ(w["status"], "warning");
    ASSERT_FALSE(w["findings"].empty()) << warning.out;
    EXPECT_EQ(w["findings"][0]["id"], "close-wait-leak");
    EXPECT_EQ(w["findings"][0]["severity"], "warning");

    const CommandResult critical =
        run({"--config", cfg, "--set", "close-wait-leak.critical_sockets=6"});
    EXPECT_EQ(critical.exit_code, 2) << critical.Describe();
    EXPECT_EQ(ParseJson(critical)["status"], "critical");
    ::unlink(cfg.c_str());
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
