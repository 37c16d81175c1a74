// ReplaySource on the recorded dumps of tests/fixtures/netlink (see its README.md): every
// socket and field as ss showed it when the dump was taken, and files broken on purpose.
#include "collect/replay_source.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>
#include <vector>

#include "fixture_util.h"
#include "model/ip_address.h"
#include "netlink_builder.h"

namespace tcpdoctor {
namespace {

using test_util::Bytes;
using test_util::FindRecord;
using test_util::FixturePath;

struct Replayed {
  Result<DumpStats> stats = DumpStats{};
  std::vector<SocketRecord> records;
};

Replayed Replay(const std::string& path, const DumpQuery& query) {
  Replayed out;
  ReplaySource source(path);
  out.stats = source.Dump(query, [&](const SocketRecord& r) { out.records.push_back(r); });
  return out;
}

DumpQuery Query(Family family, StateMask states = kAllStates) {
  DumpQuery q;
  q.family = family;
  q.states = states;
  return q;
}

class SmallReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Replayed v4 = Replay(path_, Query(Family::kIpv4));
    ASSERT_TRUE(v4.stats.ok()) << v4.stats.error().ToString();
    Replayed v6 = Replay(path_, Query(Family::kIpv6));
    ASSERT_TRUE(v6.stats.ok()) << v6.stats.error().ToString();
    v4_ = v4.records;
    v6_ = v6.records;
    all_ = v4_;
    all_.insert(all_.end(), v6_.begin(), v6_.end());
  }
  const std::string path_ = FixturePath("netlink/small.bin");
  std::vector<SocketRecord> v4_, v6_, all_;
};

TEST_F(SmallReplayTest, EachFamilyComesFromItsOwnDump) {
  EXPECT_EQ(v4_.size(), 25u);
  EXPECT_EQ(v6_.size(), 12u);
  for (const SocketRecord& r : v4_) EXPECT_EQ(r.family(), Family::kIpv4);
  for (const SocketRecord& r : v6_) EXPECT_EQ(r.family(), Family::kIpv6);
}

TEST_F(SmallReplayTest, MatchesSsSocketForSocket) {
  EXPECT_EQ(test_util::AsSsRows(all_), test_util::ReadSsRows(FixturePath("netlink/small.ss.txt")));
}

TEST_F(SmallReplayTest, ListenersCarryTheirAcceptQueueAndBacklog) {
  struct Expected {
    const char* local;
    uint16_t port;
    uint32_t queued;   // recv_queue: connections waiting for accept()
    uint32_t backlog;  // send_queue: the accept queue's maximum
  };
  const Expected expected[] = {{"0.0.0.0", 8080, 0, 128}, {"10.0.0.1", 9000, 2, 5},
                               {"127.0.0.1", 7000, 0, 4}, {"127.0.0.1", 7100, 1, 0},
                               {"::1", 8443, 0, 16},      {"::", 8081, 0, 32}};
  for (const Expected& e : expected) {
    const std::string any = std::string(e.local).find(':') != std::string::npos ? "::" : "0.0.0.0";
    const SocketRecord* r = FindRecord(all_, TcpState::kListen, e.local, e.port, any, 0);
    ASSERT_NE(r, nullptr) << e.local << ":" << e.port;
    EXPECT_EQ(r->recv_queue, e.queued) << e.local << ":" << e.port;
    EXPECT_EQ(r->send_queue, e.backlog) << e.local << ":" << e.port;
    EXPECT_NE(r->inode, 0u);
    EXPECT_EQ(r->timer, SocketTimer::kNone);
  }
}

