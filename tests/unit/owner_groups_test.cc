// `top --by process` and `--by netns`: TopGroups fed with owner keys, NameOwnerGroups, and
// TopGroups::Merge (per-namespace tables summed for --all-netns) against a single table.
#include "analyze/owner_groups.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyze/group_table.h"
#include "analyze/socket_owner.h"
#include "analyze/top_groups.h"
#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::Record;

using test_util::At;
using test_util::Keys;

ProcessInfo Process(int32_t pid, std::string comm, std::string user = "", std::string unit = "") {
  ProcessInfo p;
  p.pid = pid;
  p.comm = std::move(comm);
  p.user = std::move(user);
  p.unit = std::move(unit);
  p.details_read = !p.user.empty();
  return p;
}

SocketRecord Socket(TcpState state, uint64_t inode, uint16_t rport = 50000) {
  SocketRecord r = Record(state, "10.0.0.1", 8080, "10.0.0.2", rport);
  r.inode = inode;
  return r;
}

// nginx 100 and its worker 101 share listener 1; the worker holds connections 2-4; java 200
// holds CLOSE_WAIT 5 and 6; idle 300 holds nothing. Plus 5 TIME_WAIT, 1 SYN_RECV, 2 FIN_WAIT2,
// 1 unaccepted ESTABLISHED (inode 0) and 1 ESTABLISHED nobody visible holds (inode 999).
struct World {
  World() {
    // Added out of pid order on purpose.
    java = owners.AddProcess(Process(200, "java", "tomcat", "docker:0123456789ab"));
    worker = owners.AddProcess(Process(101, "nginx", "www-data", "nginx.service"));
    idle = owners.AddProcess(Process(300, "idle"));
    master = owners.AddProcess(Process(100, "nginx", "root", "nginx.service"));
    owners.AddHolder(1, worker);
    owners.AddHolder(1, master);
    for (uint64_t inode : {2, 3, 4}) owners.AddHolder(inode, worker);
    owners.AddHolder(5, java);
    owners.AddHolder(6, java);
    owners.Finish();

    records.push_back(Socket(TcpState::kListen, 1));
    for (uint64_t inode : {2, 3, 4}) records.push_back(Socket(TcpState::kEstablished, inode));
    records.push_back(Socket(TcpState::kCloseWait, 5));
    records.push_back(Socket(TcpState::kCloseWait, 6));
    for (int i = 0; i < 5; ++i) records.push_back(Socket(TcpState::kTimeWait, 0));
    records.push_back(Socket(TcpState::kSynRecv, 0));
    records.push_back(Socket(TcpState::kFinWait2, 0));
    records.push_back(Socket(TcpState::kFinWait2, 0));
    records.push_back(Socket(TcpState::kEstablished, 0));
    records.push_back(Socket(TcpState::kEstablished, 999));
  }
  TopGroupsResult Top(size_t n) const {
    TopGroups top(GroupBy::kProcess);
    for (const SocketRecord& r : records) top.Add(r, OwnerOf(r, owners).Key());
    TopGroupsResult result = top.Take(n);
    NameOwnerGroups(result, owners);
    return result;
  }
  SocketOwners owners;
  uint32_t java = 0, worker = 0, idle = 0, master = 0;
  std::vector<SocketRecord> records;
};

TEST(OwnerGroupsTest, ByProcessKeysAndOrder) {
  const World w;
  const TopGroupsResult r = w.Top(10);
  EXPECT_EQ(r.by, GroupBy::kProcess);
  EXPECT_EQ(r.total, 16u);
  // Largest first; equal counts by owner key: pids, then the no-owner reasons in enum order.
  EXPECT_EQ(Keys(r), (std::vector<std::string>{
                         "no owner: TIME_WAIT, no file",
                         "nginx[101]",
                         "java[200]",
                         "no owner: orphan, closed by its process",
                         "nginx[100]",
                         "no owner: SYN_RECV request, no file yet",
                         "no owner: in an accept queue, not yet accept()ed",
                         "no owner: held by a process that could not be read, or closed since",
                     }));
  const std::vector<uint64_t> counts = {5, 3, 2, 2, 1, 1, 1, 1};
  ASSERT_EQ(r.groups.size(), counts.size());
  for (size_t i = 0; i < counts.size(); ++i) EXPECT_EQ(r.groups[i].count, counts[i]) << i;
  EXPECT_EQ(r.other_groups, 0u);
  EXPECT_EQ(r.other.count, 0u);
  // The shared listener counts once, for the lowest pid.
  EXPECT_EQ(At(r.groups[4].states, TcpState::kListen), 1u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kListen), 0u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kEstablished), 3u);
  EXPECT_EQ(At(r.groups[2].states, TcpState::kCloseWait), 2u);
  EXPECT_EQ(At(r.groups[3].states, TcpState::kFinWait2), 2u);
}

