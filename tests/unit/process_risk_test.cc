// ByRisk: a snapshot's processes in `tcpdoctor procs`'s riskiest-first order (RiskRankOf, whose
// tiers SortByRisk's tests cover), which the exporter cuts to its top N.
#include "analyze/process_risk.h"

#include <gtest/gtest.h>

#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Process;

std::vector<int32_t> Pids(const std::vector<ProcessSnapshot>& processes) {
  std::vector<int32_t> pids;
  for (const ProcessSnapshot* p : ByRisk(processes)) pids.push_back(p->info.pid);
  return pids;
}

TEST(ProcessRiskTest, NearTheFdLimitThenCloseWaitThenTheRest) {
  ProcessSnapshot busy = Process(1, "busy", 10, 1024);  // most sockets, little risk
  busy.states.Add(TcpState::kEstablished, 5000);
  ProcessSnapshot leak = Process(2, "leak", 10, 1024);
  leak.states.Add(TcpState::kCloseWait, 3);
  ProcessSnapshot full = Process(3, "full", 1000, 1024);  // 98 %
  ProcessSnapshot unknown = Process(4, "unknown", 10, 1024);
  unknown.info.nofile_soft = std::nullopt;
  ProcessSnapshot bigger_leak = Process(5, "bigleak", 10, 1024);
  bigger_leak.states.Add(TcpState::kCloseWait, 30);
  EXPECT_EQ(Pids({busy, leak, full, unknown, bigger_leak}), (std::vector<int32_t>{3, 5, 2, 1, 4}));
}

TEST(ProcessRiskTest, EqualRiskByPidAndPointersIntoTheInput) {
  const std::vector<ProcessSnapshot> processes = {Process(30, "c"), Process(10, "a"),
                                                  Process(20, "b")};
  const auto order = ByRisk(processes);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], &processes[1]);
  EXPECT_EQ(order[1], &processes[2]);
  EXPECT_EQ(order[2], &processes[0]);
  EXPECT_TRUE(ByRisk({}).empty());
}

}  // namespace
}  // namespace tcpdoctor
