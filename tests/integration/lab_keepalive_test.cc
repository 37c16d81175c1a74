// `tcpdoctor lab keepalive-vs-close`, run from a netns sandbox: the same requests over one
// keep-alive connection and over one connection each. The first leaves one TIME_WAIT socket,
// the second one per request (all on the client, which closes first), and the checkup finds
// the port budget toward the second port spent, not toward the first.
#include <gtest/gtest.h>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

void ExpectSideBySide(const nlohmann::json& doc, int64_t n) {
  EXPECT_EQ(Observed(doc, "keepalive_requests"), n);
  EXPECT_EQ(Observed(doc, "keepalive_connections"), 1);
  EXPECT_EQ(Observed(doc, "close_requests"), n);
  EXPECT_EQ(Observed(doc, "close_connections"), n);
  EXPECT_EQ(Observed(doc, "keepalive_time_wait"), 1);
  EXPECT_EQ(Observed(doc, "close_time_wait"), n);
  EXPECT_EQ(Observed(doc, "server_time_wait"), 0);
  // A connection each costs its handshake and teardown on top of the request and answer.
  EXPECT_GT(Observed(doc, "close_segments_per_request").get<double>(),
            2 * Observed(doc, "keepalive_segments_per_request").get<double>());
  EXPECT_EQ(doc["checkup"]["states"]["TIME_WAIT"], n + 1);
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
  ExpectLabFinding(doc, "port-exhaustion", "127.0.0.1 -> 127.0.0.1:8081");
  const nlohmann::json f = LabFinding(doc, "port-exhaustion", "127.0.0.1 -> 127.0.0.1:8081");
  if (!f.is_null()) {
    EXPECT_EQ(f["data"]["time_wait"], n);
  }
  EXPECT_TRUE(LabFinding(doc, "port-exhaustion", "127.0.0.1 -> 127.0.0.1:8080").is_null());
}

TEST(LabKeepaliveTest, OneKeepAliveConnectionLeavesOneTimeWaitAndOneEachLeavesOneEach) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("keepalive-vs-close");
    ASSERT_FALSE(lab.doc.is_null());
    EXPECT_EQ(lab.doc["parameters"]["connections"], 2000);
    ExpectSideBySide(lab.doc, 2000);
  });
}

TEST(LabKeepaliveTest, OtherCountsAndRates) {
  RunInNetns([] {
    const LabRun lab =
        RunLabScenario("keepalive-vs-close", {"--connections", "150", "--rate", "5000"});
    ASSERT_FALSE(lab.doc.is_null());
    ExpectSideBySide(lab.doc, 150);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