TEST_F(SmallReplayTest, MinisocketsHaveNoInode) {
  const SocketRecord* tw4 =
      FindRecord(all_, TcpState::kTimeWait, "127.0.0.1", 40041, "127.0.0.1", 8080);
  const SocketRecord* tw6 = FindRecord(all_, TcpState::kTimeWait, "::1", 40121, "::1", 8443);
  const SocketRecord* orphan = FindRecord(all_, TcpState::kFinWait2, "::1", 40131, "::1", 8443);
  for (const SocketRecord* r : {tw4, tw6, orphan}) {
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->inode, 0u);
    EXPECT_EQ(r->timer, SocketTimer::kTimeWait);
    EXPECT_GT(r->timer_expires_ms, 0u);
    EXPECT_LE(r->timer_expires_ms, 60000u);  // TCP_TIMEWAIT_LEN
    EXPECT_EQ(r->recv_queue, 0u);
    EXPECT_EQ(r->send_queue, 0u);
  }
  // The request socket of the TCP_DEFER_ACCEPT listener: SYN-ACK retransmit timer, no inode.
  const SocketRecord* syn_recv =
      FindRecord(all_, TcpState::kSynRecv, "127.0.0.1", 7000, "127.0.0.1", 40021);
  ASSERT_NE(syn_recv, nullptr);
  EXPECT_EQ(syn_recv->inode, 0u);
  EXPECT_EQ(syn_recv->timer, SocketTimer::kRetransmit);
  // Accepted-queue children that nobody accept()ed have no file either.
  for (uint16_t port : {40011, 40012}) {
    const SocketRecord* child =
        FindRecord(all_, TcpState::kEstablished, "10.0.0.1", 9000, "10.0.0.2", port);
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(child->inode, 0u);
  }
}

TEST_F(SmallReplayTest, HalfClosedAndPendingSockets) {
  // shutdown(SHUT_WR) keeps a full socket in FIN_WAIT2, with its file.
  const SocketRecord* fw2 =
      FindRecord(all_, TcpState::kFinWait2, "127.0.0.1", 40051, "127.0.0.1", 8080);
  ASSERT_NE(fw2, nullptr);
  EXPECT_NE(fw2->inode, 0u);
  // Its peer got the FIN, which counts one in the receive queue.
  const SocketRecord* cw =
      FindRecord(all_, TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.1", 40051);
  ASSERT_NE(cw, nullptr);
  EXPECT_EQ(cw->recv_queue, 1u);
  // 100 bytes nobody read.
  const SocketRecord* unread =
      FindRecord(all_, TcpState::kEstablished, "127.0.0.1", 8080, "127.0.0.1", 40071);
  ASSERT_NE(unread, nullptr);
  EXPECT_EQ(unread->recv_queue, 100u);
  // The dropped SYN: one unacknowledged byte, retransmit timer.
  const SocketRecord* syn_sent =
      FindRecord(all_, TcpState::kSynSent, "127.0.0.1", 40032, "127.0.0.1", 7100);
  ASSERT_NE(syn_sent, nullptr);
  EXPECT_EQ(syn_sent->send_queue, 1u);
  EXPECT_EQ(syn_sent->timer, SocketTimer::kRetransmit);
}

TEST_F(SmallReplayTest, DualStackListenerSeesV4MappedPeers) {
  const SocketRecord* mapped =
      FindRecord(v6_, TcpState::kEstablished, "::ffff:127.0.0.1", 8081, "::ffff:127.0.0.1", 40061);
  ASSERT_NE(mapped, nullptr);
  EXPECT_EQ(mapped->family(), Family::kIpv6);
  EXPECT_TRUE(Cidr::Parse("127.0.0.0/8")->Contains(mapped->remote));
  // Its IPv4 client is in the IPv4 dump.
  EXPECT_NE(FindRecord(v4_, TcpState::kEstablished, "127.0.0.1", 40061, "127.0.0.1", 8081),
            nullptr);
  EXPECT_NE(FindRecord(v6_, TcpState::kEstablished, "fd00::1", 8081, "fd00::2", 40111), nullptr);
}

TEST_F(SmallReplayTest, CookiesAreDistinctAndUidIsRoot) {
  std::set<uint64_t> cookies;
  for (const SocketRecord& r : all_) {
    EXPECT_NE(r.cookie, 0u);
    cookies.insert(r.cookie);
    EXPECT_EQ(r.uid, 0u);
  }
  EXPECT_EQ(cookies.size(), all_.size());
}

TEST_F(SmallReplayTest, StatsCountWhatWasReplayed) {
  ReplaySource source(path_);
  auto stats = source.Dump(Query(Family::kIpv4), [](const SocketRecord&) {});
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->records, 25u);
  EXPECT_EQ(stats->messages, 39u);  // the whole file is read: 37 sockets and 2 NLMSG_DONE
  EXPECT_EQ(stats->bytes, 4532u);
  EXPECT_EQ(stats->skipped, 0u);
  EXPECT_FALSE(stats->interrupted);
}

