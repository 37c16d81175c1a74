// `procs`: ProcessSocketTable's counts per process and state, sockets no process holds,
// FdUsePercent, and SortByRisk's tiers and ordering.
#include "analyze/process_sockets.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::Record;

ProcessInfo Process(int32_t pid, std::string comm, uint32_t open_fds = 0,
                    std::optional<uint64_t> soft = std::nullopt) {
  ProcessInfo p;
  p.pid = pid;
  p.comm = std::move(comm);
  p.open_fds = open_fds;
  p.nofile_soft = soft;
  p.nofile_hard = soft;
  p.details_read = true;
  return p;
}

SocketRecord Socket(TcpState state, uint64_t inode) {
  SocketRecord r = Record(state, "10.0.0.1", 8080, "10.0.0.2", 50000);
  r.inode = inode;
  return r;
}

uint64_t NoOwnerCount(const ProcessSockets& s, NoOwner reason) {
  return s.no_owner[static_cast<int>(reason)];
}

// a (pid 10) holds 1 ESTABLISHED, 2 CLOSE_WAIT and shares listener 3 with b (pid 20), which
// also holds 4 ESTABLISHED; c (pid 30) holds nothing. Plus sockets no process holds.
class ProcessSocketsWorld {
 public:
  ProcessSocketsWorld() {
    a = owners.AddProcess(Process(10, "a"));
    b = owners.AddProcess(Process(20, "b"));
    c = owners.AddProcess(Process(30, "c"));
    owners.AddHolder(4, b);
    owners.AddHolder(3, b);
    owners.AddHolder(3, a);
    owners.AddHolder(2, a);
    owners.AddHolder(1, a);
    owners.Finish();
    records = {
        Socket(TcpState::kEstablished, 1), Socket(TcpState::kCloseWait, 2),
        Socket(TcpState::kListen, 3),      Socket(TcpState::kEstablished, 4),
        Socket(TcpState::kTimeWait, 0),    Socket(TcpState::kTimeWait, 0),
        Socket(TcpState::kSynRecv, 0),     Socket(TcpState::kEstablished, 0),
        Socket(TcpState::kCloseWait, 0),   Socket(TcpState::kFinWait1, 0),
        Socket(TcpState::kLastAck, 0),     Socket(TcpState::kEstablished, 99),
    };
  }
  SocketOwners owners;
  uint32_t a = 0, b = 0, c = 0;
  std::vector<SocketRecord> records;
};

TEST(ProcessSocketsTest, CountsPerProcessAndState) {
  const ProcessSocketsWorld w;
  ProcessSocketTable table(w.owners);
  for (const SocketRecord& r : w.records) table.Add(r);
  const ProcessSockets s = table.Take();

  ASSERT_EQ(s.rows.size(), 2u);  // c holds no socket: no row
  EXPECT_EQ(s.rows[0].process, w.a);
  EXPECT_EQ(s.rows[0].states.Total(), 3u);
  EXPECT_EQ(s.rows[0].states.Get(TcpState::kEstablished), 1u);
  EXPECT_EQ(s.rows[0].states.Get(TcpState::kCloseWait), 1u);
  EXPECT_EQ(s.rows[0].states.Get(TcpState::kListen), 1u);
  EXPECT_EQ(s.rows[0].netns, 0u);
  EXPECT_EQ(s.rows[1].process, w.b);
  EXPECT_EQ(s.rows[1].states.Total(), 2u);
  EXPECT_EQ(s.rows[1].states.Get(TcpState::kEstablished), 1u);
  EXPECT_EQ(s.rows[1].states.Get(TcpState::kListen), 1u);
  EXPECT_EQ(s.rows[1].states.Get(TcpState::kCloseWait), 0u);
}

TEST(ProcessSocketsTest, SharedSocketCountsForEachHolder) {
  const ProcessSocketsWorld w;
  ProcessSocketTable table(w.owners);
  for (int i = 0; i < 3; ++i) table.Add(Socket(TcpState::kListen, 3));
  const ProcessSockets s = table.Take();
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_EQ(s.rows[0].process, w.a);
  EXPECT_EQ(s.rows[0].states.Get(TcpState::kListen), 3u);
  EXPECT_EQ(s.rows[1].process, w.b);
  EXPECT_EQ(s.rows[1].states.Get(TcpState::kListen), 3u);
  // Each socket is seen once, though the rows sum to twice as many.
  EXPECT_EQ(s.total, 3u);
}

TEST(ProcessSocketsTest, SocketsWithoutOwnerCountByReason) {
  const ProcessSocketsWorld w;
  ProcessSocketTable table(w.owners);
  for (const SocketRecord& r : w.records) table.Add(r);
  const ProcessSockets s = table.Take();
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kNone), 0u);
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kTimeWait), 2u);
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kRequest), 1u);
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kNotAccepted), 2u);  // ESTABLISHED and CLOSE_WAIT
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kOrphan), 2u);       // FIN_WAIT1 and LAST_ACK
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kHidden), 1u);       // inode 99: nobody we saw
}

