// ParseDiagBuffer and ParseDiagMessage on the recorded kernel dumps of
// tests/fixtures/netlink (see its README.md) and on hand-built broken replies.
#include "collect/diag_parser.h"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>

#include <cerrno>
#include <cstddef>
#include <map>
#include <vector>

#include "fixture_util.h"
#include "netlink_builder.h"

namespace tcpdoctor {
namespace {

using test_util::AsSsRows;
using test_util::Bytes;
using test_util::DiagFields;
using test_util::DiagMessage;
using test_util::DoneMessage;
using test_util::ErrorMessage;
using test_util::FixturePath;
using test_util::kPid;
using test_util::kSeq;

// What the recorded dumps of small.bin carry in every header (see the README).
constexpr uint32_t kRecordedPid = 9003;

struct Parsed {
  Status status = Ok{};
  std::vector<SocketRecord> records;
  DiagDumpState state;
};

Parsed Parse(std::span<const uint8_t> buffer, uint32_t seq = kSeq, uint32_t portid = kPid) {
  Parsed p;
  p.state.seq = seq;
  p.state.portid = portid;
  p.status =
      ParseDiagBuffer(buffer, p.state, [&](const SocketRecord& r) { p.records.push_back(r); });
  return p;
}

uint32_t FirstSeq(const Bytes& dump) { return test_util::ReadHeader(dump, 0).nlmsg_seq; }

class RecordedDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = test_util::ReadBytes(FixturePath("netlink/small.bin"));
    ASSERT_EQ(file_.size(), 4532u) << "small.bin was re-recorded: update the README and this test";
    dumps_ = test_util::SplitDumps(file_);
    ASSERT_EQ(dumps_.size(), 2u);
  }
  Bytes file_;
  std::vector<Bytes> dumps_;
};

TEST_F(RecordedDumpTest, ParsesBothDumpsExactlyAsSsShowedThem) {
  std::vector<SocketRecord> all;
  const size_t expected_records[] = {25, 12};
  const Family expected_family[] = {Family::kIpv4, Family::kIpv6};
  for (size_t i = 0; i < dumps_.size(); ++i) {
    Parsed p = Parse(dumps_[i], FirstSeq(dumps_[i]), kRecordedPid);
    ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
    EXPECT_TRUE(p.state.done);
    EXPECT_FALSE(p.state.stats.interrupted);
    EXPECT_EQ(p.state.stats.records, expected_records[i]);
    EXPECT_EQ(p.state.stats.messages, expected_records[i] + 1);  // + NLMSG_DONE
    EXPECT_EQ(p.state.stats.bytes, dumps_[i].size());
    EXPECT_EQ(p.state.stats.skipped, 0u);
    ASSERT_EQ(p.records.size(), expected_records[i]);
    for (const SocketRecord& r : p.records) EXPECT_EQ(r.family(), expected_family[i]);
    all.insert(all.end(), p.records.begin(), p.records.end());
  }
  // Every field ss -tan prints (state, queues, addresses, ports), socket by socket.
  EXPECT_EQ(AsSsRows(all), test_util::ReadSsRows(FixturePath("netlink/small.ss.txt")));
}

TEST_F(RecordedDumpTest, CountsStatesPerFamily) {
  std::map<std::pair<Family, TcpState>, int> counts;
  for (const Bytes& dump : dumps_) {
    Parsed p = Parse(dump, FirstSeq(dump), kRecordedPid);
    ASSERT_TRUE(p.status.ok());
    for (const SocketRecord& r : p.records) ++counts[{r.family(), r.state}];
  }
  const std::map<std::pair<Family, TcpState>, int> expected = {
      {{Family::kIpv4, TcpState::kEstablished}, 16}, {{Family::kIpv4, TcpState::kSynSent}, 1},
      {{Family::kIpv4, TcpState::kSynRecv}, 1},      {{Family::kIpv4, TcpState::kFinWait2}, 1},
      {{Family::kIpv4, TcpState::kTimeWait}, 1},     {{Family::kIpv4, TcpState::kCloseWait}, 1},
      {{Family::kIpv4, TcpState::kListen}, 4},       {{Family::kIpv6, TcpState::kEstablished}, 7},
      {{Family::kIpv6, TcpState::kFinWait2}, 1},     {{Family::kIpv6, TcpState::kTimeWait}, 1},
      {{Family::kIpv6, TcpState::kCloseWait}, 1},    {{Family::kIpv6, TcpState::kListen}, 2},
  };
  EXPECT_EQ(counts, expected);
}

