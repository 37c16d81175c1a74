// ListenerQueueBuilder and ListenerQueue against kernel-facts §3: LISTEN rows carry the accept
// queue in recv_queue and the effective backlog in send_queue; the queue holds backlog + 1
// (sk_acceptq_is_full tests '>'); request sockets (SYN_RECV) belong to the listener that would
// have taken their SYN; and the peak/full figures folded over several samples.
#include "analyze/listener_queues.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tcpdoctor {
namespace {

SocketRecord Listen(const char* address, uint16_t port, uint32_t accept_queue, uint32_t backlog,
                    uint64_t inode = 0) {
  SocketRecord r;
  r.state = TcpState::kListen;
  r.local = *IpAddress::Parse(address);
  r.remote = *IpAddress::Parse(r.local.family == Family::kIpv4 ? "0.0.0.0" : "::");
  r.local_port = port;
  r.recv_queue = accept_queue;
  r.send_queue = backlog;
  r.inode = inode;
  r.uid = 1000;
  return r;
}

SocketRecord Request(const char* local, uint16_t port, const char* remote,
                     uint16_t remote_port = 50000) {
  SocketRecord r;
  r.state = TcpState::kSynRecv;
  r.local = *IpAddress::Parse(local);
  r.remote = *IpAddress::Parse(remote);
  r.local_port = port;
  r.remote_port = remote_port;
  r.timer = SocketTimer::kRetransmit;
  return r;
}

std::vector<ListenerQueue> Build(const std::vector<SocketRecord>& records,
                                 bool backlog_known = true) {
  ListenerQueueBuilder builder(backlog_known);
  for (const SocketRecord& r : records) builder.Add(r);
  return builder.Take();
}

std::string Name(const ListenerQueue& l) {
  return l.address.ToStringForPort() + ":" + std::to_string(l.port);
}

std::vector<std::string> Names(const std::vector<ListenerQueue>& listeners) {
  std::vector<std::string> names;
  for (const ListenerQueue& l : listeners) names.push_back(Name(l));
  return names;
}

const ListenerQueue* Find(const std::vector<ListenerQueue>& listeners, const std::string& name) {
  for (const ListenerQueue& l : listeners) {
    if (Name(l) == name) return &l;
  }
  return nullptr;
}

// --- one LISTEN record -------------------------------------------------------------------

TEST(ListenerQueueTest, ListenRecordQueuesAndIdentity) {
  SocketRecord r = Listen("10.0.0.1", 8080, 3, 128, 4242);
  r.uid = 33;
  const std::vector<ListenerQueue> got = Build({r});
  ASSERT_EQ(got.size(), 1u);
  const ListenerQueue& l = got[0];
  EXPECT_EQ(l.address.ToString(), "10.0.0.1");
  EXPECT_EQ(l.port, 8080);
  EXPECT_EQ(l.inode, 4242u);
  EXPECT_EQ(l.uid, 33u);
  EXPECT_EQ(l.accept_queue, 3u);  // idiag_rqueue of a LISTEN socket
  EXPECT_EQ(l.backlog, 128u);     // idiag_wqueue of a LISTEN socket
  EXPECT_TRUE(l.backlog_known);
  EXPECT_EQ(l.syn_recv, 0u);
  // One sample so far.
  EXPECT_EQ(l.samples, 1u);
  EXPECT_EQ(l.peak_accept_queue, 3u);
  EXPECT_EQ(l.samples_full, 0u);
}

TEST(ListenerQueueTest, OnlyListenAndSynRecvRecordsMatter) {
  SocketRecord established = Listen("10.0.0.1", 80, 0, 0);
  established.state = TcpState::kEstablished;
  SocketRecord time_wait = established;
  time_wait.state = TcpState::kTimeWait;
  EXPECT_TRUE(Build({established, time_wait}).empty());
}

TEST(ListenerQueueTest, FillIsAgainstBacklogPlusOne) {
  // listen(3) holds 4 connections (kernel-facts §3: '>' in sk_acceptq_is_full).
  ListenerQueue l;
  l.backlog = 3;
  l.accept_queue = 0;
  EXPECT_DOUBLE_EQ(l.FillPercent(), 0.0);
  EXPECT_FALSE(l.FullNow());
  l.accept_queue = 2;
  EXPECT_DOUBLE_EQ(l.FillPercent(), 50.0);  // 2 of 4
  l.accept_queue = 3;                       // == backlog: one more still fits
  EXPECT_DOUBLE_EQ(l.FillPercent(), 75.0);
  EXPECT_FALSE(l.FullNow());
  l.accept_queue = 4;  // backlog + 1: full, the next final ACK is dropped
  EXPECT_DOUBLE_EQ(l.FillPercent(), 100.0);
  EXPECT_TRUE(l.FullNow());
}

TEST(ListenerQueueTest, ListenZeroHoldsOneConnection) {
  // listen(0) held 1 connection [V].
  ListenerQueue l;
  l.backlog = 0;
  l.accept_queue = 0;
  EXPECT_FALSE(l.FullNow());
  EXPECT_DOUBLE_EQ(l.FillPercent(), 0.0);
  l.accept_queue = 1;
  EXPECT_TRUE(l.FullNow());
  EXPECT_DOUBLE_EQ(l.FillPercent(), 100.0);
}

TEST(ListenerQueueTest, CappedWhenTheBacklogEqualsSomaxconn) {
  // listen(100000) with somaxconn 4096 shows a backlog of 4096.
  ListenerQueue l;
  l.backlog = 4096;
  EXPECT_TRUE(l.CappedBy(4096u));
  EXPECT_FALSE(l.CappedBy(8192u));  // raised later: the app asked for 4096 or less
  EXPECT_FALSE(l.CappedBy(std::nullopt));
  l.backlog = 511;  // nginx's default under somaxconn 4096
  EXPECT_FALSE(l.CappedBy(4096u));
}

TEST(ListenerQueueTest, UnknownBacklogGivesNoFillFullOrCap) {
  // The /proc source: tx_queue of a LISTEN line is not the backlog.
  const std::vector<ListenerQueue> got = Build({Listen("0.0.0.0", 80, 5, 0)}, false);
  ASSERT_EQ(got.size(), 1u);
  const ListenerQueue& l = got[0];
  EXPECT_FALSE(l.backlog_known);
  EXPECT_EQ(l.accept_queue, 5u);
  EXPECT_DOUBLE_EQ(l.FillPercent(), 0.0);
  EXPECT_FALSE(l.FullNow());  // 5 > 0 would say full if the 0 were believed
  EXPECT_FALSE(l.CappedBy(0u));
  EXPECT_EQ(l.samples_full, 0u);
  EXPECT_EQ(l.peak_accept_queue, 5u);
}

TEST(ListenerQueueTest, FullListenerCountsAsAFullSample) {
  const std::vector<ListenerQueue> got = Build({Listen("0.0.0.0", 80, 9, 8)});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].FullNow());
  EXPECT_EQ(got[0].samples_full, 1u);
  EXPECT_EQ(got[0].samples, 1u);
}

