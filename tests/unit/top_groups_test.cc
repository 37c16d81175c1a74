// TopGroups: keys as printed for every --by, counts and per-state splits, "other", ties,
// scale, and agreement with ss on the recorded fixtures.
#include "analyze/top_groups.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "collect/replay_source.h"
#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::Record;

using test_util::At;
using test_util::Keys;

TEST(GroupByTest, NamesRoundTrip) {
  const std::pair<const char*, GroupBy> names[] = {
      {"lport", GroupBy::kLocalPort},     {"laddr", GroupBy::kLocalAddress},
      {"raddr", GroupBy::kRemoteAddress}, {"rport", GroupBy::kRemotePort},
      {"peer", GroupBy::kPeer},           {"dst", GroupBy::kDestination},
      {"state", GroupBy::kState},         {"process", GroupBy::kProcess},
      {"netns", GroupBy::kNetns}};
  for (const auto& [name, by] : names) {
    EXPECT_EQ(ParseGroupBy(name), by) << name;
    EXPECT_EQ(GroupByName(by), name);
  }
  EXPECT_FALSE(ParseGroupBy("LPORT").has_value());
  EXPECT_FALSE(ParseGroupBy("").has_value());
  EXPECT_FALSE(ParseGroupBy("pid").has_value());
}

struct KeyCase {
  GroupBy by;
  std::vector<std::string> keys;  // IPv4 socket's key, then IPv6 socket's
};

TEST(TopGroupsTest, KeyTextForEveryGroupBy) {
  const SocketRecord v4 = Record(TcpState::kEstablished, "10.0.0.1", 8080, "10.0.0.2", 50000);
  const SocketRecord v6 = Record(TcpState::kEstablished, "2001:db8::1", 443, "2001:db8::2", 40000);
  const KeyCase cases[] = {
      // Equal counts: ports sort by number; addresses put IPv4 before IPv6.
      {GroupBy::kLocalPort, {"443", "8080"}},
      {GroupBy::kRemotePort, {"40000", "50000"}},
      {GroupBy::kLocalAddress, {"10.0.0.1:8080", "[2001:db8::1]:443"}},
      {GroupBy::kRemoteAddress, {"10.0.0.2", "2001:db8::2"}},
      {GroupBy::kPeer, {"10.0.0.2:50000", "[2001:db8::2]:40000"}},
      {GroupBy::kDestination, {"10.0.0.1 -> 10.0.0.2:50000", "2001:db8::1 -> [2001:db8::2]:40000"}},
  };
  for (const KeyCase& c : cases) {
    TopGroups top(c.by);
    top.Add(v4);
    top.Add(v6);
    const TopGroupsResult r = top.Take(10);
    EXPECT_EQ(r.by, c.by);
    EXPECT_EQ(Keys(r), c.keys) << GroupByName(c.by);
    EXPECT_EQ(r.total, 2u);
    for (const Group& g : r.groups) EXPECT_EQ(g.count, 1u);
  }
  TopGroups by_state(GroupBy::kState);
  by_state.Add(v4);
  by_state.Add(v6);
  const TopGroupsResult r = by_state.Take(10);
  ASSERT_EQ(Keys(r), std::vector<std::string>{"ESTABLISHED"});
  EXPECT_EQ(r.groups[0].count, 2u);
}

TEST(TopGroupsTest, V4MappedSocketsAreIpv6Keys) {
  TopGroups top(GroupBy::kLocalAddress);
  top.Add(Record(TcpState::kEstablished, "::ffff:127.0.0.1", 8081, "::ffff:127.0.0.1", 40061));
  top.Add(Record(TcpState::kEstablished, "127.0.0.1", 8081, "127.0.0.1", 40062));
  const TopGroupsResult r = top.Take(10);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"127.0.0.1:8081", "[::ffff:127.0.0.1]:8081"}));
}

