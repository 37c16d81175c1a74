// `tcpdoctor lab backlog-overflow`, run from a netns sandbox: listen(8) with a server that
// accepts slowly, and clients connecting at once from a helper process. The accept queue must
// fill at backlog+1 (sock_diag rqueue against wqueue), ListenOverflows must rise, clients must
// wait for a SYN retransmit (1 s) and still all get their answer; the checkup, taken while the
// queue was full, reports accept-queue-overflow on 127.0.0.1:8080. Leftovers: lab_runner.h.
#include <gtest/gtest.h>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

constexpr int64_t kBacklog = 8;
constexpr const char* kListener = "127.0.0.1:8080";

// `seen_full`: a slow server keeps its queue full long enough for the lab's looks every 5 ms to
// see it so; a fast one may fill and drain it between two looks (the counters still tell).
void ExpectOverflow(const nlohmann::json& doc, int64_t n, bool seen_full) {
  EXPECT_EQ(Observed(doc, "backlog"), kBacklog);
  const int64_t peak = Observed(doc, "accept_queue_peak").get<int64_t>();
  EXPECT_LE(peak, kBacklog + 1);
  EXPECT_GE(peak, 1);
  // More clients than the queue holds: some SYNs were dropped and sent again a second later.
  EXPECT_GE(Observed(doc, "clients_waiting_peak").get<int64_t>(), 1);
  EXPECT_EQ(Observed(doc, "clients_connected"), n);
  EXPECT_EQ(Observed(doc, "clients_answered"), n);
  const int64_t retransmitted = Observed(doc, "clients_syn_retransmitted").get<int64_t>();
  EXPECT_GE(retransmitted, 1);
  EXPECT_LE(retransmitted, n - kBacklog);  // the first ones found room
  EXPECT_GE(Observed(doc, "connect_ms_max").get<double>(), 1000);
  EXPECT_LT(Observed(doc, "connect_ms_median").get<double>(), 10000);
  EXPECT_GE(Observed(doc, "answer_ms_max").get<double>(),
            Observed(doc, "connect_ms_max").get<double>());
  const int64_t overflows = Observed(doc, "listen_overflows").get<int64_t>();
  EXPECT_GE(overflows, 1);
  EXPECT_GE(Observed(doc, "listen_drops").get<int64_t>(), overflows);
  EXPECT_GE(Observed(doc, "tcp_syn_retrans").get<int64_t>(), retransmitted);
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
  if (seen_full) {
    EXPECT_EQ(peak, kBacklog + 1);
    EXPECT_GE(Observed(doc, "looks_full").get<int64_t>(), 1);
    // The checkup was taken while the queue was full, before the clients were done.
    EXPECT_EQ(doc["checkup_after_step"], 3);
  }
  ASSERT_EQ(doc["pids"].size(), 2u);  // the server and the clients
  ExpectLabFinding(doc, "accept-queue-overflow", kListener);
  const nlohmann::json f = LabFinding(doc, "accept-queue-overflow", kListener);
  if (!f.is_null()) {
    EXPECT_EQ(f["data"]["backlog"], kBacklog);
    EXPECT_EQ(f["data"]["comm"], "lab-server");
    EXPECT_EQ(f["data"]["pid"], doc["pids"][0]);
    EXPECT_EQ(f["data"]["cause"], "small_backlog");
    EXPECT_GE(f["data"]["listen_overflows"].get<int64_t>(), 1);
  }
}

TEST(LabBacklogTest, SmallBacklogSlowAcceptOverflowsAndCostsSeconds) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("backlog-overflow");
    ASSERT_FALSE(lab.doc.is_null());
    EXPECT_EQ(lab.doc["parameters"]["connections"], 50);
    EXPECT_EQ(lab.doc["parameters"]["rate"], 25);
    ExpectOverflow(lab.doc, 50, /*seen_full=*/true);
  });
}

TEST(LabBacklogTest, FewerClientsAndAFasterServer) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("backlog-overflow", {"--connections", "24", "--rate", "60"});
    ASSERT_FALSE(lab.doc.is_null());
    ExpectOverflow(lab.doc, 24, /*seen_full=*/false);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
