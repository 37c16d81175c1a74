// `tcpdoctor lab syn-flood`, run from a netns sandbox: two TCP_DEFER_ACCEPT listeners with
// listen(8) and clients that send nothing. Each SYN queue must hold backlog+1 request sockets
// in SYN_RECV; with tcp_syncookies = 1 the other clients connect through cookies (counted) and
// the server accepts them; with 0 their SYNs are dropped (TCPReqQFullDrop, ListenDrops) and they
// stay in SYN_SENT past their first retransmit. The checkup reports syn-queue-pressure on both
// listeners and sysctl-audit about tcp_syncookies. Leftovers: support/lab_runner.h.
#include <gtest/gtest.h>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

constexpr int64_t kHolds = 9;  // listen(8): backlog + 1

void ExpectFloodBothWays(const nlohmann::json& doc, int64_t n) {
  const int64_t beyond = n - kHolds;
  // syncookies = 1.
  EXPECT_EQ(Observed(doc, "cookies_connected"), n);
  EXPECT_EQ(Observed(doc, "cookies_syn_sent"), 0);
  EXPECT_EQ(Observed(doc, "cookies_syn_recv"), kHolds);
  // The server knows those whose cookie ACK found room in its accept queue; an ACK that found
  // it full was dropped (ListenOverflows), and a client that sends nothing never repeats it.
  const int64_t known = Observed(doc, "cookies_server_connections").get<int64_t>();
  EXPECT_LE(known, beyond);
  EXPECT_GE(known + Observed(doc, "cookies_listen_overflows").get<int64_t>(), beyond);
  EXPECT_GE(Observed(doc, "cookies_req_q_full_do_cookies").get<int64_t>(), beyond);
  EXPECT_GE(Observed(doc, "cookies_syncookies_sent").get<int64_t>(), beyond);
  EXPECT_GE(Observed(doc, "cookies_syncookies_recv").get<int64_t>(), beyond);
  EXPECT_EQ(Observed(doc, "cookies_req_q_full_drop"), 0);
  EXPECT_GE(Observed(doc, "cookies_defer_accept_drops").get<int64_t>(), kHolds);
  // syncookies = 0.
  EXPECT_EQ(Observed(doc, "drops_connected"), kHolds);
  EXPECT_EQ(Observed(doc, "drops_syn_sent"), beyond);
  EXPECT_EQ(Observed(doc, "drops_syn_recv"), kHolds);
  EXPECT_EQ(Observed(doc, "drops_server_connections"), 0);
  EXPECT_GE(Observed(doc, "drops_req_q_full_drop").get<int64_t>(), beyond);
  EXPECT_GE(Observed(doc, "drops_listen_drops").get<int64_t>(), beyond);
  EXPECT_EQ(Observed(doc, "drops_syncookies_sent"), 0);
  // Every waiting client sent its SYN again after 1 s.
  EXPECT_GE(Observed(doc, "drops_tcp_syn_retrans").get<int64_t>(), beyond);
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
  // The checkup's own dump, taken at the end.
  EXPECT_EQ(doc["checkup"]["states"]["SYN_RECV"], 2 * kHolds);
  EXPECT_EQ(doc["checkup"]["states"]["SYN_SENT"], beyond);
  EXPECT_EQ(doc["checkup"]["states"]["LISTEN"], 2);
  EXPECT_EQ(LabSysctlValue(doc, "net.ipv4.tcp_syncookies"), "0");

  for (const char* listener : {"127.0.0.1:8080", "127.0.0.1:8081"}) {
    ExpectLabFinding(doc, "syn-queue-pressure", listener);
    const nlohmann::json f = LabFinding(doc, "syn-queue-pressure", listener);
    if (!f.is_null()) {
      EXPECT_EQ(f["data"]["syn_recv"], kHolds) << listener;
      EXPECT_EQ(f["data"]["syn_queue_limit"], kHolds) << listener;
      EXPECT_EQ(f["data"]["full_now"], 1) << listener;
      EXPECT_EQ(f["data"]["comm"], "lab-server") << listener;
      EXPECT_NE(f["severity"], "info") << listener;  // syncookies are off
    }
  }
  ExpectLabFinding(doc, "sysctl-audit", "net.ipv4.tcp_syncookies");
}

TEST(LabSynFloodTest, SynQueueFillsThenCookiesOrDrops) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("syn-flood");
    ASSERT_FALSE(lab.doc.is_null());
    EXPECT_EQ(lab.doc["parameters"]["connections"], 40);
    ExpectFloodBothWays(lab.doc, 40);
  });
}

TEST(LabSynFloodTest, OtherClientCounts) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("syn-flood", {"--connections", "13"});
    ASSERT_FALSE(lab.doc.is_null());
    ExpectFloodBothWays(lab.doc, 13);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