// --- order ------------------------------------------------------------------------------------

TEST(ListenerQueueTest, SortedByPortThenFamilyThenAddress) {
  const std::vector<ListenerQueue> got = Build({
      Listen("::", 443, 0, 10),
      Listen("10.0.0.2", 80, 0, 10),
      Listen("::1", 80, 0, 10),
      Listen("0.0.0.0", 8080, 0, 10),
      Listen("10.0.0.1", 80, 0, 10),
      Listen("127.0.0.1", 22, 0, 10),
      Listen("0.0.0.0", 443, 0, 10),
      Listen("::", 80, 0, 10),
  });
  EXPECT_EQ(Names(got),
            (std::vector<std::string>{"127.0.0.1:22", "10.0.0.1:80", "10.0.0.2:80", "[::]:80",
                                      "[::1]:80", "0.0.0.0:443", "[::]:443", "0.0.0.0:8080"}));
}

// --- SYN_RECV attribution -----------------------------------------------------------------

TEST(ListenerQueueTest, RequestsGoToTheExactAddressListenerFirst) {
  // A listener on 10.0.0.1:80 and a wildcard on 0.0.0.0:80 (SO_REUSEPORT allows both): the
  // kernel's listener lookup scores the exact bind higher, whatever the dump order.
  for (bool wildcard_first : {true, false}) {
    std::vector<SocketRecord> records;
    if (wildcard_first) records.push_back(Listen("0.0.0.0", 80, 0, 10));
    records.push_back(Listen("10.0.0.1", 80, 0, 10));
    if (!wildcard_first) records.push_back(Listen("0.0.0.0", 80, 0, 10));
    records.push_back(Request("10.0.0.1", 80, "192.0.2.1", 50001));
    records.push_back(Request("10.0.0.1", 80, "192.0.2.1", 50002));
    records.push_back(Request("10.0.0.9", 80, "192.0.2.1", 50003));  // only the wildcard covers
    const std::vector<ListenerQueue> got = Build(records);
    ASSERT_EQ(got.size(), 2u);
    ASSERT_NE(Find(got, "10.0.0.1:80"), nullptr);
    ASSERT_NE(Find(got, "0.0.0.0:80"), nullptr);
    EXPECT_EQ(Find(got, "10.0.0.1:80")->syn_recv, 2u) << wildcard_first;
    EXPECT_EQ(Find(got, "0.0.0.0:80")->syn_recv, 1u) << wildcard_first;
  }
}

