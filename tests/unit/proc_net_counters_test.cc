// ParseNetstatPairs and ReadKernelCounters on the trees of tests/fixtures/proc/counters (see
// its README.md): real 6.18 captures (host and child netns), a hand-written 4.9 layout, and
// text broken on purpose.
#include "collect/proc_net_counters.h"

#include <gtest/gtest.h>

#include <string>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;
using test_util::ReadText;

std::string Root(const std::string& host) { return FixturePath("proc/counters/" + host); }

KernelCounters ParseFixture(const std::string& host, const std::string& file) {
  auto parsed = ParseNetstatPairs(ReadText(Root(host) + "/net/" + file));
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  return parsed.ok() ? *parsed : KernelCounters{};
}

Error ParseErrorOf(std::string_view text) {
  auto parsed = ParseNetstatPairs(text);
  EXPECT_FALSE(parsed.ok()) << "parsed: " << text;
  return parsed.ok() ? Error{} : parsed.error();
}

// --- real captures ---

TEST(ParseNetstatPairsTest, Kernel618NetstatKeepsEveryFieldInOrder) {
  const KernelCounters c = ParseFixture("kernel-6.18", "netstat");
  ASSERT_EQ(c.size(), 229u);  // TcpExt 135 + IpExt 18 + MPTcpExt 76
  EXPECT_EQ(c.entries().front().Key(), "TcpExt.SyncookiesSent");
  EXPECT_EQ(c.entries()[10].Key(), "TcpExt.TW");
  EXPECT_EQ(c.entries().back().Key(), "MPTcpExt.WinProbe");
  EXPECT_EQ(c.Get("TcpExt.TW"), 11u);
  EXPECT_EQ(c.Get("TcpExt.TCPRcvCoalesce"), 528u);
  EXPECT_EQ(c.Get("TcpExt.ListenOverflows"), 0u);
  EXPECT_EQ(c.Get("TcpExt.TCPMigrateReqSuccess"), 0u);  // newer than 4.x
  EXPECT_EQ(c.Get("TcpExt.TCPAODroppedIcmps"), 0u);     // the last TcpExt field on 6.18
  EXPECT_EQ(c.Get("IpExt.InOctets"), 33011135u);
  EXPECT_EQ(c.Get("IpExt.OutOctets"), 34666u);
  EXPECT_EQ(c.Get("MPTcpExt.MPCurrEstab"), 0u);
}

TEST(ParseNetstatPairsTest, Kernel618SnmpHasASignedMaxConn) {
  const KernelCounters c = ParseFixture("kernel-6.18", "snmp");
  ASSERT_EQ(c.size(), 83u);
  const Counter* max_conn = c.Find("Tcp.MaxConn");
  ASSERT_NE(max_conn, nullptr);
  EXPECT_TRUE(max_conn->negative);
  EXPECT_EQ(max_conn->AsSigned(), -1);
  EXPECT_EQ(c.Get("Tcp.MaxConn"), std::nullopt);  // not a count
  EXPECT_EQ(c.GetSigned("Tcp.MaxConn"), -1);
  EXPECT_EQ(c.Get("Tcp.RtoMax"), 120000u);
  EXPECT_EQ(c.Get("Tcp.ActiveOpens"), 15u);
  EXPECT_EQ(c.Get("Tcp.OutRsts"), 4u);
  EXPECT_EQ(c.Get("Ip.OutTransmits"), 475u);
  EXPECT_EQ(c.Get("IcmpMsg.InType3"), 1u);
  EXPECT_EQ(c.Get("Udp.InDatagrams"), 26u);
  EXPECT_EQ(c.Get("UdpLite.MemErrors"), 0u);
}

TEST(ReadKernelCountersTest, Kernel618MergesNetstatThenSnmp) {
  auto c = ReadKernelCounters(ProcFs(Root("kernel-6.18")));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->size(), 229u + 83u);
  EXPECT_TRUE(c->missing_files().empty());
  EXPECT_EQ(c->entries()[229].Key(), "Ip.Forwarding");  // snmp's first field after netstat's
  // A bare name is looked up in TcpExt, then Tcp.
  EXPECT_EQ(c->Get("TW"), 11u);
  EXPECT_EQ(c->Get("ActiveOpens"), 15u);
  EXPECT_EQ(c->Get("InOctets"), std::nullopt);  // IpExt is not searched by bare name
}

TEST(ReadKernelCountersTest, Kernel618NetnsSeesItsOwnOverflows) {
  auto c = ReadKernelCounters(ProcFs(Root("kernel-6.18-netns")));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->Get("TcpExt.ListenOverflows"), 6u);
  EXPECT_EQ(c->Get("ListenDrops"), 6u);
  EXPECT_EQ(c->Get("TcpExt.TW"), 3u);
  EXPECT_EQ(c->Get("TcpExt.TCPSynRetrans"), 3u);
  EXPECT_EQ(c->Get("Tcp.CurrEstab"), 6u);
  EXPECT_EQ(c->Get("Tcp.RetransSegs"), 3u);
  // No ICMP message was ever counted in this netns, so the kernel printed no IcmpMsg pair.
  EXPECT_EQ(c->Find("IcmpMsg.InType3"), nullptr);
  EXPECT_EQ(c->size(), 229u + 82u);
}

