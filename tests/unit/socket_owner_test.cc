// Socket owners: why a socket has no process (NoOwnerReason), which process owns it (OwnerOf,
// SocketOwners::Finish), the owner keys top groups by, their names, and OwnerFilter.
#include "analyze/socket_owner.h"

#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "fixture_util.h"
#include "model/owner_filter.h"
#include "model/socket_owners.h"

namespace tcpdoctor {
namespace {

using test_util::Record;

ProcessInfo Process(int32_t pid, std::string comm) {
  ProcessInfo p;
  p.pid = pid;
  p.comm = std::move(comm);
  return p;
}

SocketRecord WithInode(TcpState state, uint64_t inode) {
  SocketRecord r = Record(state, "10.0.0.1", 8080, "10.0.0.2", 50000);
  r.inode = inode;
  return r;
}

std::vector<int32_t> HolderPids(const SocketOwners& owners, uint64_t inode) {
  std::vector<int32_t> pids;
  for (const SocketOwners::Holder& h : owners.HoldersOf(inode)) {
    EXPECT_EQ(h.inode, inode);
    pids.push_back(owners.processes()[h.process].pid);
  }
  return pids;
}

TEST(SocketOwnerTest, NoOwnerReasonForEveryStateWithoutAFile) {
  const std::pair<TcpState, NoOwner> cases[] = {
      {TcpState::kTimeWait, NoOwner::kTimeWait},
      {TcpState::kSynRecv, NoOwner::kRequest},
      {TcpState::kEstablished, NoOwner::kNotAccepted},
      {TcpState::kCloseWait, NoOwner::kNotAccepted},
      {TcpState::kFinWait1, NoOwner::kOrphan},
      {TcpState::kFinWait2, NoOwner::kOrphan},
      {TcpState::kLastAck, NoOwner::kOrphan},
      {TcpState::kClosing, NoOwner::kOrphan},
      // Documented in socket_owner.cc: CLOSE and SYN_SENT lose their file the same way.
      {TcpState::kClose, NoOwner::kOrphan},
      {TcpState::kSynSent, NoOwner::kOrphan},
      // A listener always has a file; without one it falls into the same default.
      {TcpState::kListen, NoOwner::kOrphan},
  };
  ASSERT_EQ(std::size(cases), kStatesInOrder.size());
  for (const auto& [state, reason] : cases) {
    EXPECT_EQ(NoOwnerReason(WithInode(state, 0)), reason) << StateName(state);
  }
}

TEST(SocketOwnerTest, NoOwnerReasonWithAFileIsHiddenInEveryState) {
  for (TcpState s : kStatesInOrder) {
    EXPECT_EQ(NoOwnerReason(WithInode(s, 4242)), NoOwner::kHidden) << StateName(s);
  }
  // And OwnerOf says the same when nobody visible holds that inode.
  SocketOwners owners;
  const uint32_t p = owners.AddProcess(Process(100, "nginx"));
  owners.AddHolder(1111, p);
  owners.Finish();
  const SocketOwner o = OwnerOf(WithInode(TcpState::kEstablished, 2222), owners);
  EXPECT_EQ(o.process, nullptr);
  EXPECT_EQ(o.reason, NoOwner::kHidden);
  const SocketOwner tw = OwnerOf(WithInode(TcpState::kTimeWait, 0), owners);
  EXPECT_EQ(tw.process, nullptr);
  EXPECT_EQ(tw.reason, NoOwner::kTimeWait);
}

TEST(SocketOwnerTest, OwnerIsTheLowestPidWhateverTheAddOrder) {
  // Processes added highest pid first, holders in a shuffled order.
  SocketOwners owners;
  const uint32_t w3 = owners.AddProcess(Process(3003, "worker"));
  const uint32_t master = owners.AddProcess(Process(17, "nginx"));
  const uint32_t w1 = owners.AddProcess(Process(2001, "worker"));
  const uint32_t other = owners.AddProcess(Process(5, "sshd"));
  owners.AddHolder(900, w3);
  owners.AddHolder(900, w1);
  owners.AddHolder(500, other);
  owners.AddHolder(900, master);
  owners.AddHolder(700, w3);
  owners.AddHolder(700, w1);
  owners.Finish();

  EXPECT_EQ(HolderPids(owners, 900), (std::vector<int32_t>{17, 2001, 3003}));
  EXPECT_EQ(HolderPids(owners, 700), (std::vector<int32_t>{2001, 3003}));
  EXPECT_EQ(HolderPids(owners, 500), std::vector<int32_t>{5});
  EXPECT_TRUE(owners.HoldersOf(600).empty());
  EXPECT_TRUE(owners.HoldersOf(1000).empty());
  EXPECT_TRUE(owners.HoldersOf(1).empty());

  const SocketOwner listener = OwnerOf(WithInode(TcpState::kListen, 900), owners);
  ASSERT_NE(listener.process, nullptr);
  EXPECT_EQ(listener.process->pid, 17);
  EXPECT_EQ(listener.process->comm, "nginx");
  EXPECT_EQ(listener.index, master);
  EXPECT_EQ(listener.reason, NoOwner::kNone);

  const SocketOwner conn = OwnerOf(WithInode(TcpState::kEstablished, 700), owners);
  ASSERT_NE(conn.process, nullptr);
  EXPECT_EQ(conn.process->pid, 2001);
  EXPECT_EQ(conn.index, w1);
}

TEST(SocketOwnerTest, SameInodeOnTwoFdsCountsOnce) {
  SocketOwners owners;
  const uint32_t a = owners.AddProcess(Process(40, "app"));
  const uint32_t b = owners.AddProcess(Process(30, "dup"));
  owners.AddHolder(77, a);
  owners.AddHolder(77, b);
  owners.AddHolder(77, a);  // dup(): same socket, another fd
  owners.AddHolder(77, b);
  owners.AddHolder(77, a);
  owners.AddHolder(88, a);
  owners.AddHolder(88, a);
  owners.Finish();
  EXPECT_EQ(owners.HoldersOf(77).size(), 2u);
  EXPECT_EQ(HolderPids(owners, 77), (std::vector<int32_t>{30, 40}));
  EXPECT_EQ(owners.HoldersOf(88).size(), 1u);
  EXPECT_EQ(owners.holder_count(), 3u);
}

TEST(SocketOwnerTest, InodeZeroHasNoHolders) {
  SocketOwners owners;
  const uint32_t p = owners.AddProcess(Process(10, "x"));
  owners.AddHolder(0, p);  // never recorded by the scanner, but must not matter
  owners.AddHolder(5, p);
  owners.Finish();
  EXPECT_TRUE(owners.HoldersOf(0).empty());
  const SocketOwner o = OwnerOf(WithInode(TcpState::kTimeWait, 0), owners);
  EXPECT_EQ(o.process, nullptr);
  EXPECT_EQ(o.reason, NoOwner::kTimeWait);
}

TEST(SocketOwnerTest, KeysOfOwnedAndUnownedSocketsAreDistinctAndStable) {
  SocketOwners owners;
  const uint32_t a = owners.AddProcess(Process(1234, "nginx"));
  const uint32_t b = owners.AddProcess(Process(6, "tiny"));
  owners.AddHolder(10, a);
  owners.AddHolder(11, a);
  owners.AddHolder(12, b);
  owners.Finish();

  const SocketOwner on10 = OwnerOf(WithInode(TcpState::kEstablished, 10), owners);
  const SocketOwner on11 = OwnerOf(WithInode(TcpState::kCloseWait, 11), owners);
  const SocketOwner on12 = OwnerOf(WithInode(TcpState::kListen, 12), owners);
  EXPECT_EQ(on10.Key(), 1234u);  // the pid itself
  EXPECT_EQ(on11.Key(), on10.Key());
  EXPECT_EQ(on12.Key(), 6u);
  // Stable: asking again gives the same key.
  EXPECT_EQ(OwnerOf(WithInode(TcpState::kEstablished, 10), owners).Key(), 1234u);

  // No owner: 2^32 + reason, one key per reason, none equal to a pid's.
  std::set<uint64_t> keys = {on10.Key(), on12.Key()};
  const std::pair<SocketRecord, NoOwner> unowned[] = {
      {WithInode(TcpState::kTimeWait, 0), NoOwner::kTimeWait},
      {WithInode(TcpState::kSynRecv, 0), NoOwner::kRequest},
      {WithInode(TcpState::kEstablished, 0), NoOwner::kNotAccepted},
      {WithInode(TcpState::kFinWait2, 0), NoOwner::kOrphan},
      {WithInode(TcpState::kEstablished, 99), NoOwner::kHidden},
  };
  for (const auto& [r, reason] : unowned) {
    const SocketOwner o = OwnerOf(r, owners);
    EXPECT_EQ(o.process, nullptr);
    EXPECT_EQ(o.reason, reason);
    EXPECT_EQ(o.Key(), (uint64_t{1} << 32) + static_cast<uint64_t>(reason));
    EXPECT_EQ(OwnerOf(r, owners).Key(), o.Key());
    EXPECT_TRUE(keys.insert(o.Key()).second) << NoOwnerName(reason);
  }
  // Every orphan state shares one key, as do both not-accepted states.
  EXPECT_EQ(OwnerOf(WithInode(TcpState::kLastAck, 0), owners).Key(),
            OwnerOf(WithInode(TcpState::kFinWait1, 0), owners).Key());
  EXPECT_EQ(OwnerOf(WithInode(TcpState::kCloseWait, 0), owners).Key(),
            OwnerOf(WithInode(TcpState::kEstablished, 0), owners).Key());

  // The largest pid Linux allows (2^22) stays below every no-owner key.
  SocketOwner big;
  ProcessInfo p = Process(4194304, "big");
  big.process = &p;
  EXPECT_EQ(big.Key(), 4194304u);
  EXPECT_LT(big.Key(), uint64_t{1} << 32);
}

TEST(SocketOwnerTest, NoOwnerNamesAndTexts) {
  EXPECT_EQ(NoOwnerName(NoOwner::kNone), "none");
  EXPECT_EQ(NoOwnerName(NoOwner::kTimeWait), "time_wait");
  EXPECT_EQ(NoOwnerName(NoOwner::kRequest), "request");
  EXPECT_EQ(NoOwnerName(NoOwner::kNotAccepted), "not_accepted");
  EXPECT_EQ(NoOwnerName(NoOwner::kOrphan), "orphan");
  EXPECT_EQ(NoOwnerName(NoOwner::kHidden), "hidden");

  EXPECT_EQ(NoOwnerText(NoOwner::kNone), "");
  EXPECT_EQ(NoOwnerText(NoOwner::kTimeWait), "TIME_WAIT, no file");
  EXPECT_EQ(NoOwnerText(NoOwner::kRequest), "SYN_RECV request, no file yet");
  EXPECT_EQ(NoOwnerText(NoOwner::kNotAccepted), "in an accept queue, not yet accept()ed");
  EXPECT_EQ(NoOwnerText(NoOwner::kOrphan), "orphan, closed by its process");
  EXPECT_EQ(NoOwnerText(NoOwner::kHidden),
            "held by a process that could not be read, or closed since");
  EXPECT_EQ(kNoOwnerCount, static_cast<int>(NoOwner::kHidden) + 1);
}

TEST(SocketOwnerTest, ProcessLabelIsCommAndPid) {
  EXPECT_EQ(ProcessLabel(Process(1234, "nginx")), "nginx[1234]");
  EXPECT_EQ(ProcessLabel(Process(1, "systemd")), "systemd[1]");
  EXPECT_EQ(ProcessLabel(Process(77, "")), "[77]");
  EXPECT_EQ(ProcessLabel(Process(8, "kworker/0:1-ev")), "kworker/0:1-ev[8]");
}

// OwnerFilter: --pid, --comm.

// nginx 100 and its worker 101 share listener inode 1; the worker holds connection 2; java
// 200 holds 3.
struct FilterWorld {
  FilterWorld() {
    master = owners.AddProcess(Process(100, "nginx"));
    worker = owners.AddProcess(Process(101, "nginx"));
    java = owners.AddProcess(Process(200, "java"));
    owners.AddHolder(1, master);
    owners.AddHolder(1, worker);
    owners.AddHolder(2, worker);
    owners.AddHolder(3, java);
    owners.Finish();
  }
  bool Matches(const OwnerFilter& f, uint64_t inode) const {
    return f.Matches(owners.HoldersOf(inode), owners);
  }
  SocketOwners owners;
  uint32_t master = 0, worker = 0, java = 0;
};

TEST(SocketOwnerTest, FilterActive) {
  OwnerFilter f;
  EXPECT_FALSE(f.active());
  f.pid = 5;
  EXPECT_TRUE(f.active());
  OwnerFilter g;
  g.comm = "x";
  EXPECT_TRUE(g.active());
}

TEST(SocketOwnerTest, FilterByPid) {
  const FilterWorld w;
  OwnerFilter f;
  f.pid = 101;
  EXPECT_FALSE(f.Matches(w.owners.processes()[w.master]));
  EXPECT_TRUE(f.Matches(w.owners.processes()[w.worker]));
  EXPECT_TRUE(w.Matches(f, 1));  // the worker holds the shared listener too
  EXPECT_TRUE(w.Matches(f, 2));
  EXPECT_FALSE(w.Matches(f, 3));
  f.pid = 100;
  EXPECT_TRUE(w.Matches(f, 1));
  EXPECT_FALSE(w.Matches(f, 2));
  f.pid = 999;
  EXPECT_FALSE(w.Matches(f, 1));
  EXPECT_FALSE(w.Matches(f, 2));
  EXPECT_FALSE(w.Matches(f, 3));
}

TEST(SocketOwnerTest, FilterByComm) {
  const FilterWorld w;
  OwnerFilter f;
  f.comm = "nginx";
  EXPECT_TRUE(w.Matches(f, 1));
  EXPECT_TRUE(w.Matches(f, 2));
  EXPECT_FALSE(w.Matches(f, 3));
  f.comm = "java";
  EXPECT_FALSE(w.Matches(f, 1));
  EXPECT_TRUE(w.Matches(f, 3));
  f.comm = "ngin";  // exact names only
  EXPECT_FALSE(w.Matches(f, 1));
  f.comm = "NGINX";
  EXPECT_FALSE(w.Matches(f, 1));
}

TEST(SocketOwnerTest, FilterPidAndCommMustBothMatch) {
  const FilterWorld w;
  OwnerFilter f;
  f.pid = 200;
  f.comm = "nginx";
  EXPECT_FALSE(f.Matches(w.owners.processes()[w.java]));
  EXPECT_FALSE(w.Matches(f, 1));
  EXPECT_FALSE(w.Matches(f, 3));
  f.comm = "java";
  EXPECT_TRUE(w.Matches(f, 3));
  EXPECT_FALSE(w.Matches(f, 1));
  // Each holder is checked on its own: pid of one and comm of another is no match.
  f.pid = 100;
  f.comm = "java";
  EXPECT_FALSE(w.Matches(f, 1));
  f.comm = "nginx";
  EXPECT_TRUE(w.Matches(f, 1));
  EXPECT_FALSE(w.Matches(f, 2));  // held by 101 only
}

TEST(SocketOwnerTest, FilterNeverMatchesSocketsWithoutAHolder) {
  const FilterWorld w;
  OwnerFilter f;
  f.comm = "nginx";
  EXPECT_FALSE(w.Matches(f, 0));   // inode 0: TIME_WAIT, request sockets, orphans
  EXPECT_FALSE(w.Matches(f, 42));  // a file nobody visible holds
  OwnerFilter by_pid;
  by_pid.pid = 100;
  EXPECT_FALSE(w.Matches(by_pid, 0));
  // Even an inactive filter (which matches every process) matches no holder-less socket.
  const OwnerFilter none;
  EXPECT_TRUE(none.Matches(w.owners.processes()[w.java]));
  EXPECT_FALSE(w.Matches(none, 0));
}

}  // namespace
}  // namespace tcpdoctor