TEST_F(SmallReplayTest, QueryFiltersLikeTheKernel) {
  Replayed listen4 = Replay(path_, Query(Family::kIpv4, StateBit(TcpState::kListen)));
  ASSERT_TRUE(listen4.stats.ok());
  EXPECT_EQ(listen4.records.size(), 4u);
  EXPECT_EQ(listen4.stats->records, 4u);

  Replayed bucket6 = Replay(path_, Query(Family::kIpv6, *ParseStateName("bucket")));
  ASSERT_TRUE(bucket6.stats.ok());
  ASSERT_EQ(bucket6.records.size(), 1u);  // TIME_WAIT only: SYN_RECV is IPv4 here
  EXPECT_EQ(bucket6.records[0].state, TcpState::kTimeWait);

  DumpQuery sport = Query(Family::kIpv4);
  sport.local_port = 8080;  // the listener, 4 established, 1 close-wait
  Replayed by_sport = Replay(path_, sport);
  ASSERT_TRUE(by_sport.stats.ok());
  EXPECT_EQ(by_sport.records.size(), 6u);

  DumpQuery dport = Query(Family::kIpv6);
  dport.remote_port = 8443;  // two clients, a TIME_WAIT and the orphaned FIN_WAIT2
  Replayed by_dport = Replay(path_, dport);
  ASSERT_TRUE(by_dport.stats.ok());
  EXPECT_EQ(by_dport.records.size(), 4u);
  for (const SocketRecord& r : by_dport.records) EXPECT_EQ(r.remote_port, 8443);
}

TEST(ReplaySourceTest, ManyConnectionsAcrossSeveralBuffers) {
  const std::string path = FixturePath("netlink/many.bin");
  Replayed v4 = Replay(path, Query(Family::kIpv4));
  ASSERT_TRUE(v4.stats.ok()) << v4.stats.error().ToString();
  Replayed v6 = Replay(path, Query(Family::kIpv6));
  ASSERT_TRUE(v6.stats.ok());
  EXPECT_EQ(v4.records.size(), 501u);
  EXPECT_TRUE(v6.records.empty());
  EXPECT_EQ(test_util::AsSsRows(v4.records),
            test_util::ReadSsRows(FixturePath("netlink/many.ss.txt")));
  // Server side: 50 connections from each of 10.0.0.2-6.
  std::map<std::string, int> peers;
  for (const SocketRecord& r : v4.records) {
    if (r.state == TcpState::kEstablished && r.local_port == 8000) ++peers[r.remote.ToString()];
  }
  const std::map<std::string, int> expected = {
      {"10.0.0.2", 50}, {"10.0.0.3", 50}, {"10.0.0.4", 50}, {"10.0.0.5", 50}, {"10.0.0.6", 50}};
  EXPECT_EQ(peers, expected);
}

TEST(ReplaySourceTest, MissingFileIsNotFound) {
  Replayed r = Replay("/nonexistent/dump.bin", Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.stats.error().sys_errno, ENOENT);
  EXPECT_EQ(r.stats.error().context, "/nonexistent/dump.bin");
}

TEST(ReplaySourceTest, EmptyFileHasNoSockets) {
  Replayed r = Replay(test_util::WriteTempFile("empty.bin", {}), Query(Family::kIpv4));
  ASSERT_TRUE(r.stats.ok());
  EXPECT_EQ(r.stats->records, 0u);
}

class BrokenReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    recorded_ = test_util::ReadBytes(FixturePath("netlink/small.bin"));
    messages_ = test_util::Messages(recorded_);
    ASSERT_EQ(messages_.size(), 39u);
  }
  Bytes Prefix(size_t size) const {
    return Bytes(recorded_.begin(), recorded_.begin() + static_cast<long>(size));
  }
  Bytes recorded_;
  std::vector<test_util::MessageRef> messages_;
};

TEST_F(BrokenReplayTest, FileWithoutDoneIsAParseError) {
  const std::string path = test_util::WriteTempFile("no_done.bin", Prefix(recorded_.size() - 20));
  Replayed r = Replay(path, Query(Family::kIpv6));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kParse);
  EXPECT_NE(r.stats.error().message.find("NLMSG_DONE"), std::string::npos);
  EXPECT_EQ(r.stats.error().context, path);
}

TEST_F(BrokenReplayTest, TruncatedMessageIsAParseError) {
  const std::string path = test_util::WriteTempFile("cut.bin", Prefix(messages_[5].offset + 50));
  Replayed r = Replay(path, Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kParse);
  EXPECT_EQ(r.stats.error().context, path);
}

