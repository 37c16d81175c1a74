#include "model/tcp_state.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

TEST(TcpStateTest, NamesFollowNetstat) {
  EXPECT_EQ(StateName(TcpState::kTimeWait), "TIME_WAIT");
  EXPECT_EQ(StateName(TcpState::kSynRecv), "SYN_RECV");
  EXPECT_EQ(StateName(TcpState::kFinWait1), "FIN_WAIT1");
}

TEST(TcpStateTest, ParsesNamesCaseAndDashInsensitively) {
  for (const char* name : {"time-wait", "TIME_WAIT", "Time-Wait", "timewait"}) {
    EXPECT_EQ(ParseStateName(name), StateBit(TcpState::kTimeWait)) << name;
  }
  EXPECT_EQ(ParseStateName("fin-wait-1"), StateBit(TcpState::kFinWait1));
  EXPECT_EQ(ParseStateName("FIN_WAIT2"), StateBit(TcpState::kFinWait2));
  EXPECT_EQ(ParseStateName("syn-recv"), StateBit(TcpState::kSynRecv));
  EXPECT_FALSE(ParseStateName("time-wiat").has_value());
  EXPECT_FALSE(ParseStateName("").has_value());
}

TEST(TcpStateTest, GroupsMatchSs) {
  const StateMask connected = *ParseStateName("connected");
  EXPECT_EQ(connected & StateBit(TcpState::kListen), 0u);
  EXPECT_EQ(connected & StateBit(TcpState::kClose), 0u);
  EXPECT_NE(connected & StateBit(TcpState::kSynSent), 0u);
  EXPECT_NE(connected & StateBit(TcpState::kTimeWait), 0u);
  const StateMask synchronized = *ParseStateName("synchronized");
  EXPECT_EQ(synchronized, connected & ~StateBit(TcpState::kSynSent));
  EXPECT_EQ(*ParseStateName("all"), kAllStates);
}

TEST(TcpStateTest, KernelNumbersOutsideTheRangeAreUnknown) {
  EXPECT_FALSE(StateFromKernel(0).has_value());
  EXPECT_FALSE(StateFromKernel(12).has_value());
  EXPECT_EQ(StateFromKernel(10), TcpState::kListen);
}

TEST(TcpStateTest, SsSpellingsAndAliases) {
  EXPECT_EQ(ParseStateName("estab"), StateBit(TcpState::kEstablished));
  EXPECT_EQ(ParseStateName("syn-rcvd"), StateBit(TcpState::kSynRecv));
  EXPECT_EQ(ParseStateName("SYN_RECEIVED"), StateBit(TcpState::kSynRecv));
  EXPECT_EQ(ParseStateName("listening"), StateBit(TcpState::kListen));
  EXPECT_EQ(ParseStateName("closed"), StateBit(TcpState::kClose));
  EXPECT_EQ(ParseStateName("close"), StateBit(TcpState::kClose));
  EXPECT_EQ(ParseStateName("close-wait"), StateBit(TcpState::kCloseWait));
  EXPECT_EQ(ParseStateName("last-ack"), StateBit(TcpState::kLastAck));
  EXPECT_EQ(ParseStateName("closing"), StateBit(TcpState::kClosing));
  EXPECT_EQ(ParseStateName("syn-sent"), StateBit(TcpState::kSynSent));
}

TEST(TcpStateTest, SsBucketAndBigSplitTheStates) {
  // ss: "bucket" = the minisockets (SYN_RECV requests and TIME_WAIT), "big" = the rest.
  const StateMask bucket = *ParseStateName("bucket");
  EXPECT_EQ(bucket, StateBit(TcpState::kSynRecv) | StateBit(TcpState::kTimeWait));
  const StateMask big = *ParseStateName("big");
  EXPECT_EQ(big & bucket, 0u);
  EXPECT_EQ(big | bucket, kAllStates);
}

TEST(TcpStateTest, EveryChoiceParsesAndEveryStateIsAChoice) {
  StateMask seen = 0;
  for (std::string_view choice : StateNameChoices()) {
    const auto mask = ParseStateName(choice);
    ASSERT_TRUE(mask.has_value()) << choice;
    EXPECT_NE(*mask, 0u) << choice;
    EXPECT_EQ(*mask & ~kAllStates, 0u) << choice;
    seen |= *mask;
  }
  EXPECT_EQ(seen, kAllStates);
  // Each single state parses back from its own netstat name.
  for (TcpState s : kStatesInOrder) EXPECT_EQ(ParseStateName(StateName(s)), StateBit(s));
}

TEST(TcpStateTest, StatesInOrderAreTheKernelNumbersOneToEleven) {
  int expected = 1;
  for (TcpState s : kStatesInOrder) {
    EXPECT_EQ(static_cast<int>(s), expected);
    EXPECT_EQ(StateFromKernel(expected), s);
    ++expected;
  }
  EXPECT_EQ(kAllStates, 0xffeu);
  EXPECT_FALSE(StateFromKernel(-1).has_value());
  EXPECT_EQ(StateBit(TcpState::kTimeWait), 1u << 6);
}

}  // namespace
}  // namespace tcpdoctor