namespace tcpdoctor {
namespace {

ProcessInfo Pid(int32_t pid) {
  ProcessInfo p;
  p.pid = pid;
  p.comm = "p" + std::to_string(pid);
  return p;
}

// Two scans of interleaved processes merge into one in pid order, each socket still held by
// the right processes.
TEST(SocketOwnersAbsorbTest, MergesInPidOrderAndKeepsHolders) {
  SocketOwners a;
  const uint32_t a1 = a.AddProcess(Pid(10));
  const uint32_t a3 = a.AddProcess(Pid(30));
  a.AddHolder(100, a1);
  a.AddHolder(300, a3);
  a.unreadable = 1;
  SocketOwners b;
  const uint32_t b2 = b.AddProcess(Pid(20));
  const uint32_t b4 = b.AddProcess(Pid(40));
  b.AddHolder(100, b2);  // shared with pid 10
  b.AddHolder(400, b4);
  b.vanished = 2;
  a.Absorb(std::move(b));
  a.Finish();
  ASSERT_EQ(a.processes().size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(a.processes()[i].pid, static_cast<int32_t>(10 * (i + 1)));
  const auto shared = a.HoldersOf(100);
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(a.processes()[shared[0].process].pid, 10);
  EXPECT_EQ(a.processes()[shared[1].process].pid, 20);
  ASSERT_EQ(a.HoldersOf(300).size(), 1u);
  EXPECT_EQ(a.processes()[a.HoldersOf(300)[0].process].comm, "p30");
  ASSERT_EQ(a.HoldersOf(400).size(), 1u);
  EXPECT_EQ(a.processes()[a.HoldersOf(400)[0].process].comm, "p40");
  EXPECT_EQ(a.unreadable, 1u);
  EXPECT_EQ(a.vanished, 2u);
}

}  // namespace
}  // namespace tcpdoctor
