// The /proc/net/tcp{,6} parser and source: hand-written lines, and the real files recorded
// with the netlink fixture (tests/fixtures/proc/small, same moment as netlink/small.bin).
#include "collect/proc_net_tcp.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <tuple>
#include <vector>

#include "collect/replay_source.h"
#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;

constexpr const char* kHeader4 =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode";

SocketRecord ParseOk(std::string_view line, Family family) {
  auto parsed = ParseProcNetTcpLine(line, family);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  if (!parsed.ok() || !parsed->has_value()) {
    ADD_FAILURE() << "no record from: " << line;
    return {};
  }
  return **parsed;
}

Error ParseError(std::string_view line, Family family) {
  auto parsed = ParseProcNetTcpLine(line, family);
  EXPECT_FALSE(parsed.ok()) << "accepted: " << line;
  if (parsed.ok()) return {};
  return parsed.error();
}

TEST(ParseProcNetTcpLineTest, HeaderAndBlankLinesGiveNoRecord) {
  for (const char* line : {kHeader4, "", "   "}) {
    auto parsed = ParseProcNetTcpLine(line, Family::kIpv4);
    ASSERT_TRUE(parsed.ok()) << line;
    EXPECT_FALSE(parsed->has_value()) << line;
  }
  auto header6 = ParseProcNetTcpLine(
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      Family::kIpv6);
  ASSERT_TRUE(header6.ok());
  EXPECT_FALSE(header6->has_value());
}

TEST(ParseProcNetTcpLineTest, Listener) {
  // From tests/fixtures/proc/small: 10.0.0.1:9000 with two connections waiting for accept().
  const SocketRecord r = ParseOk(
      "   3: 0100000A:2328 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 "
      "4337662 3 000000004fa7abc4 100 0 0 10 0",
      Family::kIpv4);
  EXPECT_EQ(r.state, TcpState::kListen);
  EXPECT_EQ(r.family(), Family::kIpv4);
  EXPECT_EQ(r.local.ToString(), "10.0.0.1");
  EXPECT_EQ(r.local_port, 9000);
  EXPECT_EQ(r.remote.ToString(), "0.0.0.0");
  EXPECT_EQ(r.remote_port, 0);
  EXPECT_EQ(r.recv_queue, 2u);  // accept queue length
  EXPECT_EQ(r.send_queue, 0u);  // /proc does not show the backlog
  EXPECT_EQ(r.inode, 4337662u);
  EXPECT_EQ(r.uid, 0u);
  EXPECT_EQ(r.cookie, 0u);
  EXPECT_EQ(r.timer, SocketTimer::kNone);
}

TEST(ParseProcNetTcpLineTest, EstablishedWithQueuesTimerAndUid) {
  ASSERT_EQ(::sysconf(_SC_CLK_TCK), 100) << "the jiffies below assume USER_HZ 100";
  const SocketRecord r = ParseOk(
      "   1: 0100007F:C350 0200000A:01BB 01 0000000A:00000014 02:000003E8 00000003  1000        0 "
      "12346 1 0000000000000000 20 4 30 10 -1",
      Family::kIpv4);
  EXPECT_EQ(r.state, TcpState::kEstablished);
  EXPECT_EQ(r.local.ToString(), "127.0.0.1");
  EXPECT_EQ(r.local_port, 50000);
  EXPECT_EQ(r.remote.ToString(), "10.0.0.2");
  EXPECT_EQ(r.remote_port, 443);
  EXPECT_EQ(r.send_queue, 10u);  // tx_queue comes first
  EXPECT_EQ(r.recv_queue, 20u);
  EXPECT_EQ(r.timer, SocketTimer::kKeepalive);
  EXPECT_EQ(r.timer_expires_ms, 10000u);  // 1000 ticks of 10 ms
  EXPECT_EQ(r.retransmits, 3);
  EXPECT_EQ(r.uid, 1000u);
  EXPECT_EQ(r.inode, 12346u);
}

TEST(ParseProcNetTcpLineTest, TimeWait) {
  // A real line: no inode, and the line is shorter (timewait sockets print fewer fields).
  const SocketRecord r = ParseOk(
      "  19: 0100007F:9C69 0100007F:1F90 06 00000000:00000000 03:00001708 00000000     0        0 "
      "0 3 000000003242b93d",
      Family::kIpv4);
  EXPECT_EQ(r.state, TcpState::kTimeWait);
  EXPECT_EQ(r.local_port, 40041);
  EXPECT_EQ(r.remote_port, 8080);
  EXPECT_EQ(r.inode, 0u);
  EXPECT_EQ(r.timer, SocketTimer::kTimeWait);
  EXPECT_EQ(r.timer_expires_ms, 58960u);  // 0x1708 = 5896 ticks
}