TEST_F(RecordedDumpTest, MessageBoundariesBetweenBuffersDoNotMatter) {
  // The kernel fills each recv() with whole messages; feed one message per buffer.
  const Bytes& dump = dumps_[0];
  DiagDumpState state;
  state.seq = FirstSeq(dump);
  state.portid = kRecordedPid;
  std::vector<SocketRecord> records;
  const auto messages = test_util::Messages(dump);
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_FALSE(state.done) << "done before message " << i;
    const std::span<const uint8_t> one(dump.data() + messages[i].offset, messages[i].size);
    ASSERT_TRUE(ParseDiagBuffer(one, state, [&](const SocketRecord& r) { records.push_back(r); }));
  }
  EXPECT_TRUE(state.done);
  EXPECT_EQ(records.size(), 25u);
  EXPECT_EQ(state.stats.records, 25u);
  EXPECT_EQ(state.stats.bytes, dump.size());
}

TEST_F(RecordedDumpTest, StopsAtNlmsgDone) {
  // Both dumps in one buffer: the first NLMSG_DONE ends the dump being read.
  Parsed p = Parse(file_, FirstSeq(dumps_[0]), kRecordedPid);
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  EXPECT_TRUE(p.state.done);
  EXPECT_EQ(p.records.size(), 25u);
  for (const SocketRecord& r : p.records) EXPECT_EQ(r.family(), Family::kIpv4);
}

TEST_F(RecordedDumpTest, PortIdZeroAcceptsAnySender) {
  Parsed p = Parse(dumps_[1], FirstSeq(dumps_[1]), /*portid=*/0);
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.records.size(), 12u);
}

TEST_F(RecordedDumpTest, RejectsAnotherPortId) {
  Parsed p = Parse(dumps_[0], FirstSeq(dumps_[0]), kRecordedPid + 1);
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_NE(p.status.error().message.find("port id"), std::string::npos)
      << p.status.error().message;
  EXPECT_TRUE(p.records.empty());
}

TEST_F(RecordedDumpTest, RejectsAnotherSequenceNumber) {
  Parsed p = Parse(dumps_[0], FirstSeq(dumps_[0]) + 1, kRecordedPid);
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_NE(p.status.error().message.find("sequence"), std::string::npos);
  EXPECT_TRUE(p.records.empty());
}

TEST_F(RecordedDumpTest, StrayMessageInTheMiddleStopsTheDump) {
  Bytes dump = dumps_[0];
  const auto messages = test_util::Messages(dump);
  nlmsghdr h = messages[10].header;
  h.nlmsg_seq += 7;
  test_util::WriteHeader(dump, messages[10].offset, h);
  Parsed p = Parse(dump, FirstSeq(dump), kRecordedPid);
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(p.records.size(), 10u);  // the ten before it were streamed already
}

TEST_F(RecordedDumpTest, TruncatedBufferIsAProtocolError) {
  const Bytes& dump = dumps_[0];
  const auto messages = test_util::Messages(dump);
  // Cut in the middle of the fourth message.
  const std::span<const uint8_t> cut(dump.data(), messages[3].offset + 30);
  Parsed p = Parse(cut, FirstSeq(dump), kRecordedPid);
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_NE(p.status.error().message.find("truncated"), std::string::npos);
  EXPECT_EQ(p.records.size(), 3u);
  EXPECT_FALSE(p.state.done);
}