TEST(ListenerQueueTest, RequestsGoOnlyToTheirPort) {
  const std::vector<ListenerQueue> got = Build({
      Listen("0.0.0.0", 80, 0, 10),
      Listen("0.0.0.0", 81, 0, 10),
      Request("10.0.0.1", 81, "192.0.2.1"),
  });
  EXPECT_EQ(Find(got, "0.0.0.0:80")->syn_recv, 0u);
  EXPECT_EQ(Find(got, "0.0.0.0:81")->syn_recv, 1u);
}

TEST(ListenerQueueTest, WildcardTakesRequestsOfItsOwnFamilyOnly) {
  // An IPv4 wildcard does not take IPv6 requests.
  const std::vector<ListenerQueue> got = Build({
      Listen("0.0.0.0", 80, 0, 10),
      Request("2001:db8::1", 80, "2001:db8::2"),
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].syn_recv, 0u);
}

TEST(ListenerQueueTest, Ipv6WildcardIsDualStack) {
  // [::]:80 without IPV6_V6ONLY takes IPv4 connections too: their request sockets are
  // reported as IPv4 (or v4-mapped IPv6).
  const std::vector<ListenerQueue> got = Build({
      Listen("::", 80, 0, 10),
      Request("10.0.0.1", 80, "192.0.2.1", 50001),
      Request("::ffff:10.0.0.1", 80, "::ffff:192.0.2.1", 50002),
      Request("2001:db8::1", 80, "2001:db8::2", 50003),
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].syn_recv, 3u);
}

TEST(ListenerQueueTest, IpV4RequestPrefersTheIpv4WildcardOverTheIpv6One) {
  // With both 0.0.0.0:80 and [::]:80 listening (the IPv6 one V6ONLY, or both SO_REUSEPORT),
  // IPv4 SYNs go to the IPv4 listener: the kernel's IPv4 listener lookup scores a PF_INET
  // socket above a dual-stack one (compute_score). This must not depend on the dump order.
  for (bool v6_first : {true, false}) {
    std::vector<SocketRecord> records;
    if (v6_first) records.push_back(Listen("::", 80, 0, 10));
    records.push_back(Listen("0.0.0.0", 80, 0, 10));
    if (!v6_first) records.push_back(Listen("::", 80, 0, 10));
    records.push_back(Request("10.0.0.1", 80, "192.0.2.1", 50001));
    records.push_back(Request("10.0.0.1", 80, "192.0.2.1", 50002));
    records.push_back(Request("2001:db8::1", 80, "2001:db8::2", 50003));
    const std::vector<ListenerQueue> got = Build(records);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(Find(got, "0.0.0.0:80")->syn_recv, 2u) << "v6 listener dumped first: " << v6_first;
    EXPECT_EQ(Find(got, "[::]:80")->syn_recv, 1u) << "v6 listener dumped first: " << v6_first;
  }
}

TEST(ListenerQueueTest, RequestsWithoutAListenerAreIgnored) {
  const std::vector<ListenerQueue> got = Build({
      Listen("10.0.0.1", 80, 0, 10),
      Request("10.0.0.2", 80, "192.0.2.1"),    // other address, and no wildcard
      Request("10.0.0.1", 8080, "192.0.2.1"),  // other port
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].syn_recv, 0u);
  EXPECT_TRUE(Build({Request("10.0.0.1", 80, "192.0.2.1")}).empty());
}

TEST(ListenerQueueTest, RequestsBeforeTheirListenerInTheDumpStillCount) {
  // Both families are dumped separately, and the order inside a dump is the hash order.
  const std::vector<ListenerQueue> got = Build({
      Request("10.0.0.1", 80, "192.0.2.1", 1),
      Request("10.0.0.1", 80, "192.0.2.1", 2),
      Listen("0.0.0.0", 80, 0, 10),
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].syn_recv, 2u);
}