TEST(TopGroupsTest, DestinationSeparatesLocalAddressesAndPorts) {
  TopGroups top(GroupBy::kDestination);
  // Two local addresses to the same peer:port are two budgets; the remote's port matters,
  // the local port does not.
  top.Add(Record(TcpState::kEstablished, "10.0.0.1", 40001, "10.9.9.9", 443));
  top.Add(Record(TcpState::kTimeWait, "10.0.0.1", 40002, "10.9.9.9", 443));
  top.Add(Record(TcpState::kEstablished, "10.0.0.3", 40001, "10.9.9.9", 443));
  top.Add(Record(TcpState::kEstablished, "10.0.0.1", 40003, "10.9.9.9", 80));
  const TopGroupsResult r = top.Take(10);
  EXPECT_EQ(Keys(r),
            (std::vector<std::string>{"10.0.0.1 -> 10.9.9.9:443", "10.0.0.1 -> 10.9.9.9:80",
                                      "10.0.0.3 -> 10.9.9.9:443"}));
  EXPECT_EQ(r.groups[0].count, 2u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kTimeWait), 1u);
}

TEST(TopGroupsTest, GroupsCarryTheFieldsOfTheirKey) {
  TopGroups top(GroupBy::kDestination);
  top.Add(Record(TcpState::kEstablished, "10.0.0.1", 40001, "10.9.9.9", 443));
  top.Add(Record(TcpState::kEstablished, "2001:db8::1", 40001, "2001:db8::9", 443));
  top.Add(Record(TcpState::kEstablished, "2001:db8::1", 40002, "2001:db8::9", 443));
  const TopGroupsResult r = top.Take(10);
  ASSERT_EQ(r.groups.size(), 2u);
  const GroupFields& v6 = r.groups[0].fields;
  EXPECT_EQ(v6.local.ToString(), "2001:db8::1");
  EXPECT_EQ(v6.remote.ToString(), "2001:db8::9");
  EXPECT_EQ(v6.remote_port, 443);
  const GroupFields& v4 = r.groups[1].fields;
  EXPECT_EQ(v4.local.ToString(), "10.0.0.1");
  EXPECT_EQ(v4.remote.ToString(), "10.9.9.9");
  EXPECT_EQ(v4.remote_port, 443);
  EXPECT_EQ(GroupKeyText(GroupBy::kDestination, v4), r.groups[1].key);

  TopGroups by_laddr(GroupBy::kLocalAddress);
  by_laddr.Add(Record(TcpState::kListen, "::", 8081, "::", 0));
  const TopGroupsResult l = by_laddr.Take(1);
  ASSERT_EQ(l.groups.size(), 1u);
  EXPECT_EQ(l.groups[0].fields.local.ToString(), "::");
  EXPECT_EQ(l.groups[0].fields.local_port, 8081);
  EXPECT_EQ(l.groups[0].key, "[::]:8081");
}

TEST(TopGroupsTest, GroupKeyTextFromFields) {
  GroupFields f;
  f.local = *IpAddress::Parse("fe80::1");
  f.remote = *IpAddress::Parse("192.0.2.7");
  f.local_port = 22;
  f.remote_port = 51000;
  f.state = TcpState::kLastAck;
  EXPECT_EQ(GroupKeyText(GroupBy::kLocalPort, f), "22");
  EXPECT_EQ(GroupKeyText(GroupBy::kRemotePort, f), "51000");
  EXPECT_EQ(GroupKeyText(GroupBy::kLocalAddress, f), "[fe80::1]:22");
  EXPECT_EQ(GroupKeyText(GroupBy::kRemoteAddress, f), "192.0.2.7");
  EXPECT_EQ(GroupKeyText(GroupBy::kPeer, f), "192.0.2.7:51000");
  EXPECT_EQ(GroupKeyText(GroupBy::kDestination, f), "fe80::1 -> 192.0.2.7:51000");
  EXPECT_EQ(GroupKeyText(GroupBy::kState, f), "LAST_ACK");
}

