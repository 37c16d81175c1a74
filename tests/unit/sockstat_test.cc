// ParseSockstat and ReadSockstat on tests/fixtures/proc/counters (see its README.md).
#include <gtest/gtest.h>

#include <string>

#include "collect/proc_net_counters.h"
#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;

std::string Root(const std::string& host) { return FixturePath("proc/counters/" + host); }

Sockstat ReadFixture(const std::string& host) {
  auto s = ReadSockstat(ProcFs(Root(host)));
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return s.ok() ? *s : Sockstat{};
}

std::vector<std::string> Protocols(const Sockstat& s) {
  std::vector<std::string> out;
  for (const SockstatLine& line : s.lines) out.push_back(line.protocol);
  return out;
}

std::vector<std::string> FieldNames(const SockstatLine& line) {
  std::vector<std::string> out;
  for (const SockstatField& f : line.fields) out.push_back(f.name);
  return out;
}

TEST(ReadSockstatTest, Kernel618HostMergesSockstat6) {
  const Sockstat s = ReadFixture("kernel-6.18");
  EXPECT_EQ(Protocols(s),
            (std::vector<std::string>{"sockets", "TCP", "UDP", "UDPLITE", "RAW", "FRAG", "TCP6",
                                      "UDP6", "UDPLITE6", "RAW6", "FRAG6"}));
  EXPECT_TRUE(s.HasIpv6());
  EXPECT_EQ(s.Get("sockets", "used"), 13u);
  ASSERT_NE(s.Find("TCP"), nullptr);
  EXPECT_EQ(FieldNames(*s.Find("TCP")),
            (std::vector<std::string>{"inuse", "orphan", "tw", "alloc", "mem"}));
  EXPECT_EQ(s.Get("TCP", "inuse"), 1u);
  EXPECT_EQ(s.Get("TCP", "tw"), 0u);
  EXPECT_EQ(s.Get("TCP", "alloc"), 645841u);
  EXPECT_EQ(s.Get("TCP", "mem"), 29959u);
  EXPECT_EQ(s.Get("FRAG", "memory"), 0u);
  EXPECT_EQ(s.Get("TCP6", "inuse"), 0u);
  EXPECT_EQ(s.Get("TCP6", "tw"), std::nullopt);  // sockstat6 has no tw: TCP tw counts both
  EXPECT_EQ(s.Get("TCP", "nonsense"), std::nullopt);
  EXPECT_EQ(s.Get("SCTP", "inuse"), std::nullopt);
}

TEST(ReadSockstatTest, Kernel618NetnsCountsItsTimeWait) {
  const Sockstat s = ReadFixture("kernel-6.18-netns");
  EXPECT_EQ(s.Get("sockets", "used"), 11u);
  EXPECT_EQ(s.Get("TCP", "inuse"), 11u);
  EXPECT_EQ(s.Get("TCP", "tw"), 3u);
  EXPECT_EQ(s.Get("TCP", "orphan"), 0u);
  EXPECT_EQ(s.Get("TCP", "alloc"), 663230u);  // global: the host's whole allocation
  EXPECT_TRUE(s.HasIpv6());
}

TEST(ReadSockstatTest, Kernel49) {
  const Sockstat s = ReadFixture("kernel-4.9");
  EXPECT_EQ(s.Get("sockets", "used"), 1421u);
  EXPECT_EQ(s.Get("TCP", "tw"), 10057u);
  EXPECT_EQ(s.Get("TCP", "orphan"), 2u);
  EXPECT_EQ(s.Get("UDP", "mem"), 4u);
  EXPECT_EQ(s.Get("TCP6", "inuse"), 40u);
  EXPECT_EQ(s.Get("RAW6", "inuse"), 1u);
}

TEST(ReadSockstatTest, Kernel2618LacksFieldsAndIpv6) {
  const Sockstat s = ReadFixture("kernel-2.6.18");
  EXPECT_EQ(Protocols(s), (std::vector<std::string>{"sockets", "TCP", "UDP", "RAW", "FRAG"}));
  EXPECT_EQ(s.Get("UDP", "inuse"), 4u);
  EXPECT_EQ(s.Get("UDP", "mem"), std::nullopt);  // added in 2.6.25
  EXPECT_EQ(s.Get("TCP", "tw"), 2u);
  EXPECT_FALSE(s.HasIpv6());
}

TEST(ReadSockstatTest, UnknownTrailingFieldIsKept) {
  const Sockstat s = ReadFixture("future-ipv4-only");
  ASSERT_NE(s.Find("TCP"), nullptr);
  EXPECT_EQ(FieldNames(*s.Find("TCP")),
            (std::vector<std::string>{"inuse", "orphan", "tw", "alloc", "mem", "pressure"}));
  EXPECT_EQ(s.Get("TCP", "pressure"), 0u);
  EXPECT_EQ(s.Get("TCP", "mem"), 3u);
  EXPECT_FALSE(s.HasIpv6());  // no sockstat6: IPv6 off, not an error
}

TEST(ParseSockstatTest, AnyFieldOrderAndUnknownProtocols) {
  auto s = ParseSockstat("TCP: mem 3 newfield 9 inuse 5\nSCTP: inuse 2\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(s->lines.size(), 2u);
  EXPECT_EQ(FieldNames(s->lines[0]), (std::vector<std::string>{"mem", "newfield", "inuse"}));
  EXPECT_EQ(s->Get("TCP", "inuse"), 5u);
  EXPECT_EQ(s->Get("TCP", "newfield"), 9u);
  EXPECT_EQ(s->Get("SCTP", "inuse"), 2u);
}

TEST(ParseSockstatTest, EmptyBlankCrlfAndNoFinalNewline) {
  auto empty = ParseSockstat("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->lines.empty());
  auto s = ParseSockstat("\nsockets: used 4\r\n\nTCP: inuse 1\ttw 2  ");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->Get("sockets", "used"), 4u);
  EXPECT_EQ(s->Get("TCP", "tw"), 2u);
  auto bare = ParseSockstat("RAW:\n");  // a protocol with no fields
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->lines[0].fields.empty());
}

TEST(ParseSockstatTest, ErrorsNameProtocolAndLine) {
  struct Case {
    std::string_view text;
    std::string_view context;
    std::string_view in_message;
  };
  for (const Case& c : {
           Case{"sockets: used 1\nTCP: inuse 1 tw\n", "line 2", "TCP: field \"tw\" has no value"},
           Case{"UDP: inuse many\n", "line 1", "UDP: value \"many\" of inuse"},
           Case{"TCP: inuse -1\n", "line 1", "\"-1\""},
           Case{"TCP inuse 1\n", "line 1", "expected"},
       }) {
    auto s = ParseSockstat(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.error().code, ErrorCode::kParse);
    EXPECT_EQ(s.error().context, c.context);
    EXPECT_NE(s.error().message.find(c.in_message), std::string::npos) << s.error().message;
  }
}

TEST(ReadSockstatTest, MalformedFileNamesPath) {
  const std::string root = Root("malformed");
  auto s = ReadSockstat(ProcFs(root));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kParse);
  EXPECT_EQ(s.error().context, root + "/net/sockstat line 2");
}

TEST(ReadSockstatTest, MissingSockstatIsNotFound) {
  auto s = ReadSockstat(ProcFs(Root("does-not-exist")));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().context, Root("does-not-exist") + "/net/sockstat");
}

}  // namespace
}  // namespace tcpdoctor