TEST(ReadKernelCountersTest, Kernel49LayoutHasOldFieldsAndLacksNewOnes) {
  auto c = ReadKernelCounters(ProcFs(Root("kernel-4.9")));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->size(), 134u + 81u);
  EXPECT_EQ(c->Get("TcpExt.ListenOverflows"), 412u);
  EXPECT_EQ(c->Get("TcpExt.ListenDrops"), 415u);
  EXPECT_EQ(c->Get("TcpExt.TCPTimeWaitOverflow"), 77u);
  EXPECT_EQ(c->Get("TcpExt.TW"), 1048576u);
  EXPECT_EQ(c->Get("TcpExt.TCPReqQFullDoCookies"), 31u);
  EXPECT_EQ(c->Get("TcpExt.TCPPrequeued"), 0u);  // removed in 4.14
  EXPECT_EQ(c->Get("TcpExt.PAWSPassive"), 0u);
  EXPECT_EQ(c->Find("TcpExt.TCPMigrateReqSuccess"), nullptr);
  EXPECT_EQ(c->Find("TcpExt.TCPDelivered"), nullptr);
  EXPECT_EQ(c->Find("MPTcpExt.MPCurrEstab"), nullptr);
  EXPECT_EQ(c->Get("IpExt.InOctets"), 98765432100u);  // wider than 32 bits
  EXPECT_EQ(c->Find("IpExt.ReasmOverlaps"), nullptr);
  EXPECT_EQ(c->Find("Ip.OutTransmits"), nullptr);
  EXPECT_EQ(c->Find("Udp.MemErrors"), nullptr);
  EXPECT_EQ(c->Get("Tcp.CurrEstab"), 287u);
  EXPECT_EQ(c->GetSigned("Tcp.MaxConn"), -1);
  EXPECT_EQ(c->Get("IcmpMsg.OutType3"), 312u);
}

// --- shapes ---

TEST(ParseNetstatPairsTest, AnyFieldOrderAndUnknownFieldsAreKept) {
  auto c = ParseNetstatPairs(
      "TcpExt: TW TCPFutureCounter ListenOverflows SyncookiesSent\n"
      "TcpExt: 5 42 7 9\n"
      "NewSection: Alpha Beta\n"
      "NewSection: 1 2\n");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_EQ(c->size(), 6u);
  EXPECT_EQ(c->entries()[0].Key(), "TcpExt.TW");
  EXPECT_EQ(c->entries()[1].Key(), "TcpExt.TCPFutureCounter");
  EXPECT_EQ(c->Get("ListenOverflows"), 7u);
  EXPECT_EQ(c->Get("SyncookiesSent"), 9u);
  EXPECT_EQ(c->Get("TcpExt.TCPFutureCounter"), 42u);
  EXPECT_EQ(c->Get("NewSection.Beta"), 2u);
}

TEST(ParseNetstatPairsTest, EmptyAndBlankTextGiveNoCounters) {
  for (std::string_view text : {"", "\n", "  \n\t\n"}) {
    auto c = ParseNetstatPairs(text);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    EXPECT_TRUE(c->empty());
  }
}

TEST(ParseNetstatPairsTest, ToleratesTrailingWhitespaceCrlfTabsAndNoFinalNewline) {
  auto c = ParseNetstatPairs("Tcp: A  B\tC   \r\nTcp: 1 2\t3 \t\r\n\nUdp: D\nUdp: 4");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->size(), 4u);
  EXPECT_EQ(c->Get("Tcp.C"), 3u);
  EXPECT_EQ(c->Get("Udp.D"), 4u);
}

TEST(ParseNetstatPairsTest, ASectionMayComeInSeveralPairs) {
  // icmpmsg_put() prints at most 16 types per pair.
  auto c = ParseNetstatPairs(
      "IcmpMsg: InType0 InType3\nIcmpMsg: 1 2\nIcmpMsg: OutType0 OutType3\nIcmpMsg: 3 4\n");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->size(), 4u);
  EXPECT_EQ(c->Get("IcmpMsg.InType3"), 2u);
  EXPECT_EQ(c->Get("IcmpMsg.OutType3"), 4u);
}

TEST(ParseNetstatPairsTest, FullRangeOfValues) {
  auto c = ParseNetstatPairs("X: Max Min Zero\nX: 18446744073709551615 -9223372036854775808 -0\n");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->Get("X.Max"), UINT64_MAX);
  EXPECT_EQ(c->GetSigned("X.Min"), INT64_MIN);
  EXPECT_EQ(c->Get("X.Zero"), 0u);  // "-0" is not negative
}