TEST_F(BrokenReplayTest, TruncatedHeaderIsAParseError) {
  const std::string path =
      test_util::WriteTempFile("cut_header.bin", Prefix(messages_[5].offset + 7));
  Replayed r = Replay(path, Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kParse);
}

TEST_F(BrokenReplayTest, LengthSmallerThanAHeaderIsAParseError) {
  Bytes bytes = recorded_;
  nlmsghdr h = messages_[2].header;
  h.nlmsg_len = 8;
  test_util::WriteHeader(bytes, messages_[2].offset, h);
  Replayed r = Replay(test_util::WriteTempFile("len8.bin", bytes), Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kParse);
}

TEST_F(BrokenReplayTest, ParserErrorsNameTheFile) {
  // A message of the first dump carrying another sequence number.
  Bytes bytes = recorded_;
  nlmsghdr h = messages_[3].header;
  h.nlmsg_seq ^= 0x5a5a;
  test_util::WriteHeader(bytes, messages_[3].offset, h);
  const std::string path = test_util::WriteTempFile("bad_seq.bin", bytes);
  Replayed r = Replay(path, Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(r.stats.error().context, path);
}

TEST_F(BrokenReplayTest, AttributeOverrunIsAProtocolError) {
  Bytes bytes = recorded_;
  const size_t attr = messages_[0].offset + sizeof(nlmsghdr) + sizeof(inet_diag_msg);
  nlattr a{};
  std::memcpy(&a, bytes.data() + attr, sizeof a);
  a.nla_len = 1000;
  std::memcpy(bytes.data() + attr, &a, sizeof a);
  Replayed r = Replay(test_util::WriteTempFile("bad_attr.bin", bytes), Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kProtocol);
}

TEST_F(BrokenReplayTest, RecordedKernelErrorIsReplayed) {
  const Bytes bytes = test_util::ErrorMessage(-EPERM);
  Replayed r = Replay(test_util::WriteTempFile("eperm.bin", bytes), Query(Family::kIpv4));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.error().code, ErrorCode::kPermission);
  EXPECT_EQ(r.stats.error().sys_errno, EPERM);
}

TEST_F(BrokenReplayTest, DumpIntrIsPassedOn) {
  Bytes bytes = recorded_;
  nlmsghdr h = messages_[4].header;
  h.nlmsg_flags |= NLM_F_DUMP_INTR;
  test_util::WriteHeader(bytes, messages_[4].offset, h);
  ReplaySource source(test_util::WriteTempFile("intr.bin", bytes));
  int records = 0;
  auto stats = source.Dump(Query(Family::kIpv4), [&](const SocketRecord&) { ++records; });
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->interrupted);
  EXPECT_EQ(records, 25);
}

// DumpStats::skipped counts records with a state this tool does not know; the replay of a
// dump holding one must say so, as the live source does (ParseDiagBuffer counts it).
TEST_F(BrokenReplayTest, SkippedRecordsAreCounted) {
  test_util::DiagFields unknown;
  unknown.state = 13;
  test_util::DiagFields known;
  const Bytes bytes = test_util::Concat(
      {test_util::DiagMessage(known), test_util::DiagMessage(unknown), test_util::DoneMessage()});
  ReplaySource source(test_util::WriteTempFile("unknown_state.bin", bytes));
  int records = 0;
  auto stats = source.Dump(Query(Family::kIpv4), [&](const SocketRecord&) { ++records; });
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(records, 1);
  EXPECT_EQ(stats->records, 1u);
  EXPECT_EQ(stats->skipped, 1u) << "the unknown-state record was dropped without being counted";
}

// A corrupt length field must give an error, never a crash. nlmsg_len 0xffffffff makes
// NLMSG_ALIGN() wrap to 0 in ReplaySource::Dump, which then copies the header into an empty
// vector. Run in a child process so the crash does not take the test binary down.
TEST_F(BrokenReplayTest, HugeLengthIsAnErrorNotACrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Bytes bytes = Prefix(messages_[1].offset);
  nlmsghdr h = messages_[0].header;
  h.nlmsg_len = 0xffffffff;
  test_util::WriteHeader(bytes, 0, h);
  const std::string path = test_util::WriteTempFile("huge_len.bin", bytes);
  EXPECT_EXIT(
      {
        ReplaySource source(path);
        auto stats = source.Dump(Query(Family::kIpv4), [](const SocketRecord&) {});
        std::_Exit(!stats.ok() && stats.error().code == ErrorCode::kParse ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tcpdoctor
