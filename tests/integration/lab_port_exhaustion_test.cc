// `tcpdoctor lab port-exhaustion`, run from a netns sandbox: a narrowed ip_local_port_range,
// tcp_tw_reuse = 0, client-closes-first connections to 127.0.0.1:8080 until connect() fails with
// EADDRNOTAVAIL, after exactly as many as the range has ports; with tcp_tw_reuse = 1 connect()
// succeeds again once the oldest TIME_WAIT is tcp_tw_reuse_delay old, and TWRecycled counts each
// port taken over; toward 127.0.0.2:8080 the whole range is there again. The checkup reports
// port-exhaustion, critical, for both destinations. Leftovers: support/lab_runner.h.
#include <gtest/gtest.h>

#include <charconv>
#include <string>

#include "support/lab_runner.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

// The size of the range the run set ("32768 33267" -> 500).
int64_t RangeSize(const nlohmann::json& doc) {
  const std::string range = LabSysctlValue(doc, "net.ipv4.ip_local_port_range");
  const size_t space = range.find(' ');
  if (space == std::string::npos) return 0;
  int64_t low = 0;
  int64_t high = 0;
  std::from_chars(range.data(), range.data() + space, low);
  std::from_chars(range.data() + space + 1, range.data() + range.size(), high);
  return high - low + 1;
}

void ExpectUsedUp(const nlohmann::json& doc, const std::string& phase, int64_t size) {
  EXPECT_EQ(Observed(doc, phase + "_completed"), size);
  EXPECT_EQ(Observed(doc, phase + "_first_failure"), size + 1);
  EXPECT_EQ(Observed(doc, phase + "_errors"), "EADDRNOTAVAIL x3");
  EXPECT_EQ(Observed(doc, phase + "_time_wait"), size);
}

void ExpectExhaustion(const nlohmann::json& doc, int64_t size) {
  ASSERT_GT(size, 0);
  EXPECT_EQ(LabSysctlValue(doc, "net.ipv4.tcp_tw_reuse"), "0");
  const int64_t delay = std::stoll(LabSysctlValue(doc, "net.ipv4.tcp_tw_reuse_delay"));
  ExpectUsedUp(doc, "first", size);
  // The range was used up in well under tcp_tw_reuse_delay: the first attempts still failed.
  EXPECT_GE(Observed(doc, "reuse_failed_attempts").get<int64_t>(), 1);
  const int64_t age = Observed(doc, "reuse_oldest_age_ms").get<int64_t>();
  EXPECT_GE(age, delay - 50);
  EXPECT_LT(age, delay + 1500);
  EXPECT_EQ(Observed(doc, "reuse_completed"), size);
  EXPECT_EQ(Observed(doc, "tw_recycled"), size);
  ExpectUsedUp(doc, "second", size);
  EXPECT_EQ(Observed(doc, "first_time_wait_end"), size);
  EXPECT_TRUE(doc["surprises"].empty()) << doc["surprises"].dump();
  EXPECT_EQ(doc["checkup"]["states"]["TIME_WAIT"], 2 * size);
  for (const char* destination : {"127.0.0.1 -> 127.0.0.1:8080", "127.0.0.1 -> 127.0.0.2:8080"}) {
    ExpectLabFinding(doc, "port-exhaustion", destination);
    const nlohmann::json f = LabFinding(doc, "port-exhaustion", destination);
    if (!f.is_null()) {
      EXPECT_EQ(f["severity"], "critical") << destination;
      EXPECT_EQ(f["data"]["in_use"], size) << destination;
      EXPECT_EQ(f["data"]["time_wait"], size) << destination;
      EXPECT_EQ(f["data"]["range_size"], size) << destination;
    }
  }
}

TEST(LabPortExhaustionTest, RangeRunsOutPerDestinationAndReuseRefillsIt) {
  RunInNetns([] {
    const LabRun lab = RunLabScenario("port-exhaustion");
    ASSERT_FALSE(lab.doc.is_null());
    EXPECT_EQ(lab.doc["parameters"]["connections"], 500);
    EXPECT_EQ(LabSysctlValue(lab.doc, "net.ipv4.ip_local_port_range"), "32768 33267");
    ExpectExhaustion(lab.doc, 500);
  });
}

// An odd count: the range is rounded up to an even size (start even, end odd); the run uses up
// what the kernel holds.
TEST(LabPortExhaustionTest, OtherRangeAndRate) {
  RunInNetns([] {
    const LabRun lab =
        RunLabScenario("port-exhaustion", {"--connections", "101", "--rate", "5000"});
    ASSERT_FALSE(lab.doc.is_null());
    EXPECT_EQ(RangeSize(lab.doc), 102);
    ExpectExhaustion(lab.doc, RangeSize(lab.doc));
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