// --- errors ---

TEST(ParseNetstatPairsTest, CountMismatchNamesSectionAndLines) {
  const Error e = ParseErrorOf("Tcp: A B\nTcp: 1 2\nTcpExt: X Y Z\nTcpExt: 1 2\n");
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_EQ(e.context, "line 4");
  EXPECT_NE(e.message.find("TcpExt"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("3 names on line 3 but 2 values"), std::string::npos) << e.message;
  // More values than names is the same error.
  EXPECT_EQ(ParseErrorOf("Tcp: A\nTcp: 1 2\n").code, ErrorCode::kParse);
}

TEST(ParseNetstatPairsTest, NonNumericValueNamesSectionFieldAndValue) {
  for (std::string_view bad : {"x7", "1.5", "0x10", "12abc", "--1", "18446744073709551616"}) {
    const Error e = ParseErrorOf("Tcp: ActiveOpens PassiveOpens\nTcp: 10 " + std::string(bad));
    EXPECT_EQ(e.code, ErrorCode::kParse);
    EXPECT_EQ(e.context, "line 2");
    EXPECT_NE(e.message.find("section Tcp"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("\"" + std::string(bad) + "\""), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("PassiveOpens"), std::string::npos) << e.message;
  }
}

TEST(ParseNetstatPairsTest, ValuesLineWithoutHeader) {
  const Error e = ParseErrorOf("TcpExt: 0 1 2\n");
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_EQ(e.context, "line 1");
  EXPECT_NE(e.message.find("TcpExt"), std::string::npos);
  EXPECT_NE(e.message.find("without a header"), std::string::npos) << e.message;
}

TEST(ParseNetstatPairsTest, HeaderWithoutValues) {
  // At the end of the text.
  Error e = ParseErrorOf("Tcp: A\nTcp: 1\nUdp: B C\n");
  EXPECT_EQ(e.context, "line 3");
  EXPECT_NE(e.message.find("section Udp: header has no values line"), std::string::npos)
      << e.message;
  // Followed by another section's header.
  e = ParseErrorOf("TcpExt: A B\nIpExt: C\nIpExt: 1\n");
  EXPECT_EQ(e.context, "line 2");
  EXPECT_NE(e.message.find("section TcpExt: header on line 1 has no values line"),
            std::string::npos)
      << e.message;
  // Followed by another header of the same section.
  e = ParseErrorOf("IcmpMsg: InType0\nIcmpMsg: OutType0\nIcmpMsg: 1\n");
  EXPECT_EQ(e.context, "line 2");
  EXPECT_NE(e.message.find("IcmpMsg"), std::string::npos) << e.message;
}

TEST(ParseNetstatPairsTest, LineWithoutSection) {
  for (std::string_view text : {"garbage\n", ": A\n: 1\n", "Two words: A\nTwo words: 1\n"}) {
    const Error e = ParseErrorOf(text);
    EXPECT_EQ(e.code, ErrorCode::kParse);
    EXPECT_EQ(e.context, "line 1");
  }
}

TEST(ReadKernelCountersTest, ParseErrorsCarryThePathAndLine) {
  const std::string root = Root("malformed");
  auto c = ReadKernelCounters(ProcFs(root));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kParse);
  EXPECT_EQ(c.error().context, root + "/net/netstat line 2");
  EXPECT_NE(c.error().message.find("section TcpExt: 4 names on line 1 but 3 values"),
            std::string::npos)
      << c.error().message;
  // The snmp of the same tree: a value that is not a number.
  auto snmp = ParseNetstatPairs(ReadText(root + "/net/snmp"));
  ASSERT_FALSE(snmp.ok());
  EXPECT_NE(snmp.error().message.find("\"x7\" of PassiveOpens"), std::string::npos)
      << snmp.error().message;
}

// --- missing files ---

TEST(ReadKernelCountersTest, OneMissingFileIsReportedNotFatal) {
  const std::string root = Root("future-ipv4-only");  // net/snmp only
  auto c = ReadKernelCounters(ProcFs(root));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_EQ(c->missing_files().size(), 1u);
  EXPECT_EQ(c->missing_files()[0], root + "/net/netstat");
  EXPECT_EQ(c->Get("Tcp.CurrEstab"), 6u);
  EXPECT_EQ(c->Find("ListenOverflows"), nullptr);
}

TEST(ReadKernelCountersTest, BothFilesMissingIsNotFound) {
  const std::string root = Root("kernel-2.6.18");  // a sockstat only
  auto c = ReadKernelCounters(ProcFs(root));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_NE(c.error().context.find(root + "/net/netstat"), std::string::npos);
  EXPECT_NE(c.error().context.find(root + "/net/snmp"), std::string::npos);
}

}  // namespace
}  // namespace tcpdoctor
