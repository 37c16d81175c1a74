// `tcpdoctor lab time-wait-client` and `time-wait-server`, run from a netns sandbox: the same
// load with the client, then the server, closing first. TIME_WAIT must land on the closer
// (on the client's ephemeral ports, or on the server's listening port), with a 60 s timer, and
// the checkup must see it: port-exhaustion toward the server in the first, server-active-close
// on port 8080 in the second. Every run is also checked for leftovers (support/lab_runner.h).
#include <gtest/gtest.h>

#include <string>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

constexpr const char* kToServer = "127.0.0.1 -> 127.0.0.1:8080";

// The value the run used for sysctl `key` ("" if it lists none), and whether it set it.
std::pair<std::string, bool> Sysctl(const nlohmann::json& doc, const std::string& key) {
  for (const nlohmann::json& s : doc["namespace"]["sysctls"]) {
    if (s["key"] == key) return {s["value"], s["set_by_lab"]};
  }
  return {"", false};
}

// TIME_WAIT timers are counted from the close, fixed at 60 s: the freshest at most 60 s, and
// none of them old enough to be far from it in a run of a few seconds.
void ExpectTimeWaitTimer(const nlohmann::json& doc) {
  const int64_t timer = Observed(doc, "time_wait_timer_max_ms").get<int64_t>();
  EXPECT_LE(timer, 60000);
  EXPECT_GT(timer, 50000);
}

void ExpectClientClosedFirst(const nlohmann::json& doc, int64_t n) {
  EXPECT_EQ(doc["parameters"]["connections"], n);
  EXPECT_EQ(Observed(doc, "connections_completed"), n);
  EXPECT_EQ(Observed(doc, "client_errors"), "none");
  EXPECT_EQ(Observed(doc, "server_saw_client_close"), n);
  EXPECT_EQ(Observed(doc, "server_closed_first"), 0);
  EXPECT_EQ(Observed(doc, "time_wait_client_side"), n);
  EXPECT_EQ(Observed(doc, "time_wait_server_side"), 0);
  EXPECT_EQ(Observed(doc, "active_opens"), n);
  ExpectTimeWaitTimer(doc);
  // The checkup's own dump agrees: n TIME_WAIT and the listener, nothing else.
  EXPECT_EQ(doc["checkup"]["states"]["TIME_WAIT"], n);
  EXPECT_EQ(doc["checkup"]["total"], n + 1) << doc["checkup"].dump(2);
  EXPECT_EQ(Sysctl(doc, "net.ipv4.tcp_tw_reuse"), std::make_pair(std::string("0"), true));
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
}

TEST(LabTimeWaitTest, ClientClosingFirstLeavesTimeWaitOnItsEphemeralPorts) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("time-wait-client");
    ASSERT_FALSE(lab.doc.is_null());
    const int64_t n = 2000;  // the default
    ExpectClientClosedFirst(lab.doc, n);
    // The range was narrowed to 1.5 x n ports from 32768; the ports are inside it.
    EXPECT_EQ(Sysctl(lab.doc, "net.ipv4.ip_local_port_range"),
              std::make_pair(std::string("32768 35767"), true));
    const std::string ports = Observed(lab.doc, "time_wait_ports");
    EXPECT_TRUE(ports.starts_with("32768-") || ports.starts_with("3276")) << ports;
    ExpectLabFinding(lab.doc, "port-exhaustion", kToServer);
    const nlohmann::json f = LabFinding(lab.doc, "port-exhaustion", kToServer);
    if (!f.is_null()) {
      EXPECT_EQ(f["data"]["time_wait"], n);
      EXPECT_EQ(f["data"]["range_size"], 3000);
      EXPECT_EQ(f["severity"], "warning");
    }
    EXPECT_TRUE(LabFinding(lab.doc, "server-active-close", "port 8080").is_null());
  });
}