class PopulationTest : public ::testing::Test {
 protected:
  // lport 80: 5 ESTABLISHED + 1 LISTEN + 2 TIME_WAIT; 443 (IPv6): 4 ESTABLISHED + 1 LISTEN;
  // 22: 1 LISTEN + 1 ESTABLISHED; 8080: 2 CLOSE_WAIT; 9000: 1 SYN_RECV. 18 sockets.
  void SetUp() override {
    for (int i = 0; i < 5; ++i)
      Add(Record(TcpState::kEstablished, "10.0.0.1", 80, "10.0.1.1", 50000 + i));
    Add(Record(TcpState::kListen, "0.0.0.0", 80, "0.0.0.0", 0));
    for (int i = 0; i < 2; ++i)
      Add(Record(TcpState::kTimeWait, "10.0.0.1", 80, "10.0.1.2", 51000 + i));
    for (int i = 0; i < 4; ++i)
      Add(Record(TcpState::kEstablished, "fd00::1", 443, "fd00::9", 52000 + i));
    Add(Record(TcpState::kListen, "::", 443, "::", 0));
    Add(Record(TcpState::kListen, "0.0.0.0", 22, "0.0.0.0", 0));
    Add(Record(TcpState::kEstablished, "10.0.0.1", 22, "10.0.1.1", 53000));
    for (int i = 0; i < 2; ++i)
      Add(Record(TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.1", 54000 + i));
    Add(Record(TcpState::kSynRecv, "10.0.0.1", 9000, "10.0.1.3", 55000));
  }
  void Add(const SocketRecord& r) { records_.push_back(r); }
  TopGroupsResult Top(GroupBy by, size_t n) const {
    TopGroups top(by);
    for (const SocketRecord& r : records_) top.Add(r);
    return top.Take(n);
  }
  std::vector<SocketRecord> records_;
};

TEST_F(PopulationTest, LargestFirstWithPerStateSplitAndOther) {
  const TopGroupsResult r = Top(GroupBy::kLocalPort, 2);
  EXPECT_EQ(r.total, 18u);
  ASSERT_EQ(Keys(r), (std::vector<std::string>{"80", "443"}));
  EXPECT_EQ(r.groups[0].count, 8u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kEstablished), 5u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kListen), 1u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kTimeWait), 2u);
  EXPECT_EQ(r.groups[1].count, 5u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kEstablished), 4u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kListen), 1u);
  // other: 22 (2), 8080 (2), 9000 (1).
  EXPECT_EQ(r.other.key, "other");
  EXPECT_EQ(r.other_groups, 3u);
  EXPECT_EQ(r.other.count, 5u);
  EXPECT_EQ(At(r.other.states, TcpState::kListen), 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kEstablished), 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kCloseWait), 2u);
  EXPECT_EQ(At(r.other.states, TcpState::kSynRecv), 1u);
  uint64_t other_split = 0;
  for (uint64_t n : r.other.states) other_split += n;
  EXPECT_EQ(other_split, r.other.count);
}

TEST_F(PopulationTest, TiesAreOrderedByKey) {
  const TopGroupsResult r = Top(GroupBy::kLocalPort, 4);
  // 22 and 8080 both have 2: the smaller port first.
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"80", "443", "22", "8080"}));
  EXPECT_EQ(r.other_groups, 1u);
  EXPECT_EQ(r.other.count, 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kSynRecv), 1u);
}

TEST_F(PopulationTest, MoreRequestedThanThereAreGroups) {
  const TopGroupsResult r = Top(GroupBy::kLocalPort, 1000);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"80", "443", "22", "8080", "9000"}));
  EXPECT_EQ(r.other_groups, 0u);
  EXPECT_EQ(r.other.count, 0u);
  for (uint64_t n : r.other.states) EXPECT_EQ(n, 0u);
  uint64_t sum = 0;
  for (const Group& g : r.groups) sum += g.count;
  EXPECT_EQ(sum, 18u);
}

TEST_F(PopulationTest, ByState) {
  const TopGroupsResult r = Top(GroupBy::kState, 3);
  // TIME_WAIT and CLOSE_WAIT both have 2: the tie goes to the earlier state (RFC order).
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"ESTABLISHED", "LISTEN", "TIME_WAIT"}));
  EXPECT_EQ(r.groups[0].count, 10u);
  EXPECT_EQ(r.groups[1].count, 3u);
  EXPECT_EQ(r.groups[2].count, 2u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kEstablished), 10u);
  EXPECT_EQ(r.other_groups, 2u);  // CLOSE_WAIT 2, SYN_RECV 1
  EXPECT_EQ(r.other.count, 3u);
  EXPECT_EQ(At(r.other.states, TcpState::kCloseWait), 2u);
}

