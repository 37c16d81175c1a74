// StateCounts: the histogram behind `tcpdoctor states`.
#include "analyze/state_counts.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

TEST(StateCountsTest, StartsEmpty) {
  const StateCounts c;
  EXPECT_EQ(c.Total(), 0u);
  for (TcpState s : kStatesInOrder) EXPECT_EQ(c.Get(s), 0u) << StateName(s);
}

TEST(StateCountsTest, AddsRecordsAndBulkCounts) {
  StateCounts c;
  SocketRecord r;
  r.state = TcpState::kTimeWait;
  c.Add(r);
  c.Add(r);
  c.Add(TcpState::kListen);
  c.Add(TcpState::kEstablished, 1000000);
  EXPECT_EQ(c.Get(TcpState::kTimeWait), 2u);
  EXPECT_EQ(c.Get(TcpState::kListen), 1u);
  EXPECT_EQ(c.Get(TcpState::kEstablished), 1000000u);
  EXPECT_EQ(c.Get(TcpState::kCloseWait), 0u);
  EXPECT_EQ(c.Total(), 1000003u);
}

TEST(StateCountsTest, EveryStateHasItsOwnCounter) {
  StateCounts c;
  uint64_t n = 1;
  for (TcpState s : kStatesInOrder) c.Add(s, n++);  // 1, 2, ... 11 in RFC order
  n = 1;
  for (TcpState s : kStatesInOrder) EXPECT_EQ(c.Get(s), n++) << StateName(s);
  EXPECT_EQ(c.Total(), 66u);
}

TEST(StateCountsTest, MergeResetAndEquality) {
  StateCounts a;
  a.Add(TcpState::kSynSent, 3);
  a.Add(TcpState::kClosing, 1);
  StateCounts b;
  b.Add(TcpState::kSynSent, 2);
  b.Add(TcpState::kLastAck, 5);
  a.Merge(b);
  EXPECT_EQ(a.Get(TcpState::kSynSent), 5u);
  EXPECT_EQ(a.Get(TcpState::kLastAck), 5u);
  EXPECT_EQ(a.Get(TcpState::kClosing), 1u);
  EXPECT_EQ(a.Total(), 11u);

  StateCounts same;
  same.Add(TcpState::kClosing);
  same.Add(TcpState::kLastAck, 5);
  same.Add(TcpState::kSynSent, 5);
  EXPECT_EQ(a, same);
  same.Add(TcpState::kClose);
  EXPECT_NE(a, same);

  a.Reset();
  EXPECT_EQ(a.Total(), 0u);
  EXPECT_EQ(a, StateCounts{});
}

}  // namespace
}  // namespace tcpdoctor