TEST(ProcessSocketsTest, TotalCountsEverySocket) {
  const ProcessSocketsWorld w;
  ProcessSocketTable table(w.owners);
  for (const SocketRecord& r : w.records) table.Add(r);
  const ProcessSockets s = table.Take();
  EXPECT_EQ(s.total, 12u);
  uint64_t no_owner = 0;
  for (uint64_t n : s.no_owner) no_owner += n;
  EXPECT_EQ(no_owner, 8u);  // 12 sockets, 4 of them held
}

TEST(ProcessSocketsTest, ResetClears) {
  const ProcessSocketsWorld w;
  ProcessSocketTable table(w.owners);
  for (const SocketRecord& r : w.records) table.Add(r);
  table.Reset();
  const ProcessSockets empty = table.Take();
  EXPECT_TRUE(empty.rows.empty());
  EXPECT_EQ(empty.total, 0u);
  for (uint64_t n : empty.no_owner) EXPECT_EQ(n, 0u);

  // Counting starts over.
  table.Add(Socket(TcpState::kEstablished, 4));
  table.Add(Socket(TcpState::kTimeWait, 0));
  const ProcessSockets again = table.Take();
  ASSERT_EQ(again.rows.size(), 1u);
  EXPECT_EQ(again.rows[0].process, w.b);
  EXPECT_EQ(again.rows[0].states.Total(), 1u);
  EXPECT_EQ(again.total, 2u);
  EXPECT_EQ(NoOwnerCount(again, NoOwner::kTimeWait), 1u);
}

TEST(ProcessSocketsTest, EmptyOwnersCountEverythingAsNoOwner) {
  SocketOwners owners;
  owners.Finish();
  ProcessSocketTable table(owners);
  table.Add(Socket(TcpState::kEstablished, 5));
  table.Add(Socket(TcpState::kSynRecv, 0));
  const ProcessSockets s = table.Take();
  EXPECT_TRUE(s.rows.empty());
  EXPECT_EQ(s.total, 2u);
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kHidden), 1u);
  EXPECT_EQ(NoOwnerCount(s, NoOwner::kRequest), 1u);
}

TEST(ProcessSocketsTest, FdUsePercent) {
  EXPECT_EQ(FdUsePercent(Process(1, "x", 100)), std::nullopt);  // limits unreadable
  EXPECT_EQ(FdUsePercent(Process(1, "x", 100, kUnlimited)), std::nullopt);
  EXPECT_EQ(FdUsePercent(Process(1, "x", 100, 0)), std::nullopt);
  EXPECT_EQ(FdUsePercent(Process(1, "x", 512, 1024)), 50.0);
  EXPECT_EQ(FdUsePercent(Process(1, "x", 1010, 1024)), 98.6328125);
  EXPECT_EQ(FdUsePercent(Process(1, "x", 0, 1024)), 0.0);
  EXPECT_EQ(FdUsePercent(Process(1, "x", 1024, 1024)), 100.0);
  // The limit can be lowered (prlimit) below what is already open.
  EXPECT_EQ(FdUsePercent(Process(1, "x", 300, 200)), 150.0);
  EXPECT_DOUBLE_EQ(*FdUsePercent(Process(1, "x", 1, 3)), 100.0 / 3);
  // Only the soft limit counts.
  ProcessInfo p = Process(1, "x", 50, 100);
  p.nofile_hard = std::nullopt;
  EXPECT_EQ(FdUsePercent(p), 50.0);
  p.nofile_hard = 4096;
  p.nofile_soft = std::nullopt;
  EXPECT_EQ(FdUsePercent(p), std::nullopt);
}

// Builds rows for SortByRisk: one process per row unless `process` is given.
class RiskTable {
 public:
  // Adds a process and a row holding `sockets` sockets, `close_wait` of them in CLOSE_WAIT.
  RiskTable& Row(int32_t pid, uint32_t open_fds, std::optional<uint64_t> soft,
                 uint64_t close_wait = 0, uint64_t sockets = 0) {
    const uint32_t i = owners_.AddProcess(Process(pid, "p" + std::to_string(pid), open_fds, soft));
    ProcessRow row;
    row.process = i;
    row.states.Add(TcpState::kCloseWait, close_wait);
    if (sockets > close_wait) row.states.Add(TcpState::kEstablished, sockets - close_wait);
    rows_.push_back(row);
    return *this;
  }
  std::vector<int32_t> SortedPids() {
    SortByRisk(rows_, owners_);
    std::vector<int32_t> pids;
    for (const ProcessRow& r : rows_) pids.push_back(owners_.processes()[r.process].pid);
    return pids;
  }
  std::vector<ProcessRow>& rows() { return rows_; }
  SocketOwners& owners() { return owners_; }