TEST_F(PopulationTest, ByRemoteAddressAndPeer) {
  const TopGroupsResult raddr = Top(GroupBy::kRemoteAddress, 10);
  // fd00::9: 4; 10.0.1.1: 6 (5 on :80, 1 on :22); 0.0.0.0: 2 listeners; :: 1; 127.0.0.1: 2;
  // 10.0.1.2: 2; 10.0.1.3: 1.
  EXPECT_EQ(Keys(raddr), (std::vector<std::string>{"10.0.1.1", "fd00::9", "0.0.0.0", "10.0.1.2",
                                                   "127.0.0.1", "10.0.1.3", "::"}));
  EXPECT_EQ(raddr.groups[0].count, 6u);
  EXPECT_EQ(raddr.groups[1].count, 4u);
  const TopGroupsResult peer = Top(GroupBy::kPeer, 1);
  // Every connected peer:port is distinct; only the listeners share one (0.0.0.0:0, 2).
  EXPECT_EQ(Keys(peer), std::vector<std::string>{"0.0.0.0:0"});
  EXPECT_EQ(peer.groups[0].count, 2u);
  EXPECT_EQ(peer.other.count, 16u);
}

TEST_F(PopulationTest, ResetStartsOver) {
  TopGroups top(GroupBy::kLocalPort);
  for (const SocketRecord& r : records_) top.Add(r);
  top.Reset();
  EXPECT_EQ(top.Take(5).total, 0u);
  EXPECT_TRUE(top.Take(5).groups.empty());
  top.Add(records_.back());
  const TopGroupsResult r = top.Take(5);
  EXPECT_EQ(r.total, 1u);
  EXPECT_EQ(Keys(r), std::vector<std::string>{"9000"});
}

TEST(TopGroupsTest, TiesAmongIpv6KeysFollowTheAddressBytes) {
  TopGroups top(GroupBy::kRemoteAddress);
  for (const char* a : {"fe80::2", "2001:db8::1", "fe80::1", "::1", "2001:db8::1"}) {
    top.Add(Record(TcpState::kEstablished, "::1", 1, a, 2));
  }
  top.Add(Record(TcpState::kEstablished, "10.0.0.1", 1, "10.0.0.2", 2));
  const TopGroupsResult r = top.Take(10);
  EXPECT_EQ(Keys(r),
            (std::vector<std::string>{"2001:db8::1", "10.0.0.2", "::1", "fe80::1", "fe80::2"}));
}