TEST(LabTimeWaitTest, ServerClosingFirstLeavesTimeWaitOnItsListeningPort) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("time-wait-server");
    ASSERT_FALSE(lab.doc.is_null());
    const int64_t n = 2000;
    EXPECT_EQ(Observed(lab.doc, "connections_completed"), n);
    EXPECT_EQ(Observed(lab.doc, "client_errors"), "none");
    EXPECT_EQ(Observed(lab.doc, "server_closed_first"), n);
    EXPECT_EQ(Observed(lab.doc, "server_saw_client_close"), 0);
    // connect() walks the range with random steps and may come back to a port within the
    // run; that connection's SYN then reopens the server's TIME_WAIT for the same 4-tuple, so
    // the server holds one TIME_WAIT per 4-tuple. Rare with the default range.
    const int64_t reused = Observed(lab.doc, "client_reused_ports").get<int64_t>();
    EXPECT_LT(reused, n / 4);
    EXPECT_EQ(Observed(lab.doc, "time_wait_server_side"), n - reused);
    EXPECT_EQ(Observed(lab.doc, "time_wait_client_side"), 0);
    EXPECT_EQ(Observed(lab.doc, "time_wait_ports"), "8080");
    ExpectTimeWaitTimer(lab.doc);
    EXPECT_EQ(lab.doc["checkup"]["states"]["TIME_WAIT"], n - reused);
    EXPECT_EQ(Sysctl(lab.doc, "net.ipv4.ip_local_port_range"),
              std::make_pair(std::string("32768 60999"), false));
    EXPECT_TRUE(lab.doc["surprises"].empty()) << lab.doc["surprises"].dump();
    ExpectLabFinding(lab.doc, "server-active-close", "port 8080");
    const nlohmann::json f = LabFinding(lab.doc, "server-active-close", "port 8080");
    if (!f.is_null()) {
      EXPECT_EQ(f["data"]["time_wait"], n - reused);
      EXPECT_EQ(f["data"]["comm"], "lab-server");
      ASSERT_EQ(lab.doc["pids"].size(), 1u);
      EXPECT_EQ(f["data"]["pid"], lab.doc["pids"][0]);
    }
    // No client port is held: no port budget is spent.
    EXPECT_TRUE(LabFinding(lab.doc, "port-exhaustion", kToServer).is_null());
  });
}

// Other counts and rates: the range follows the load, and the same holds.
TEST(LabTimeWaitTest, ScalesWithConnectionsAndRate) {
  RunInNetns([] {
    const LabRun lab =
        RunLabScenario("time-wait-client", {"--connections", "300", "--rate", "3000"});
    ASSERT_FALSE(lab.doc.is_null());
    ExpectClientClosedFirst(lab.doc, 300);
    EXPECT_EQ(lab.doc["parameters"]["rate"], 3000);
    EXPECT_EQ(Sysctl(lab.doc, "net.ipv4.ip_local_port_range"),
              std::make_pair(std::string("32768 33217"), true));
    ExpectLabFinding(lab.doc, "port-exhaustion", kToServer);
  });
}

// Below the server-active-close rule's 1000 sockets, the run says nothing is expected and the
// checkup is quiet; the text report tells the story.
TEST(LabTimeWaitTest, TextReportTellsWhereTimeWaitLanded) {
  RunInNetns([] {
    CommandOptions options;
    options.timeout = std::chrono::seconds(40);
    const CommandResult run =
        RunTcpdoctor({"lab", "time-wait-server", "--connections", "50"}, options);
    EXPECT_EQ(run.exit_code, 0) << run.Describe();
    for (const char* words :
         {"tcpdoctor lab time-wait-server", "TIME_WAIT landed on the server",
          "on the server's side (local port 8080): 50", "The checkup of the lab namespace",
          "OK: no problem found", "killed and reaped"}) {
      EXPECT_NE(run.out.find(words), std::string::npos) << words << " missing from:\n" << run.out;
    }
    EXPECT_EQ(run.out.find("What the checkup should find"), std::string::npos) << run.out;
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
