// ByPressure: the listeners a cut report keeps, fullest accept queue first against the backlog+1
// it holds, then most SYN_RECV, then the longest queue (all there is when the backlog is
// unknown), then a fixed order.
#include "analyze/listener_pressure.h"

#include <gtest/gtest.h>

#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Listener;

std::vector<uint16_t> Ports(const std::vector<ListenerQueue>& listeners) {
  std::vector<uint16_t> ports;
  for (const ListenerQueue* l : ByPressure(listeners)) ports.push_back(l->port);
  return ports;
}

TEST(ListenerPressureTest, FullestAgainstBacklogPlusOneFirst) {
  // 5 of 5+1 (83 %) beats 100 of 4096+1, and a full queue of 4 beats both.
  const std::vector<ListenerQueue> listeners = {
      Listener("0.0.0.0", 1, 100, 4096), Listener("0.0.0.0", 2, 5, 5), Listener("0.0.0.0", 3, 4, 3),
      Listener("0.0.0.0", 4, 0, 128)};
  EXPECT_EQ(Ports(listeners), (std::vector<uint16_t>{3, 2, 1, 4}));
}

TEST(ListenerPressureTest, ThenMostSynRecvThenLongestQueue) {
  std::vector<ListenerQueue> listeners = {
      Listener("0.0.0.0", 1, 2, 99), Listener("0.0.0.0", 2, 1, 49), Listener("0.0.0.0", 3, 0, 9),
      Listener("0.0.0.0", 4, 0, 9)};
  // Ports 1 and 2 are both 2 % full; 3 and 4 empty.
  listeners[1].syn_recv = 7;
  listeners[3].syn_recv = 1;
  EXPECT_EQ(Ports(listeners), (std::vector<uint16_t>{2, 1, 4, 3}));
  // Without backlogs (/proc/net/tcp) nothing is "full": SYN_RECV, then queue length.
  for (ListenerQueue& l : listeners) l.backlog_known = false;
  listeners[0].accept_queue = 50;
  EXPECT_EQ(Ports(listeners), (std::vector<uint16_t>{2, 4, 1, 3}));
}

TEST(ListenerPressureTest, TiesByPortAddressInode) {
  std::vector<ListenerQueue> listeners = {
      Listener("::", 80, 0, 128), Listener("10.0.0.2", 80, 0, 128),
      Listener("10.0.0.1", 80, 0, 128), Listener("0.0.0.0", 22, 0, 128)};
  listeners.push_back(listeners[2]);
  listeners[2].inode = 9;
  listeners[4].inode = 3;
  const auto order = ByPressure(listeners);
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order[0], &listeners[3]);  // port 22
  EXPECT_EQ(order[1], &listeners[4]);  // 10.0.0.1, inode 3
  EXPECT_EQ(order[2], &listeners[2]);  // 10.0.0.1, inode 9
  EXPECT_EQ(order[3], &listeners[1]);  // 10.0.0.2
  EXPECT_EQ(order[4], &listeners[0]);  // IPv6 after IPv4
  EXPECT_TRUE(MorePressed(listeners[4], listeners[2]));
  EXPECT_FALSE(MorePressed(listeners[2], listeners[2]));
  EXPECT_TRUE(ByPressure({}).empty());
}

}  // namespace
}  // namespace tcpdoctor
