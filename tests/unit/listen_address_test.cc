#include "serve/listen_address.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

TEST(ListenAddressTest, ParsesIpv4AndBracketedIpv6) {
  auto v4 = ParseListenAddress("127.0.0.1:9947");
  ASSERT_TRUE(v4) << v4.error().ToString();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9947);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:9947");
  EXPECT_TRUE(v4->IsLoopback());

  auto v6 = ParseListenAddress("[::1]:1");
  ASSERT_TRUE(v6) << v6.error().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 1);
  EXPECT_EQ(v6->ToString(), "[::1]:1");
  EXPECT_TRUE(v6->IsLoopback());

  auto any = ParseListenAddress("0.0.0.0:65535");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 65535);
  EXPECT_FALSE(any->IsLoopback());
  auto any6 = ParseListenAddress("[::]:9947");
  ASSERT_TRUE(any6);
  EXPECT_FALSE(any6->IsLoopback());
  EXPECT_TRUE(ParseListenAddress("127.8.9.10:80")->IsLoopback());
}

TEST(ListenAddressTest, RefusesWhatItCannotBindExactly) {
  for (const char* bad :
       {"", "9947", ":9947", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:99x", "127.0.0.1:-1", "localhost:9947", "::1:9947", "[::1]", "[::1]9947",
        "[::1:9947", "[nope]:80", "300.1.1.1:80"}) {
    auto parsed = ParseListenAddress(bad);
    ASSERT_FALSE(parsed) << "accepted '" << bad << "'";
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(parsed.error().context, "--listen") << bad;
    EXPECT_NE(parsed.error().ToString().find("127.0.0.1:9947"), std::string::npos)
        << "the hint shows the form: " << parsed.error().ToString();
  }
}

}  // namespace
}  // namespace tcpdoctor
