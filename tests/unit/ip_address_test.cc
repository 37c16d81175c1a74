// IpAddress and Cidr: parsing, printing, and prefix matching (v4, v6, v4-mapped).
#include "model/ip_address.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

IpAddress Ip(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

bool In(const char* cidr, const char* address) {
  auto c = Cidr::Parse(cidr);
  EXPECT_TRUE(c.has_value()) << cidr;
  return c && c->Contains(Ip(address));
}

TEST(IpAddressTest, ParsesIpv4IntoNetworkOrderBytes) {
  const IpAddress a = Ip("192.168.1.20");
  EXPECT_EQ(a.family, Family::kIpv4);
  const std::array<uint8_t, 16> expected = {192, 168, 1, 20};
  EXPECT_EQ(a.bytes, expected);  // and the other twelve stay zero
  EXPECT_EQ(a.V4HostOrder(), 0xc0a80114u);
  EXPECT_EQ(a.ToString(), "192.168.1.20");
  EXPECT_EQ(a.ToStringForPort(), "192.168.1.20");
}

TEST(IpAddressTest, ParsesIpv6InAnySpelling) {
  const IpAddress a = Ip("2001:DB8:0:0::1");
  EXPECT_EQ(a.family, Family::kIpv6);
  EXPECT_EQ(a.bytes[0], 0x20);
  EXPECT_EQ(a.bytes[1], 0x01);
  EXPECT_EQ(a.bytes[2], 0x0d);
  EXPECT_EQ(a.bytes[3], 0xb8);
  EXPECT_EQ(a.bytes[15], 1);
  EXPECT_EQ(a.ToString(), "2001:db8::1");
  EXPECT_EQ(a.ToStringForPort(), "[2001:db8::1]");
  EXPECT_EQ(Ip("[::1]"), Ip("::1"));  // brackets, as after a port
  EXPECT_EQ(Ip("::ffff:10.1.2.3").ToString(), "::ffff:10.1.2.3");
  EXPECT_EQ(Ip("::").ToString(), "::");
}

TEST(IpAddressTest, RejectsWhatIsNotAnAddress) {
  for (const char* bad : {"", "abc", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
                          "::1::2", "12345::", "[::1", "10.0.0.0/8", "localhost"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpAddressTest, V4AndV6FactoriesCopyBytes) {
  const uint8_t four[4] = {10, 0, 0, 1};
  EXPECT_EQ(IpAddress::V4(four), Ip("10.0.0.1"));
  const uint8_t sixteen[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  EXPECT_EQ(IpAddress::V6(sixteen), Ip("fe80::7"));
  // Same bytes, other family: not equal.
  const uint8_t zeros[16] = {};
  EXPECT_NE(IpAddress::V4(zeros), IpAddress::V6(zeros));
}

TEST(CidrTest, ParsesPrefixesAndBareAddresses) {
  auto c = Cidr::Parse("10.0.0.0/8");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->prefix_len, 8);
  EXPECT_EQ(c->base, Ip("10.0.0.0"));
  auto bare4 = Cidr::Parse("127.0.0.1");
  ASSERT_TRUE(bare4.has_value());
  EXPECT_EQ(bare4->prefix_len, 32);
  auto bare6 = Cidr::Parse("::1");
  ASSERT_TRUE(bare6.has_value());
  EXPECT_EQ(bare6->prefix_len, 128);
  auto zero = Cidr::Parse("0.0.0.0/0");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->prefix_len, 0);
  EXPECT_EQ(Cidr::Parse("::/0")->prefix_len, 0);
  EXPECT_EQ(Cidr::Parse("fd00::/128")->prefix_len, 128);
  EXPECT_EQ(Cidr::Parse("1.2.3.4/32")->prefix_len, 32);
}

TEST(CidrTest, RejectsBadPrefixes) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8a", "10.0.0.0/8/8", "10.0.0.0/ 8", "/8", "abc", "abc/8", "",
                          "10.0.0/8", "10.0.0.0/99999999999"}) {
    EXPECT_FALSE(Cidr::Parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(CidrTest, ContainsIpv4) {
  EXPECT_TRUE(In("10.0.0.0/8", "10.255.255.255"));
  EXPECT_TRUE(In("10.0.0.0/8", "10.0.0.0"));
  EXPECT_FALSE(In("10.0.0.0/8", "11.0.0.0"));
  EXPECT_FALSE(In("10.0.0.0/8", "9.255.255.255"));
  // A prefix that ends inside a byte: 10.0.0.0/9 is 10.0.0.0 - 10.127.255.255.
  EXPECT_TRUE(In("10.0.0.0/9", "10.127.255.255"));
  EXPECT_FALSE(In("10.0.0.0/9", "10.128.0.0"));
  EXPECT_TRUE(In("192.168.4.0/22", "192.168.7.200"));
  EXPECT_FALSE(In("192.168.4.0/22", "192.168.8.1"));
  // Host bits in the base do not matter.
  EXPECT_TRUE(In("10.1.2.3/8", "10.9.9.9"));
  // A bare address matches only itself.
  EXPECT_TRUE(In("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(In("127.0.0.1", "127.0.0.2"));
  // /0 matches every IPv4 address.
  EXPECT_TRUE(In("0.0.0.0/0", "255.255.255.255"));
  EXPECT_TRUE(In("0.0.0.0/0", "0.0.0.0"));
}

TEST(CidrTest, ContainsIpv6) {
  EXPECT_TRUE(In("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(In("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(In("fc00::/7", "fd12:3456::1"));
  EXPECT_FALSE(In("fc00::/7", "fe80::1"));
  EXPECT_TRUE(In("::1/128", "::1"));
  EXPECT_FALSE(In("::1/128", "::2"));
  EXPECT_TRUE(In("::/0", "ffff::ffff"));
  EXPECT_TRUE(In("fe80::/10", "febf::1"));
  EXPECT_FALSE(In("fe80::/10", "fec0::1"));
}

TEST(CidrTest, V4MappedAddressesMatchIpv4Prefixes) {
  EXPECT_TRUE(In("10.0.0.0/8", "::ffff:10.1.2.3"));
  EXPECT_FALSE(In("10.0.0.0/8", "::ffff:11.1.2.3"));
  EXPECT_TRUE(In("127.0.0.1", "::ffff:127.0.0.1"));
  EXPECT_TRUE(In("0.0.0.0/0", "::ffff:1.2.3.4"));
  // Only the ::ffff:0:0/96 form is IPv4: other IPv6 addresses never match an IPv4 prefix,
  // even ones whose last four bytes look right.
  EXPECT_FALSE(In("10.0.0.0/8", "::10.1.2.3"));
  EXPECT_FALSE(In("10.0.0.0/8", "64:ff9b::10.1.2.3"));
  EXPECT_FALSE(In("0.0.0.0/0", "::1"));
}

TEST(CidrTest, FamiliesDoNotMix) {
  EXPECT_FALSE(In("::/0", "10.0.0.1"));
  EXPECT_FALSE(In("0.0.0.0/0", "fe80::1"));
}

}  // namespace
}  // namespace tcpdoctor