 private:
  SocketOwners owners_;
  std::vector<ProcessRow> rows_;
};

TEST(ProcessSocketsTest, SortByRiskTiersAtTheirEdges) {
  RiskTable t;
  t.Row(1, 799, 1000)            // 79.9 %, no CLOSE_WAIT: the rest
      .Row(2, 80, 100)           // exactly 80.0 %: second tier
      .Row(3, 799, 1000, 1, 1)   // 79.9 % with CLOSE_WAIT: third tier
      .Row(4, 95, 100)           // exactly 95.0 %: first tier
      .Row(5, 949, 1000)         // 94.9 %: second tier
      .Row(6, 5, std::nullopt)   // unknown limit, no CLOSE_WAIT: the rest
      .Row(7, 1, 1000, 0, 500);  // 0.1 %, many sockets: the rest
  EXPECT_EQ(t.SortedPids(), (std::vector<int32_t>{4, 5, 2, 3, 1, 7, 6}));
}

TEST(ProcessSocketsTest, SortByRiskPutsAnyCloseWaitAboveTheRest) {
  RiskTable t;
  t.Row(1, 790, 1000, 0, 100)  // 79 % and many sockets, but no CLOSE_WAIT
      .Row(2, 1, 1000, 1, 1);  // 0.1 %, one CLOSE_WAIT
  EXPECT_EQ(t.SortedPids(), (std::vector<int32_t>{2, 1}));
}

TEST(ProcessSocketsTest, SortByRiskWithinTierByFdUseFirst) {
  RiskTable t;
  t.Row(1, 96, 100)             // 96 %
      .Row(2, 150, 100)         // 150 %: over a lowered limit
      .Row(3, 99, 100)          // 99 %
      .Row(4, 81, 100, 50, 50)  // 81 %, 50 CLOSE_WAIT
      .Row(5, 90, 100);         // 90 %
  EXPECT_EQ(t.SortedPids(), (std::vector<int32_t>{2, 3, 1, 5, 4}));
}

TEST(ProcessSocketsTest, SortByRiskThenCloseWaitThenSocketsThenPid) {
  RiskTable t;
  // All at 50 %, with CLOSE_WAIT: one tier, same fd use.
  t.Row(40, 50, 100, 2, 2)
      .Row(30, 50, 100, 2, 9)   // same CLOSE_WAIT, more sockets
      .Row(20, 50, 100, 7, 7)   // most CLOSE_WAIT
      .Row(10, 50, 100, 2, 2)   // same as 40: lower pid first
      .Row(50, 50, 100, 2, 3);  // same CLOSE_WAIT, 3 sockets
  EXPECT_EQ(t.SortedPids(), (std::vector<int32_t>{20, 30, 50, 10, 40}));
}

TEST(ProcessSocketsTest, SortByRiskUnknownLimitsAfterKnownInTheSameTier) {
  RiskTable t;
  t.Row(1, 9000, std::nullopt, 9, 9)  // unknown limit, most CLOSE_WAIT
      .Row(2, 10, 1000, 1, 1)         // 1 %, CLOSE_WAIT
      .Row(3, 10, kUnlimited, 5, 5)   // unlimited counts as unknown
      .Row(4, 0, 1000)                // 0 %, the rest
      .Row(5, 9000, std::nullopt)     // unknown, the rest
      .Row(6, 9000, 0, 0, 3);         // a 0 limit counts as unknown too
  EXPECT_EQ(t.SortedPids(), (std::vector<int32_t>{2, 1, 3, 4, 6, 5}));
}

TEST(ProcessSocketsTest, SortByRiskOrdersTheSameProcessByNetns) {
  RiskTable t;
  t.Row(7, 10, 100, 0, 4);
  ProcessRow base = t.rows()[0];
  t.rows().clear();
  for (uint32_t netns : {2u, 0u, 3u, 1u}) {
    ProcessRow row = base;
    row.netns = netns;
    t.rows().push_back(row);
  }
  SortByRisk(t.rows(), t.owners());
  std::vector<uint32_t> netns;
  for (const ProcessRow& r : t.rows()) netns.push_back(r.netns);
  EXPECT_EQ(netns, (std::vector<uint32_t>{0, 1, 2, 3}));

  // The pid comes before the namespace.
  RiskTable u;
  u.Row(20, 10, 100, 0, 4).Row(10, 10, 100, 0, 4);
  u.rows()[0].netns = 0;
  u.rows()[1].netns = 1;
  EXPECT_EQ(u.SortedPids(), (std::vector<int32_t>{10, 20}));
}

}  // namespace
}  // namespace tcpdoctor
