// `tcpdoctor lab linger-reset`, run from a netns sandbox: normal closes leave TIME_WAIT and a
// FIN the server reads as end of stream; SO_LINGER {1, 0} closes leave no TIME_WAIT, send an
// RST that the server reads as ECONNRESET, and count TCPAbortOnData (not TCPAbortOnLinger),
// which the checkup reports as aborted-closes.
#include <gtest/gtest.h>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

void ExpectResetsInsteadOfFins(const nlohmann::json& doc, int64_t n) {
  EXPECT_EQ(Observed(doc, "normal_completed"), n);
  EXPECT_EQ(Observed(doc, "normal_time_wait"), n);
  EXPECT_EQ(Observed(doc, "normal_abort_on_data"), 0);
  EXPECT_EQ(Observed(doc, "normal_out_rsts"), 0);
  EXPECT_EQ(Observed(doc, "normal_server_eof"), n);
  EXPECT_EQ(Observed(doc, "normal_server_econnreset"), 0);

  EXPECT_EQ(Observed(doc, "linger_completed"), n);
  EXPECT_EQ(Observed(doc, "linger_time_wait"), 0);
  EXPECT_EQ(Observed(doc, "linger_abort_on_data"), n);
  EXPECT_EQ(Observed(doc, "linger_abort_on_linger"), 0);
  EXPECT_EQ(Observed(doc, "linger_out_rsts"), n);
  EXPECT_EQ(Observed(doc, "linger_server_eof"), 0);
  EXPECT_EQ(Observed(doc, "linger_server_econnreset"), n);

  // Only the normal closes are left in TIME_WAIT, as the checkup's own dump shows.
  EXPECT_EQ(doc["checkup"]["states"]["TIME_WAIT"], n);
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
}

TEST(LabLingerTest, LingerZeroSendsAnRstCountedAsAbortOnData) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("linger-reset");
    ASSERT_FALSE(lab.doc.is_null());
    const int64_t n = lab.doc["parameters"]["connections"];
    EXPECT_EQ(n, 200);
    ExpectResetsInsteadOfFins(lab.doc, n);
    ExpectLabFinding(lab.doc, "aborted-closes", "TCPAbortOnData");
    const nlohmann::json f = LabFinding(lab.doc, "aborted-closes", "TCPAbortOnData");
    if (!f.is_null()) {
      EXPECT_EQ(f["data"]["increase"], n);
      // n resets in well under a second: far above the rule's warning rate of 1/s.
      EXPECT_EQ(f["severity"], "warning");
    }
    EXPECT_TRUE(LabFinding(lab.doc, "aborted-closes", "TCPAbortOnClose").is_null());
  });
}

TEST(LabLingerTest, OtherCountsAndRates) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("linger-reset", {"--connections", "37", "--rate", "400"});
    ASSERT_FALSE(lab.doc.is_null());
    ExpectResetsInsteadOfFins(lab.doc, 37);
    ExpectLabFinding(lab.doc, "aborted-closes", "TCPAbortOnData");
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