TEST(ParseProcNetTcpLineTest, Ipv6AddressesAreFourNativeOrderWords) {
  // ::1 is printed 00000000 00000000 00000000 01000000 on a little-endian host.
  const SocketRecord loopback = ParseOk(
      "   9: 00000000000000000000000001000000:9CB9 00000000000000000000000001000000:20FB 06 "
      "00000000:00000000 03:00001707 00000000     0        0 0 3 00000000b4dcf383",
      Family::kIpv6);
  EXPECT_EQ(loopback.family(), Family::kIpv6);
  EXPECT_EQ(loopback.local.ToString(), "::1");
  EXPECT_EQ(loopback.local_port, 40121);
  EXPECT_EQ(loopback.remote.ToString(), "::1");
  EXPECT_EQ(loopback.remote_port, 8443);

  const SocketRecord mapped = ParseOk(
      "   2: 0000000000000000FFFF00000100007F:1F91 0000000000000000FFFF00000100007F:9C7D 01 "
      "00000000:00000000 00:00000000 00000000     0        0 4337683 1 00000000e7fd64c9 20 0 0 "
      "10 -1",
      Family::kIpv6);
  EXPECT_EQ(mapped.local.ToString(), "::ffff:127.0.0.1");
  EXPECT_EQ(mapped.remote_port, 40061);

  // 2001:db8::1 -> bytes 20 01 0d b8 | 0 | 0 | 00 00 00 01 -> words B80D0120 ... 01000000.
  const SocketRecord global = ParseOk(
      "   0: B80D0120000000000000000001000000:01BB 000080FE00000000FF0000000200005E:D431 01 "
      "00000000:00000000 00:00000000 00000000   33        0 555 1 0000000000000000 20 0 0 10 -1",
      Family::kIpv6);
  EXPECT_EQ(global.local.ToString(), "2001:db8::1");
  EXPECT_EQ(global.local_port, 443);
  EXPECT_EQ(global.remote.ToString(), "fe80::ff:5e00:2");
  EXPECT_EQ(global.remote_port, 54321);
  EXPECT_EQ(global.uid, 33u);
}

TEST(ParseProcNetTcpLineTest, NewSynRecvNumberIsSynRecv) {
  const SocketRecord r = ParseOk(
      "   0: 0100007F:1B58 0100007F:9C55 0C 00000000:00000000 01:000000BD 00000001     0        0 "
      "0 0 000000003d0c5c58",
      Family::kIpv4);
  EXPECT_EQ(r.state, TcpState::kSynRecv);
}

TEST(ParseProcNetTcpLineTest, MalformedLinesAreParseErrors) {
  const char* const bad_lines[] = {
      // too few fields
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",
      // local address not hex
      "   0: 0100Z07F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1",
      // port not hex
      "   0: 0100007F:1FXX 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1",
      // address too short
      "   0: 100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
      // an IPv6 address where IPv4 is expected
      "   0: 00000000000000000000000001000000:1F90 00000000:0000 0A 00000000:00000000 "
      "00:00000000 00000000     0        0 1",
      // unknown state 0x0D
      "   0: 0100007F:1F90 00000000:0000 0D 00000000:00000000 00:00000000 00000000     0        0 "
      "1",
      // state 0 is not a TCP state
      "   0: 0100007F:1F90 00000000:0000 00 00000000:00000000 00:00000000 00000000     0        0 "
      "1",
      // queues without a colon
      "   0: 0100007F:1F90 00000000:0000 0A 0000000000000000 00:00000000 00000000     0        0 1",
      // uid not decimal
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     x        0 "
      "1",
      // inode not decimal
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1a",
  };
  for (const char* line : bad_lines) {
    const Error e = ParseError(line, Family::kIpv4);
    EXPECT_EQ(e.code, ErrorCode::kParse) << line;
  }
}