TEST_F(RecordedDumpTest, AttributeLongerThanItsMessageIsAProtocolError) {
  Bytes dump = dumps_[0];
  const auto messages = test_util::Messages(dump);
  // The first attribute after inet_diag_msg of the second message claims 255 bytes.
  const size_t attr = messages[1].offset + sizeof(nlmsghdr) + sizeof(inet_diag_msg);
  ASSERT_GT(messages[1].header.nlmsg_len, sizeof(nlmsghdr) + sizeof(inet_diag_msg));
  nlattr a{};
  std::memcpy(&a, dump.data() + attr, sizeof a);
  a.nla_len = 255;
  std::memcpy(dump.data() + attr, &a, sizeof a);
  Parsed p = Parse(dump, FirstSeq(dump), kRecordedPid);
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_NE(p.status.error().message.find("attribute"), std::string::npos);
  EXPECT_EQ(p.records.size(), 1u);
}

TEST_F(RecordedDumpTest, DumpIntrIsReportedAndRecordsStillArrive) {
  Bytes dump = dumps_[0];
  for (const auto& m : test_util::Messages(dump)) {
    if (m.header.nlmsg_type != NLMSG_DONE) continue;
    nlmsghdr h = m.header;
    h.nlmsg_flags |= NLM_F_DUMP_INTR;  // the kernel marks the DONE of an inconsistent dump
    test_util::WriteHeader(dump, m.offset, h);
  }
  Parsed p = Parse(dump, FirstSeq(dump), kRecordedPid);
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  EXPECT_TRUE(p.state.stats.interrupted);
  EXPECT_TRUE(p.state.done);
  EXPECT_EQ(p.records.size(), 25u);
}

TEST_F(RecordedDumpTest, NoDoneMeansTheDumpIsNotOverYet) {
  // A buffer that ends before NLMSG_DONE is fine by itself: more buffers will follow.
  const Bytes& dump = dumps_[1];
  const std::span<const uint8_t> without_done(dump.data(), dump.size() - 20);
  Parsed p = Parse(without_done, FirstSeq(dump), kRecordedPid);
  ASSERT_TRUE(p.status.ok());
  EXPECT_FALSE(p.state.done);
  EXPECT_EQ(p.records.size(), 12u);
}

// Hand-built messages from here on.

TEST(DiagParserTest, DecodesEveryFieldOfAnIpv4Message) {
  DiagFields f;
  f.state = 8;  // CLOSE_WAIT
  f.timer = 2;
  f.retrans = 3;
  f.src = {10, 1, 2, 3};
  f.dst = {192, 168, 7, 9};
  f.sport = 8080;
  f.dport = 51234;
  f.expires = 7500;
  f.rqueue = 11;
  f.wqueue = 22;
  f.uid = 1000;
  f.inode = 987654;
  f.cookie_low = 0x89abcdef;
  f.cookie_high = 0x01234567;
  const Bytes msg = DiagMessage(f);
  auto r = ParseDiagMessage(reinterpret_cast<const nlmsghdr*>(msg.data()));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->state, TcpState::kCloseWait);
  EXPECT_EQ(r->family(), Family::kIpv4);
  EXPECT_EQ(r->local.ToString(), "10.1.2.3");
  EXPECT_EQ(r->remote.ToString(), "192.168.7.9");
  EXPECT_EQ(r->remote.family, Family::kIpv4);
  EXPECT_EQ(r->local_port, 8080);
  EXPECT_EQ(r->remote_port, 51234);
  EXPECT_EQ(r->recv_queue, 11u);
  EXPECT_EQ(r->send_queue, 22u);
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->inode, 987654u);
  EXPECT_EQ(r->timer, SocketTimer::kKeepalive);
  EXPECT_EQ(r->timer_expires_ms, 7500u);
  EXPECT_EQ(r->retransmits, 3);
  EXPECT_EQ(r->cookie, 0x0123456789abcdefULL);
}