TEST(ListenerQueueTest, ResetAndTakeStartOver) {
  ListenerQueueBuilder builder;
  builder.Add(Listen("0.0.0.0", 80, 1, 10));
  builder.Add(Request("10.0.0.1", 80, "192.0.2.1"));
  builder.Reset();
  EXPECT_TRUE(builder.Take().empty());
  builder.Add(Listen("0.0.0.0", 80, 0, 10));
  builder.Add(Request("10.0.0.1", 80, "192.0.2.1"));
  ASSERT_EQ(builder.Take().size(), 1u);
  // A second Take() on an emptied builder sees no stale requests or listeners.
  builder.Add(Listen("0.0.0.0", 80, 0, 10));
  const std::vector<ListenerQueue> again = builder.Take();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].syn_recv, 0u);
}

// --- several samples -----------------------------------------------------------------------

TEST(ListenerQueueTest, MergeTracksPeakFullSamplesAndLatestFigures) {
  std::vector<ListenerQueue> merged = Build({Listen("0.0.0.0", 80, 2, 4, 7)});
  // 5 > 4: full in the second sample; then it drains.
  MergeListenerSample(
      merged, Build({Listen("0.0.0.0", 80, 5, 4, 7), Request("10.0.0.1", 80, "192.0.2.1", 1)}));
  MergeListenerSample(
      merged, Build({Listen("0.0.0.0", 80, 1, 4, 7), Request("10.0.0.1", 80, "192.0.2.1", 1),
                     Request("10.0.0.1", 80, "192.0.2.1", 2)}));
  ASSERT_EQ(merged.size(), 1u);
  const ListenerQueue& l = merged[0];
  EXPECT_EQ(l.samples, 3u);
  EXPECT_EQ(l.samples_full, 1u);
  EXPECT_EQ(l.peak_accept_queue, 5u);
  EXPECT_EQ(l.accept_queue, 1u);  // the latest
  EXPECT_EQ(l.syn_recv, 2u);      // the latest, not a sum
  EXPECT_FALSE(l.FullNow());
}

TEST(ListenerQueueTest, MergeCountsEveryFullSample) {
  std::vector<ListenerQueue> merged = Build({Listen("0.0.0.0", 80, 11, 10, 7)});
  MergeListenerSample(merged, Build({Listen("0.0.0.0", 80, 10, 10, 7)}));  // not full: == backlog
  MergeListenerSample(merged, Build({Listen("0.0.0.0", 80, 11, 10, 7)}));
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].samples, 3u);
  EXPECT_EQ(merged[0].samples_full, 2u);
  EXPECT_EQ(merged[0].peak_accept_queue, 11u);
}

TEST(ListenerQueueTest, MergeKeepsListenersApartByInode) {
  // A restarted server: same address and port, a new socket (inode).
  std::vector<ListenerQueue> merged = Build({Listen("0.0.0.0", 80, 3, 10, 100)});
  MergeListenerSample(merged, Build({Listen("0.0.0.0", 80, 1, 10, 200)}));
  ASSERT_EQ(merged.size(), 2u);
  for (const ListenerQueue& l : merged) {
    EXPECT_EQ(l.samples, 1u) << l.inode;
    EXPECT_EQ(l.peak_accept_queue, l.inode == 100 ? 3u : 1u);
  }
}

TEST(ListenerQueueTest, MergeAddsAListenerThatAppearsLater) {
  std::vector<ListenerQueue> merged = Build({Listen("0.0.0.0", 80, 0, 10, 1)});
  MergeListenerSample(merged, Build({Listen("0.0.0.0", 80, 0, 10, 1)}));
  MergeListenerSample(merged, Build({Listen("0.0.0.0", 80, 0, 10, 1), Listen("::", 9000, 7, 5, 2),
                                     Request("10.0.0.1", 9000, "192.0.2.1")}));
  ASSERT_EQ(merged.size(), 2u);
  const ListenerQueue* late = Find(merged, "[::]:9000");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->samples, 1u);  // seen in one sample only
  EXPECT_EQ(late->samples_full, 1u);
  EXPECT_EQ(late->peak_accept_queue, 7u);
  EXPECT_EQ(late->syn_recv, 1u);
  EXPECT_EQ(Find(merged, "0.0.0.0:80")->samples, 3u);
}

TEST(ListenerQueueTest, MergedListenersStaySortedByPort) {
  // The view prints the merged list as is: a listener that appears during -i must not end up
  // after the others regardless of its port.
  std::vector<ListenerQueue> merged = Build({Listen("0.0.0.0", 8080, 0, 10, 1)});
  MergeListenerSample(merged,
                      Build({Listen("0.0.0.0", 8080, 0, 10, 1), Listen("0.0.0.0", 22, 0, 10, 2)}));
  EXPECT_EQ(Names(merged), (std::vector<std::string>{"0.0.0.0:22", "0.0.0.0:8080"}));
}

}  // namespace
}  // namespace tcpdoctor