TEST(ProcNetTcpSourceTest, RecordedFilesMatchSs) {
  const ProcFs proc(FixturePath("proc/small"));
  ProcNetTcpSource source(proc);
  std::vector<SocketRecord> all;
  const auto sink = [&](const SocketRecord& r) { all.push_back(r); };
  DumpQuery q4;
  q4.family = Family::kIpv4;
  auto v4 = source.Dump(q4, sink);
  ASSERT_TRUE(v4.ok()) << v4.error().ToString();
  EXPECT_EQ(v4->records, 25u);
  EXPECT_EQ(v4->messages, 26u);  // lines, header included
  DumpQuery q6;
  q6.family = Family::kIpv6;
  auto v6 = source.Dump(q6, sink);
  ASSERT_TRUE(v6.ok()) << v6.error().ToString();
  EXPECT_EQ(v6->records, 12u);
  EXPECT_EQ(all.size(), 37u);

  // ss's Send-Q of a listener is its backlog, which /proc does not show.
  std::vector<test_util::SsRow> expected =
      test_util::ReadSsRows(FixturePath("netlink/small.ss.txt"));
  for (auto& row : expected) {
    if (row.state == "LISTEN") row.send_q = 0;
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(test_util::AsSsRows(all), expected);
}

TEST(ProcNetTcpSourceTest, AgreesWithTheNetlinkRecordingSocketForSocket) {
  using Key = std::tuple<TcpState, std::string, uint16_t, std::string, uint16_t>;
  const auto key = [](const SocketRecord& r) {
    return Key{r.state, r.local.ToString(), r.local_port, r.remote.ToString(), r.remote_port};
  };
  std::map<Key, SocketRecord> from_proc, from_netlink;
  const ProcFs proc(FixturePath("proc/small"));
  ProcNetTcpSource proc_source(proc);
  ReplaySource replay(FixturePath("netlink/small.bin"));
  for (Family family : {Family::kIpv4, Family::kIpv6}) {
    DumpQuery q;
    q.family = family;
    ASSERT_TRUE(proc_source.Dump(q, [&](const SocketRecord& r) { from_proc[key(r)] = r; }));
    ASSERT_TRUE(replay.Dump(q, [&](const SocketRecord& r) { from_netlink[key(r)] = r; }));
  }
  ASSERT_EQ(from_proc.size(), 37u);
  ASSERT_EQ(from_netlink.size(), 37u);
  for (const auto& [k, n] : from_netlink) {
    auto it = from_proc.find(k);
    ASSERT_NE(it, from_proc.end()) << "not in /proc: " << test_util::AsSsRow(n);
    const SocketRecord& p = it->second;
    EXPECT_EQ(p.family(), n.family());
    EXPECT_EQ(p.inode, n.inode) << test_util::AsSsRow(n);
    EXPECT_EQ(p.uid, n.uid);
    EXPECT_EQ(p.recv_queue, n.recv_queue) << test_util::AsSsRow(n);
    EXPECT_EQ(p.timer, n.timer) << test_util::AsSsRow(n);
    if (n.state == TcpState::kListen) {
      EXPECT_EQ(p.send_queue, 0u);
    } else {
      EXPECT_EQ(p.send_queue, n.send_queue) << test_util::AsSsRow(n);
    }
  }
}

TEST(ProcNetTcpSourceTest, QueryFiltersStatesAndPorts) {
  const ProcFs proc(FixturePath("proc/small"));
  ProcNetTcpSource source(proc);
  DumpQuery q;
  q.family = Family::kIpv4;
  q.states = StateBit(TcpState::kListen) | StateBit(TcpState::kTimeWait);
  int count = 0;
  auto stats = source.Dump(q, [&](const SocketRecord& r) {
    ++count;
    EXPECT_TRUE(r.state == TcpState::kListen || r.state == TcpState::kTimeWait);
  });
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(count, 5);  // 4 listeners, 1 TIME_WAIT
  EXPECT_EQ(stats->records, 5u);

  DumpQuery ports;
  ports.family = Family::kIpv6;
  ports.local_port = 8443;
  ports.remote_port = 40131;
  std::vector<SocketRecord> got;
  ASSERT_TRUE(source.Dump(ports, [&](const SocketRecord& r) { got.push_back(r); }));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, TcpState::kCloseWait);
}

TEST(ProcNetTcpSourceTest, NoTcp6FileMeansNoIpv6Sockets) {
  const ProcFs proc(FixturePath("proc/ipv4_only"));
  ProcNetTcpSource source(proc);
  DumpQuery q6;
  q6.family = Family::kIpv6;
  int v6 = 0;
  auto stats = source.Dump(q6, [&](const SocketRecord&) { ++v6; });
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(v6, 0);
  EXPECT_EQ(stats->records, 0u);

  // The IPv4 file's last line has no newline and is read all the same.
  DumpQuery q4;
  std::vector<SocketRecord> v4;
  ASSERT_TRUE(source.Dump(q4, [&](const SocketRecord& r) { v4.push_back(r); }));
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_EQ(v4[0].state, TcpState::kListen);
  EXPECT_EQ(v4[0].local_port, 8080);
  EXPECT_EQ(v4[0].recv_queue, 3u);
  EXPECT_EQ(v4[0].inode, 12345u);
  EXPECT_EQ(v4[1].state, TcpState::kEstablished);
  EXPECT_EQ(v4[1].remote.ToString(), "10.0.0.2");
  EXPECT_EQ(v4[1].inode, 12346u);
}

TEST(ProcNetTcpSourceTest, NoTcpFileIsAnError) {
  const ProcFs proc(FixturePath("proc/does_not_exist"));
  ProcNetTcpSource source(proc);
  DumpQuery q4;
  auto stats = source.Dump(q4, [](const SocketRecord&) {});
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code, ErrorCode::kNotFound);
}

TEST(ProcNetTcpSourceTest, MalformedLineNamesFileAndLine) {
  const ProcFs proc(FixturePath("proc/malformed"));
  ProcNetTcpSource source(proc);
  DumpQuery q4;
  int before = 0;
  auto stats = source.Dump(q4, [&](const SocketRecord&) { ++before; });
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code, ErrorCode::kParse);
  EXPECT_EQ(stats.error().context, FixturePath("proc/malformed") + "/net/tcp line 3");
  EXPECT_EQ(before, 1);  // line 2 was good and streamed; line 4 never read
}

}  // namespace
}  // namespace tcpdoctor