TEST(OwnerGroupsTest, ByProcessOwnerFields) {
  const World w;
  const TopGroupsResult r = w.Top(10);
  ASSERT_EQ(r.groups.size(), 8u);
  for (const Group& g : r.groups) ASSERT_TRUE(g.owner.has_value()) << g.key;

  const GroupOwner& tw = *r.groups[0].owner;
  EXPECT_EQ(tw.pid, 0);
  EXPECT_EQ(tw.comm, "");
  EXPECT_EQ(tw.user, "");
  EXPECT_EQ(tw.unit, "");
  EXPECT_EQ(tw.no_owner, "time_wait");
  EXPECT_EQ(r.groups[0].fields.context, (uint64_t{1} << 32) | 1);

  const GroupOwner& worker = *r.groups[1].owner;
  EXPECT_EQ(worker.pid, 101);
  EXPECT_EQ(worker.comm, "nginx");
  EXPECT_EQ(worker.user, "www-data");
  EXPECT_EQ(worker.unit, "nginx.service");
  EXPECT_EQ(worker.no_owner, "");
  EXPECT_EQ(r.groups[1].fields.context, 101u);

  const GroupOwner& java = *r.groups[2].owner;
  EXPECT_EQ(java.pid, 200);
  EXPECT_EQ(java.comm, "java");
  EXPECT_EQ(java.user, "tomcat");
  EXPECT_EQ(java.unit, "docker:0123456789ab");

  const GroupOwner& master = *r.groups[4].owner;
  EXPECT_EQ(master.pid, 100);
  EXPECT_EQ(master.user, "root");

  EXPECT_EQ(r.groups[3].owner->no_owner, "orphan");
  EXPECT_EQ(r.groups[5].owner->no_owner, "request");
  EXPECT_EQ(r.groups[6].owner->no_owner, "not_accepted");
  EXPECT_EQ(r.groups[7].owner->no_owner, "hidden");
  for (size_t i : {3, 5, 6, 7}) {
    EXPECT_EQ(r.groups[i].owner->pid, 0) << i;
    EXPECT_EQ(r.groups[i].owner->comm, "") << i;
  }
}

TEST(OwnerGroupsTest, ByProcessWithOther) {
  const World w;
  const TopGroupsResult r = w.Top(3);
  EXPECT_EQ(Keys(r),
            (std::vector<std::string>{"no owner: TIME_WAIT, no file", "nginx[101]", "java[200]"}));
  EXPECT_EQ(r.other.key, "other");
  EXPECT_FALSE(r.other.owner.has_value());
  EXPECT_EQ(r.other_groups, 5u);
  EXPECT_EQ(r.other.count, 6u);
  EXPECT_EQ(At(r.other.states, TcpState::kFinWait2), 2u);
  EXPECT_EQ(At(r.other.states, TcpState::kListen), 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kSynRecv), 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kEstablished), 2u);
}