TEST(DiagParserTest, DecodesIpv6Addresses) {
  DiagFields f;
  f.family = AF_INET6;
  f.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  f.dst = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  const Bytes msg = DiagMessage(f);
  auto r = ParseDiagMessage(reinterpret_cast<const nlmsghdr*>(msg.data()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->family(), Family::kIpv6);
  EXPECT_EQ(r->local.ToString(), "2001:db8::1");
  EXPECT_EQ(r->remote.ToString(), "::ffff:127.0.0.1");
}

TEST(DiagParserTest, TimerNumbersBeyondTheKnownOnesMeanNone) {
  DiagFields f;
  f.timer = 9;
  const Bytes msg = DiagMessage(f);
  auto r = ParseDiagMessage(reinterpret_cast<const nlmsghdr*>(msg.data()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timer, SocketTimer::kNone);
}

TEST(DiagParserTest, NewSynRecvIsReportedAsSynRecv) {
  DiagFields f;
  f.state = 12;  // TCP_NEW_SYN_RECV
  const Bytes buffer = test_util::Concat({DiagMessage(f), DoneMessage()});
  Parsed p = Parse(buffer);
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].state, TcpState::kSynRecv);
  EXPECT_EQ(p.state.stats.skipped, 0u);
}

TEST(DiagParserTest, UnknownStateIsSkippedAndCountedNotAnError) {
  DiagFields unknown;
  unknown.state = 13;
  DiagFields known;
  known.state = 10;
  known.sport = 22;
  const Bytes buffer = test_util::Concat(
      {DiagMessage(unknown), DiagMessage(known), DiagMessage(unknown), DoneMessage()});
  Parsed p = Parse(buffer);
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  EXPECT_EQ(p.state.stats.skipped, 2u);
  EXPECT_EQ(p.state.stats.records, 1u);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].state, TcpState::kListen);
  EXPECT_EQ(p.records[0].local_port, 22);
  EXPECT_TRUE(p.state.done);
  // Through ParseDiagMessage alone it is a kUnsupported error.
  const Bytes one = DiagMessage(unknown);
  auto r = ParseDiagMessage(reinterpret_cast<const nlmsghdr*>(one.data()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
}

TEST(DiagParserTest, StateZeroIsUnknownToo) {
  DiagFields f;
  f.state = 0;
  Parsed p = Parse(test_util::Concat({DiagMessage(f), DoneMessage()}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.state.stats.skipped, 1u);
  EXPECT_TRUE(p.records.empty());
}

TEST(DiagParserTest, UnknownFamilyIsAProtocolError) {
  DiagFields f;
  f.family = AF_UNIX;
  const Bytes msg = DiagMessage(f);
  auto r = ParseDiagMessage(reinterpret_cast<const nlmsghdr*>(msg.data()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
}

TEST(DiagParserTest, MessageShorterThanInetDiagMsgIsAProtocolError) {
  // A header that says 16 + 40 bytes: less than the 72 of inet_diag_msg.
  const Bytes short_msg =
      test_util::Message(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, kSeq, kPid, Bytes(40, 0));
  Parsed p = Parse(test_util::Concat({short_msg, DoneMessage()}));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_NE(p.status.error().message.find("too short"), std::string::npos)
      << p.status.error().message;
  EXPECT_FALSE(p.state.done);
}

TEST(DiagParserTest, MessageLongerThanTheBufferIsAProtocolError) {
  Bytes msg = DiagMessage(DiagFields{});
  const Bytes cut(msg.begin(), msg.begin() + 60);  // header says 88, buffer has 60
  Parsed p = Parse(cut);
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  // And a buffer too small for even a header.
  Parsed q = Parse(std::span<const uint8_t>(msg.data(), 10));
  ASSERT_FALSE(q.status.ok());
  EXPECT_EQ(q.status.error().code, ErrorCode::kProtocol);
}

TEST(DiagParserTest, AttributesThatFitAreAccepted) {
  const Bytes attrs = test_util::Concat({test_util::Attribute(INET_DIAG_SHUTDOWN, {0}),
                                         test_util::Attribute(INET_DIAG_MARK, {1, 2, 3, 4})});
  Parsed p = Parse(test_util::Concat({DiagMessage(DiagFields{}, attrs), DoneMessage()}));
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(DiagParserTest, AttributeOverrunningTheMessageIsAProtocolError) {
  const Bytes attrs = test_util::Attribute(INET_DIAG_MARK, {1, 2, 3, 4}, /*length=*/64);
  Parsed p = Parse(test_util::Concat({DiagMessage(DiagFields{}, attrs), DoneMessage()}));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
  EXPECT_TRUE(p.records.empty());
}

TEST(DiagParserTest, AttributeShorterThanItsHeaderIsAProtocolError) {
  const Bytes attrs = test_util::Attribute(INET_DIAG_MARK, {1, 2, 3, 4}, /*length=*/2);
  Parsed p = Parse(test_util::Concat({DiagMessage(DiagFields{}, attrs), DoneMessage()}));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
}

TEST(DiagParserTest, ErrorEpermIsAPermissionErrorWithItsErrno) {
  Parsed p = Parse(ErrorMessage(-EPERM));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kPermission);
  EXPECT_EQ(p.status.error().sys_errno, EPERM);
  EXPECT_TRUE(p.records.empty());
}

TEST(DiagParserTest, ErrorEnoentIsNotFoundWithItsErrno) {
  // What a kernel without tcp_diag answers.
  Parsed p = Parse(ErrorMessage(-ENOENT));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(p.status.error().sys_errno, ENOENT);
}

TEST(DiagParserTest, ErrorAfterSomeRecordsStillFails) {
  Parsed p = Parse(test_util::Concat({DiagMessage(DiagFields{}), ErrorMessage(-EINVAL)}));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().sys_errno, EINVAL);
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(DiagParserTest, AckIsNotAnError) {
  Parsed p = Parse(test_util::Concat({ErrorMessage(0), DiagMessage(DiagFields{}), DoneMessage()}));
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  EXPECT_EQ(p.records.size(), 1u);
  EXPECT_TRUE(p.state.done);
}

TEST(DiagParserTest, TruncatedErrorMessageIsAProtocolError) {
  // NLMSG_ERROR with only 4 payload bytes: no room for struct nlmsgerr.
  const int32_t error = -EPERM;
  Bytes payload(4);
  std::memcpy(payload.data(), &error, 4);
  Parsed p = Parse(test_util::Message(NLMSG_ERROR, 0, kSeq, kPid, payload));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
}

TEST(DiagParserTest, DumpIntrOnADataMessageIsReported) {
  Parsed p = Parse(test_util::Concat(
      {DiagMessage(DiagFields{}, {}, NLM_F_MULTI | NLM_F_DUMP_INTR), DoneMessage()}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_TRUE(p.state.stats.interrupted);
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(DiagParserTest, WrongPortIdOnAHandBuiltMessage) {
  Parsed p = Parse(DiagMessage(DiagFields{}, {}, NLM_F_MULTI, kSeq, kPid + 1));
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.error().code, ErrorCode::kProtocol);
}

TEST(DiagParserTest, StatsAccumulateOverBuffers) {
  DiagDumpState state;
  state.seq = kSeq;
  state.portid = kPid;
  int calls = 0;
  const RecordSink sink = [&](const SocketRecord&) { ++calls; };
  const Bytes first = test_util::Concat({DiagMessage(DiagFields{}), DiagMessage(DiagFields{})});
  const Bytes second = test_util::Concat({DiagMessage(DiagFields{}), DoneMessage()});
  ASSERT_TRUE(ParseDiagBuffer(first, state, sink));
  ASSERT_TRUE(ParseDiagBuffer(second, state, sink));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(state.stats.records, 3u);
  EXPECT_EQ(state.stats.messages, 4u);
  EXPECT_EQ(state.stats.bytes, first.size() + second.size());
  EXPECT_TRUE(state.done);
}

TEST(DiagParserTest, DoneWithoutPayloadOrWithZeroEndsTheDump) {
  // Old kernels sent NLMSG_DONE with no payload; current ones carry 0.
  Parsed bare = Parse(test_util::Message(NLMSG_DONE, NLM_F_MULTI, kSeq, kPid, {}));
  ASSERT_TRUE(bare.status.ok()) << bare.status.error().ToString();
  EXPECT_TRUE(bare.state.done);
  Parsed zero = Parse(DoneMessage(0));
  ASSERT_TRUE(zero.status.ok());
  EXPECT_TRUE(zero.state.done);
}

// The kernel reports an error that happens during a dump in NLMSG_DONE's payload, not as
// NLMSG_ERROR (net/netlink/af_netlink.c, netlink_dump_done()). That is how inet_diag reports
// a missing tcp_diag handler: __inet_diag_dump() returns -ENOENT from the dump callback.
// ss (lib/libnetlink.c, rtnl_dump_done) treats a negative value there as a failed dump.
TEST(DiagParserTest, DoneCarryingAnErrnoIsAnError) {
  Parsed p = Parse(DoneMessage(-ENOENT));
  ASSERT_FALSE(p.status.ok()) << "a dump the kernel aborted with ENOENT was taken as complete";
  EXPECT_EQ(p.status.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(p.status.error().sys_errno, ENOENT);
}

}  // namespace
}  // namespace tcpdoctor

namespace tcpdoctor {
namespace {

// A tcp_info attribute of `size` bytes with tcpi_last_data_recv set (if it fits).
test_util::Bytes TcpInfoAttribute(uint32_t last_data_recv_ms, size_t size = sizeof(tcp_info)) {
  tcp_info info{};
  info.tcpi_state = 8;
  info.tcpi_last_data_recv = last_data_recv_ms;
  info.tcpi_last_data_sent = 1;  // the field before it: must not be taken instead
  test_util::Bytes data(reinterpret_cast<const uint8_t*>(&info),
                        reinterpret_cast<const uint8_t*>(&info) + size);
  return test_util::Attribute(INET_DIAG_INFO, data);
}

TEST(DiagParserTcpInfoTest, LastDataReceivedAgeComesFromTcpInfo) {
  Parsed p = Parse(
      test_util::Concat({test_util::DiagMessage(test_util::DiagFields{}, TcpInfoAttribute(123456)),
                         test_util::DoneMessage()}));
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].last_data_recv_ms, 123456u);
}

TEST(DiagParserTcpInfoTest, AShortTcpInfoFromAnOldKernelGivesNoAge) {
  // Ends just before tcpi_last_data_recv: an old kernel's smaller struct.
  const size_t short_size = offsetof(tcp_info, tcpi_last_data_recv);
  Parsed p = Parse(test_util::Concat(
      {test_util::DiagMessage(test_util::DiagFields{}, TcpInfoAttribute(99, short_size)),
       test_util::DoneMessage()}));
  ASSERT_TRUE(p.status.ok()) << p.status.error().ToString();
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_FALSE(p.records[0].last_data_recv_ms.has_value());
}

TEST(DiagParserTcpInfoTest, NoTcpInfoGivesNoAge) {
  Parsed p = Parse(test_util::Concat(
      {test_util::DiagMessage(test_util::DiagFields{}), test_util::DoneMessage()}));
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_FALSE(p.records[0].last_data_recv_ms.has_value());
}

}  // namespace
}  // namespace tcpdoctor