TEST(TopGroupsTest, TwoHundredThousandDistinctPeers) {
  // Peer i is 10.(i>>16).(i>>8).(i&255):443 with (i % 3) + 1 sockets; i % 3 == 2 groups mix
  // ESTABLISHED and TIME_WAIT. Plus 100,000 IPv6 peers with one socket each.
  TopGroups top(GroupBy::kPeer);
  constexpr uint32_t kPeers = 200000;
  uint64_t expected_total = 0;
  SocketRecord r;
  r.local = *IpAddress::Parse("10.255.0.1");
  r.local_port = 8080;
  r.remote_port = 443;
  for (uint32_t i = 0; i < kPeers; ++i) {
    const uint8_t b[4] = {10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                          static_cast<uint8_t>(i)};
    r.remote = IpAddress::V4(b);
    for (uint32_t k = 0; k <= i % 3; ++k) {
      r.state = (i % 3 == 2 && k == 0) ? TcpState::kTimeWait : TcpState::kEstablished;
      top.Add(r);
      ++expected_total;
    }
  }
  SocketRecord r6;
  r6.local = *IpAddress::Parse("fd00::1");
  r6.state = TcpState::kEstablished;
  r6.remote_port = 443;
  for (uint32_t i = 0; i < 100000; ++i) {
    uint8_t b[16] = {0xfd,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     static_cast<uint8_t>(i >> 16),
                     static_cast<uint8_t>(i >> 8),
                     static_cast<uint8_t>(i)};
    r6.remote = IpAddress::V6(b);
    top.Add(r6);
  }
  // 66,667 peers with 1, 66,667 with 2, 66,666 with 3; plus 100,000.
  EXPECT_EQ(expected_total, 399999u);
  const TopGroupsResult result = top.Take(3);
  EXPECT_EQ(result.total, 499999u);
  // The largest groups have 3; among the 66,666 of them the smallest addresses come first.
  EXPECT_EQ(Keys(result),
            (std::vector<std::string>{"10.0.0.2:443", "10.0.0.5:443", "10.0.0.8:443"}));
  for (const Group& g : result.groups) {
    EXPECT_EQ(g.count, 3u);
    EXPECT_EQ(At(g.states, TcpState::kTimeWait), 1u);
    EXPECT_EQ(At(g.states, TcpState::kEstablished), 2u);
  }
  EXPECT_EQ(result.other_groups, 300000u - 3);
  EXPECT_EQ(result.other.count, 499999u - 9);
  EXPECT_EQ(At(result.other.states, TcpState::kTimeWait), 66666u - 3);
  EXPECT_EQ(At(result.other.states, TcpState::kEstablished), 499999u - 9 - (66666u - 3));
}

// The top groups of the recorded population, against counts taken from ss's own output.
TEST(TopGroupsTest, AgreesWithSsOnTheRecordedFixtures) {
  for (const char* name : {"small", "many"}) {
    ReplaySource source(test_util::FixturePath(std::string("netlink/") + name + ".bin"));
    TopGroups by_lport(GroupBy::kLocalPort);
    TopGroups by_rport(GroupBy::kRemotePort);
    for (Family f : {Family::kIpv4, Family::kIpv6}) {
      DumpQuery q;
      q.family = f;
      ASSERT_TRUE(source.Dump(q, [&](const SocketRecord& r) {
        by_lport.Add(r);
        by_rport.Add(r);
      }));
    }
    std::map<std::string, uint64_t> ss_lport, ss_rport;
    const auto rows =
        test_util::ReadSsRows(test_util::FixturePath(std::string("netlink/") + name + ".ss.txt"));
    for (const auto& row : rows) {
      ++ss_lport[std::to_string(row.local_port)];
      ++ss_rport[std::to_string(row.remote_port)];
    }
    for (auto [top, expected] :
         {std::pair{&by_lport, &ss_lport}, std::pair{&by_rport, &ss_rport}}) {
      const TopGroupsResult r = top->Take(1000000);
      EXPECT_EQ(r.total, rows.size()) << name;
      std::map<std::string, uint64_t> got;
      for (const Group& g : r.groups) got[g.key] = g.count;
      EXPECT_EQ(got, *expected) << name;
      for (size_t i = 1; i < r.groups.size(); ++i) {
        EXPECT_GE(r.groups[i - 1].count, r.groups[i].count) << name;
      }
    }
  }
}

TEST(TopGroupsTest, ManyFixtureByRemoteAddress) {
  ReplaySource source(test_util::FixturePath("netlink/many.bin"));
  TopGroups top(GroupBy::kRemoteAddress);
  DumpQuery q;
  ASSERT_TRUE(source.Dump(q, [&](const SocketRecord& r) { top.Add(r); }));
  const TopGroupsResult r = top.Take(3);
  // 250 clients talk to 10.0.0.1; each of 10.0.0.2-6 has 50 server-side sockets.
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(r.groups[0].count, 250u);
  EXPECT_EQ(r.groups[1].count, 50u);
  EXPECT_EQ(r.other_groups, 4u);  // 10.0.0.4-6 and the listener's 0.0.0.0
  EXPECT_EQ(r.other.count, 151u);
  EXPECT_EQ(At(r.other.states, TcpState::kListen), 1u);
}

}  // namespace
}  // namespace tcpdoctor