TEST(OwnerGroupsTest, ProcessWithoutDetailsHasEmptyUserAndUnit) {
  SocketOwners owners;
  const uint32_t p = owners.AddProcess(Process(42, "redis"));
  owners.AddHolder(7, p);
  owners.Finish();
  TopGroups top(GroupBy::kProcess);
  const SocketRecord r = Socket(TcpState::kEstablished, 7);
  top.Add(r, OwnerOf(r, owners).Key());
  TopGroupsResult result = top.Take(5);
  EXPECT_EQ(Keys(result), std::vector<std::string>{"42"});  // raw until named
  NameOwnerGroups(result, owners);
  ASSERT_EQ(Keys(result), std::vector<std::string>{"redis[42]"});
  ASSERT_TRUE(result.groups[0].owner.has_value());
  EXPECT_EQ(result.groups[0].owner->pid, 42);
  EXPECT_EQ(result.groups[0].owner->user, "");
  EXPECT_EQ(result.groups[0].owner->unit, "");
  EXPECT_EQ(result.groups[0].owner->no_owner, "");
}

// Two results are the same: keys, counts, per-state splits, decoded fields, "other".
void ExpectSameResult(const TopGroupsResult& got, const TopGroupsResult& want) {
  EXPECT_EQ(got.by, want.by);
  EXPECT_EQ(got.total, want.total);
  EXPECT_EQ(Keys(got), Keys(want));
  ASSERT_EQ(got.groups.size(), want.groups.size());
  for (size_t i = 0; i < got.groups.size(); ++i) {
    const Group& a = got.groups[i];
    const Group& b = want.groups[i];
    EXPECT_EQ(a.count, b.count) << b.key;
    EXPECT_EQ(a.states, b.states) << b.key;
    EXPECT_EQ(a.fields.local.ToString(), b.fields.local.ToString()) << b.key;
    EXPECT_EQ(a.fields.remote.ToString(), b.fields.remote.ToString()) << b.key;
    EXPECT_EQ(a.fields.local_port, b.fields.local_port) << b.key;
    EXPECT_EQ(a.fields.remote_port, b.fields.remote_port) << b.key;
    EXPECT_EQ(a.fields.state, b.fields.state) << b.key;
    EXPECT_EQ(a.fields.context, b.fields.context) << b.key;
  }
  EXPECT_EQ(got.other.key, want.other.key);
  EXPECT_EQ(got.other.count, want.other.count);
  EXPECT_EQ(got.other.states, want.other.states);
  EXPECT_EQ(got.other_groups, want.other_groups);
}

TEST(OwnerGroupsTest, MergedProcessTablesEqualOneTable) {
  const World w;
  // Namespace A: the first 8 sockets (listener, nginx's and java's connections, 2 TIME_WAIT),
  // B: the rest. java's group then mixes CLOSE_WAIT (A) and ESTABLISHED (B), the orphans
  // FIN_WAIT1 (A) and FIN_WAIT2 (B); TIME_WAIT is split over both; the worker's group mixes
  // ESTABLISHED and CLOSE_WAIT within A.
  std::vector<SocketRecord> a(w.records.begin(), w.records.begin() + 8);
  std::vector<SocketRecord> b(w.records.begin() + 8, w.records.end());
  b.push_back(Socket(TcpState::kEstablished, 5));
  a.push_back(Socket(TcpState::kFinWait1, 0));
  a.push_back(Socket(TcpState::kCloseWait, 2));
  const auto key = [&w](const SocketRecord& r) { return OwnerOf(r, w.owners).Key(); };

  TopGroups one(GroupBy::kProcess);
  for (const SocketRecord& r : a) one.Add(r, key(r));
  for (const SocketRecord& r : b) one.Add(r, key(r));

  TopGroups merged(GroupBy::kProcess);  // as `top --all-netns`: one table per namespace
  for (const std::vector<SocketRecord>* part : {&a, &b}) {
    TopGroups here(GroupBy::kProcess);
    for (const SocketRecord& r : *part) here.Add(r, key(r));
    merged.Merge(here);
  }

  for (size_t n : {100, 3, 1}) {
    TopGroupsResult got = merged.Take(n);
    TopGroupsResult want = one.Take(n);
    NameOwnerGroups(got, w.owners);
    NameOwnerGroups(want, w.owners);
    ExpectSameResult(got, want);
  }
  const TopGroupsResult r = merged.Take(100);
  EXPECT_EQ(r.total, 19u);
  ASSERT_GE(r.groups.size(), 4u);
  // TIME_WAIT 5, the worker 4 (3 ESTABLISHED + 1 CLOSE_WAIT), then java 3 (2 CLOSE_WAIT + 1
  // ESTABLISHED) and the orphans 3 (FIN_WAIT1 + 2 FIN_WAIT2).
  EXPECT_EQ(r.groups[0].count, 5u);
  EXPECT_EQ(Keys(r)[1], "101");
  EXPECT_EQ(r.groups[1].count, 4u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kEstablished), 3u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kCloseWait), 1u);
  EXPECT_EQ(Keys(r)[2], "200");
  EXPECT_EQ(r.groups[2].count, 3u);
  EXPECT_EQ(At(r.groups[2].states, TcpState::kCloseWait), 2u);
  EXPECT_EQ(At(r.groups[2].states, TcpState::kEstablished), 1u);
  EXPECT_EQ(r.groups[3].fields.context, (uint64_t{1} << 32) | 4);
  EXPECT_EQ(r.groups[3].count, 3u);
  EXPECT_EQ(At(r.groups[3].states, TcpState::kFinWait1), 1u);
  EXPECT_EQ(At(r.groups[3].states, TcpState::kFinWait2), 2u);
}

