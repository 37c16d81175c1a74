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

}  // namespace
}  // namespace tcpdoctor
