// `tcpdoctor lab close-wait-leak`, run from a netns sandbox: a server with RLIMIT_NOFILE
// connections + 6 that never closes after its clients' FIN. CLOSE_WAIT must grow one for one
// with the connections and the server's descriptors with them up to its nofile; then accept()
// fails with EMFILE (as the server itself counts it), the late clients' connect() still succeeds
// (the kernel queues them) but they get no answer. The checkup names the server: fd-exhaustion,
// and close-wait-leak once it holds the rule's 100 sockets. Leftovers: support/lab_runner.h.
#include <gtest/gtest.h>

#include <string>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

constexpr int64_t kHelperFds = 6;  // stdin, stdout, stderr, the listener, two pipes
constexpr int64_t kLate = 5;

std::string Server(const nlohmann::json& doc) {
  if (doc["pids"].size() != 1) return "";
  return "lab-server[" + std::to_string(doc["pids"][0].get<int>()) + "]";
}

// "n/4, n/2, 3n/4, n" as the run lists them, each plus `offset`.
std::string Quarters(int64_t n, int64_t offset) {
  std::string text;
  for (int q = 1; q <= 4; ++q) {
    text += (text.empty() ? "" : ", ") + std::to_string(n * q / 4 + offset);
  }
  return text;
}

void ExpectLeakUpToTheLimit(const nlohmann::json& doc, int64_t n) {
  const int64_t nofile = n + kHelperFds;
  EXPECT_EQ(Observed(doc, "server_nofile"), nofile);
  EXPECT_EQ(Observed(doc, "server_fds_at_start"), kHelperFds);
  EXPECT_EQ(Observed(doc, "completed"), n);
  EXPECT_EQ(Observed(doc, "close_wait_growth"), Quarters(n, 0));
  EXPECT_EQ(Observed(doc, "server_fds_growth"), Quarters(n, kHelperFds));
  // Out of descriptors: the late clients are queued by the kernel, never accepted.
  EXPECT_EQ(Observed(doc, "late_connected"), kLate);
  EXPECT_EQ(Observed(doc, "late_answered"), 0);
  EXPECT_EQ(Observed(doc, "server_accepted"), n);
  EXPECT_GE(Observed(doc, "server_emfile").get<int64_t>(), 1);
  const std::string errors = Observed(doc, "server_errors");
  EXPECT_TRUE(errors.starts_with("EMFILE x") && errors.find(',') == std::string::npos) << errors;
  EXPECT_EQ(Observed(doc, "close_wait_held"), n);
  EXPECT_EQ(Observed(doc, "close_wait_queued"), kLate);
  EXPECT_EQ(Observed(doc, "accept_queue"), kLate);
  EXPECT_EQ(Observed(doc, "client_fin_wait2"), n + kLate);
  EXPECT_EQ(Observed(doc, "server_fds"), nofile);
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
  // The checkup's own dump agrees.
  EXPECT_EQ(doc["checkup"]["states"]["CLOSE_WAIT"], n + kLate);
  EXPECT_EQ(doc["checkup"]["states"]["FIN_WAIT2"], n + kLate);
  EXPECT_EQ(doc["checkup"]["states"]["LISTEN"], 1);

  const std::string server = Server(doc);
  ASSERT_FALSE(server.empty()) << doc["pids"].dump();
  ExpectLabFinding(doc, "fd-exhaustion", server);
  const nlohmann::json fd = LabFinding(doc, "fd-exhaustion", server);
  if (!fd.is_null()) {
    EXPECT_EQ(fd["severity"], "critical");
    EXPECT_EQ(fd["data"]["open_fds"], nofile);
    EXPECT_EQ(fd["data"]["nofile_soft"], nofile);
    EXPECT_EQ(fd["data"]["close_wait"], n);
  }
}

TEST(LabCloseWaitTest, CloseWaitGrowsUntilAcceptFailsWithEmfile) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("close-wait-leak");
    ASSERT_FALSE(lab.doc.is_null());
    const int64_t n = 200;  // the default
    EXPECT_EQ(lab.doc["parameters"]["connections"], n);
    ExpectLeakUpToTheLimit(lab.doc, n);
    const std::string server = Server(lab.doc);
    ExpectLabFinding(lab.doc, "close-wait-leak", server);
    const nlohmann::json leak = LabFinding(lab.doc, "close-wait-leak", server);
    if (!leak.is_null()) {
      // At its fd limit: critical, whatever the count.
      EXPECT_EQ(leak["severity"], "critical");
      EXPECT_EQ(leak["data"]["close_wait"], n);
      EXPECT_EQ(leak["data"]["fd_percent"], 100);
      EXPECT_EQ(leak["data"]["top_local"], "127.0.0.1:8080");
    }
  });
}

// Below close-wait-leak's 100 sockets (and with no age or growth to show) the rule is quiet and
// the run does not expect it; the descriptors still run out.
TEST(LabCloseWaitTest, FewerConnectionsStillRunOutOfDescriptors) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("close-wait-leak", {"--connections", "40", "--rate", "400"});
    ASSERT_FALSE(lab.doc.is_null());
    ExpectLeakUpToTheLimit(lab.doc, 40);
    const std::string server = Server(lab.doc);
    EXPECT_TRUE(LabFinding(lab.doc, "close-wait-leak", server).is_null());
    for (const nlohmann::json& e : lab.doc["expected_findings"]) {
      EXPECT_NE(e["rule"], "close-wait-leak") << e.dump();
    }
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