// Peers in three parts, with IPv4 and IPv6 (wide) keys and groups whose states mix within a
// part and across parts.
std::vector<std::vector<SocketRecord>> PeerParts() {
  std::vector<std::vector<SocketRecord>> parts(3);
  const char* v6 = "2001:db8::1";
  // 10.0.0.9:443: ESTABLISHED in every part, TIME_WAIT in part 1 (mixed across parts).
  for (auto& p : parts) p.push_back(Record(TcpState::kEstablished, "10.0.0.1", 1, "10.0.0.9", 443));
  parts[1].push_back(Record(TcpState::kTimeWait, "10.0.0.1", 2, "10.0.0.9", 443));
  // [2001:db8::9]:443: mixed within part 0, single-state in part 2.
  for (int i = 0; i < 3; ++i) {
    parts[0].push_back(Record(TcpState::kEstablished, v6, 10 + i, "2001:db8::9", 443));
  }
  parts[0].push_back(Record(TcpState::kCloseWait, v6, 20, "2001:db8::9", 443));
  parts[2].push_back(Record(TcpState::kCloseWait, v6, 21, "2001:db8::9", 443));
  parts[2].push_back(Record(TcpState::kCloseWait, v6, 22, "2001:db8::9", 443));
  // [2001:db8::9]:80: same address, other port: another group, only in part 1.
  parts[1].push_back(Record(TcpState::kSynRecv, v6, 30, "2001:db8::9", 80));
  // [fe80::2]:22 in parts 1 and 2, 10.0.0.8:22 in part 0 only: both end in "other".
  parts[1].push_back(Record(TcpState::kEstablished, "fe80::1", 40, "fe80::2", 22));
  parts[2].push_back(Record(TcpState::kLastAck, "fe80::1", 41, "fe80::2", 22));
  parts[0].push_back(Record(TcpState::kFinWait1, "10.0.0.1", 50, "10.0.0.8", 22));
  // Many one-socket peers, v4 and v6, so that tables grow while merging.
  for (uint32_t i = 0; i < 1500; ++i) {
    const uint8_t b4[4] = {172, 16, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    SocketRecord r4 = Record(TcpState::kTimeWait, "10.0.0.1", 3, "10.0.0.1", 1000);
    r4.remote = IpAddress::V4(b4);
    parts[i % 3].push_back(r4);
    uint8_t b6[16] = {0xfd};
    b6[14] = static_cast<uint8_t>(i >> 8);
    b6[15] = static_cast<uint8_t>(i);
    SocketRecord r6 = Record(TcpState::kEstablished, "fd00::1", 4, "fd00::1", 2000);
    r6.remote = IpAddress::V6(b6);
    parts[(i + 1) % 3].push_back(r6);
    // A second socket to every 10th v6 peer, in another part and state.
    if (i % 10 == 0) {
      r6.state = TcpState::kCloseWait;
      parts[(i + 2) % 3].push_back(r6);
    }
  }
  return parts;
}

TEST(OwnerGroupsTest, MergedPeerTablesEqualOneTable) {
  const auto parts = PeerParts();
  TopGroups one(GroupBy::kPeer);
  for (const auto& part : parts) {
    for (const SocketRecord& r : part) one.Add(r);
  }
  TopGroups merged(GroupBy::kPeer);
  for (const auto& part : parts) {
    TopGroups here(GroupBy::kPeer);
    for (const SocketRecord& r : part) here.Add(r);
    merged.Merge(here);
  }
  for (size_t n : {4000, 200, 3, 1}) ExpectSameResult(merged.Take(n), one.Take(n));

  const TopGroupsResult r = merged.Take(3);
  // 4 + 6 + 1 + 2 + 1 named above, 1500 v4 peers, 1500 v6 peers with 150 second sockets.
  EXPECT_EQ(r.total, 3164u);
  // Count 2 is shared by [fe80::2]:22 and 150 fd00:: peers: wide keys by address bytes, so
  // [fd00::]:2000 (fd < fe).
  EXPECT_EQ(Keys(r),
            (std::vector<std::string>{"[2001:db8::9]:443", "10.0.0.9:443", "[fd00::]:2000"}));
  EXPECT_EQ(r.groups[0].count, 6u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kEstablished), 3u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kCloseWait), 3u);
  EXPECT_EQ(r.groups[0].fields.remote.ToString(), "2001:db8::9");
  EXPECT_EQ(r.groups[0].fields.remote_port, 443);
  EXPECT_EQ(r.groups[1].count, 4u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kEstablished), 3u);
  EXPECT_EQ(At(r.groups[1].states, TcpState::kTimeWait), 1u);
  EXPECT_EQ(r.groups[1].fields.remote.ToString(), "10.0.0.9");
  EXPECT_EQ(r.groups[2].count, 2u);
  EXPECT_EQ(At(r.groups[2].states, TcpState::kEstablished), 1u);
  EXPECT_EQ(At(r.groups[2].states, TcpState::kCloseWait), 1u);
  // other: the 3005 groups but the 3 shown.
  EXPECT_EQ(r.other_groups, 3005u - 3);
  EXPECT_EQ(r.other.count, 3164u - 6 - 4 - 2);
  EXPECT_EQ(At(r.other.states, TcpState::kTimeWait), 1500u);
  EXPECT_EQ(At(r.other.states, TcpState::kEstablished), 1500u - 1 + 1);  // fd00:: peers, fe80
  EXPECT_EQ(At(r.other.states, TcpState::kCloseWait), 150u - 1);
  EXPECT_EQ(At(r.other.states, TcpState::kSynRecv), 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kLastAck), 1u);
  EXPECT_EQ(At(r.other.states, TcpState::kFinWait1), 1u);
}

TEST(OwnerGroupsTest, ByNetnsContexts) {
  TopGroups top(GroupBy::kNetns);
  const SocketRecord est = Record(TcpState::kEstablished, "10.0.0.1", 1, "10.0.0.2", 2);
  const SocketRecord tw = Record(TcpState::kTimeWait, "10.0.0.1", 1, "10.0.0.2", 3);
  const SocketRecord lis = Record(TcpState::kListen, "0.0.0.0", 80, "0.0.0.0", 0);
  top.Add(est, 2);
  top.Add(est, 0);
  top.Add(tw, 2);
  top.Add(lis, 1);
  top.Add(tw, 0);
  top.Add(est, 2);
  const TopGroupsResult r = top.Take(10);
  EXPECT_EQ(r.by, GroupBy::kNetns);
  EXPECT_EQ(r.total, 6u);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"2", "0", "1"}));
  EXPECT_EQ(r.groups[0].count, 3u);
  EXPECT_EQ(r.groups[0].fields.context, 2u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kEstablished), 2u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kTimeWait), 1u);
  EXPECT_EQ(r.groups[1].count, 2u);
  EXPECT_EQ(r.groups[1].fields.context, 0u);
  EXPECT_EQ(r.groups[2].count, 1u);
  EXPECT_EQ(r.groups[2].fields.context, 1u);
  EXPECT_EQ(At(r.groups[2].states, TcpState::kListen), 1u);
  for (const Group& g : r.groups) EXPECT_FALSE(g.owner.has_value());
  EXPECT_EQ(GroupKeyText(GroupBy::kNetns, r.groups[0].fields), "2");

  // The same, one table per namespace merged as `top --by netns --all-netns` does.
  TopGroups merged(GroupBy::kNetns);
  TopGroups ns0(GroupBy::kNetns), ns1(GroupBy::kNetns), ns2(GroupBy::kNetns);
  ns0.Add(est, 0);
  ns0.Add(tw, 0);
  ns1.Add(lis, 1);
  ns2.Add(est, 2);
  ns2.Add(tw, 2);
  ns2.Add(est, 2);
  merged.Merge(ns0);
  merged.Merge(ns1);
  merged.Merge(ns2);
  ExpectSameResult(merged.Take(10), r);
  ExpectSameResult(merged.Take(1), top.Take(1));
}

TEST(OwnerGroupsTest, MergeIntoNonEmptyTableAndAfterReset) {
  const SocketRecord est = Record(TcpState::kEstablished, "10.0.0.1", 1, "10.0.0.2", 2);
  const SocketRecord cw = Record(TcpState::kCloseWait, "10.0.0.1", 1, "10.0.0.2", 2);
  TopGroups a(GroupBy::kProcess), b(GroupBy::kProcess);
  a.Add(est, 7);
  a.Add(est, 7);
  b.Add(cw, 7);
  b.Add(est, 8);
  a.Merge(b);
  TopGroupsResult r = a.Take(5);
  EXPECT_EQ(r.total, 4u);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"7", "8"}));
  EXPECT_EQ(r.groups[0].count, 3u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kEstablished), 2u);
  EXPECT_EQ(At(r.groups[0].states, TcpState::kCloseWait), 1u);
  // Merging an empty or reset table changes nothing.
  b.Reset();
  a.Merge(b);
  a.Merge(TopGroups(GroupBy::kProcess));
  ExpectSameResult(a.Take(5), r);
}

TEST(OwnerGroupsTest, GroupTableAddWithCountAndMerge) {
  using Table = GroupTable<TopGroups::NarrowKey, TopGroups::NarrowHash>;
  Table t;
  t.Add({1, 0}, TcpState::kEstablished, 5);
  t.Add({1, 0}, TcpState::kEstablished, 2);
  t.Add({2, 0}, TcpState::kTimeWait, 3);
  t.Add({2, 0}, TcpState::kCloseWait, 4);
  t.Add({2, 0}, TcpState::kTimeWait);
  EXPECT_EQ(t.size(), 2u);
  uint64_t seen = 0;
  t.ForEach([&](const Table::Slot& s) {
    const PerStateCounts split = t.Split(s);
    if (s.key.a == 1) {
      EXPECT_EQ(s.total, 7u);
      EXPECT_EQ(At(split, TcpState::kEstablished), 7u);
    } else {
      EXPECT_EQ(s.total, 8u);
      EXPECT_EQ(At(split, TcpState::kTimeWait), 4u);
      EXPECT_EQ(At(split, TcpState::kCloseWait), 4u);
    }
    ++seen;
  });
  EXPECT_EQ(seen, 2u);

  Table u;
  u.Add({2, 0}, TcpState::kCloseWait, 10);
  u.Add({3, 0}, TcpState::kListen, 1);
  u.Merge(t);
  EXPECT_EQ(u.size(), 3u);
  u.ForEach([&](const Table::Slot& s) {
    const PerStateCounts split = u.Split(s);
    if (s.key.a == 1) {
      EXPECT_EQ(s.total, 7u);
      EXPECT_EQ(At(split, TcpState::kEstablished), 7u);
    } else if (s.key.a == 2) {
      EXPECT_EQ(s.total, 18u);
      EXPECT_EQ(At(split, TcpState::kCloseWait), 14u);
      EXPECT_EQ(At(split, TcpState::kTimeWait), 4u);
    } else {
      EXPECT_EQ(s.key.a, 3u);
      EXPECT_EQ(s.total, 1u);
      EXPECT_EQ(At(split, TcpState::kListen), 1u);
    }
  });
}

}  // namespace
}  // namespace tcpdoctor
