// SocketFilter::Matches: each criterion alone, then combined.
#include "model/socket_filter.h"

#include <gtest/gtest.h>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::Record;

const SocketRecord kEstab4 = Record(TcpState::kEstablished, "10.0.0.1", 8080, "192.168.1.5", 50000);
const SocketRecord kTimeWait6 =
    Record(TcpState::kTimeWait, "2001:db8::1", 40000, "2001:db8::2", 443);
const SocketRecord kMapped =
    Record(TcpState::kCloseWait, "::ffff:10.0.0.1", 8081, "::ffff:172.16.0.9", 41000);

TEST(SocketFilterTest, DefaultMatchesEverything) {
  const SocketFilter f;
  EXPECT_TRUE(f.Matches(kEstab4));
  EXPECT_TRUE(f.Matches(kTimeWait6));
  EXPECT_TRUE(f.Matches(kMapped));
  for (TcpState s : kStatesInOrder) {
    SocketRecord r = kEstab4;
    r.state = s;
    EXPECT_TRUE(f.Matches(r)) << StateName(s);
  }
}

TEST(SocketFilterTest, States) {
  SocketFilter f;
  f.states = StateBit(TcpState::kTimeWait) | StateBit(TcpState::kCloseWait);
  EXPECT_FALSE(f.Matches(kEstab4));
  EXPECT_TRUE(f.Matches(kTimeWait6));
  EXPECT_TRUE(f.Matches(kMapped));
  f.states = 0;
  EXPECT_FALSE(f.Matches(kTimeWait6));
}

TEST(SocketFilterTest, Families) {
  SocketFilter v4;
  v4.ipv6 = false;
  EXPECT_TRUE(v4.Matches(kEstab4));
  EXPECT_FALSE(v4.Matches(kTimeWait6));
  EXPECT_FALSE(v4.Matches(kMapped));  // a v4-mapped socket is an IPv6 socket
  SocketFilter v6;
  v6.ipv4 = false;
  EXPECT_FALSE(v6.Matches(kEstab4));
  EXPECT_TRUE(v6.Matches(kTimeWait6));
  EXPECT_TRUE(v6.Matches(kMapped));
}

TEST(SocketFilterTest, LocalAndRemotePorts) {
  SocketFilter sport;
  sport.local_port = 8080;
  EXPECT_TRUE(sport.Matches(kEstab4));
  EXPECT_FALSE(sport.Matches(kTimeWait6));
  SocketFilter wrong_side;
  wrong_side.local_port = 50000;  // kEstab4's remote port
  EXPECT_FALSE(wrong_side.Matches(kEstab4));
  SocketFilter dport;
  dport.remote_port = 443;
  EXPECT_TRUE(dport.Matches(kTimeWait6));
  EXPECT_FALSE(dport.Matches(kEstab4));
  SocketFilter both;
  both.local_port = 40000;
  both.remote_port = 443;
  EXPECT_TRUE(both.Matches(kTimeWait6));
  both.remote_port = 444;
  EXPECT_FALSE(both.Matches(kTimeWait6));
}

TEST(SocketFilterTest, AnyPortMatchesEitherSide) {
  SocketFilter f;
  f.any_port = 443;
  EXPECT_TRUE(f.Matches(kTimeWait6));  // remote
  f.any_port = 40000;
  EXPECT_TRUE(f.Matches(kTimeWait6));  // local
  f.any_port = 8080;
  EXPECT_FALSE(f.Matches(kTimeWait6));
  EXPECT_TRUE(f.Matches(kEstab4));
}

TEST(SocketFilterTest, AddressMatchesEitherSide) {
  SocketFilter local;
  local.any_address = Cidr::Parse("10.0.0.0/8");
  EXPECT_TRUE(local.Matches(kEstab4));  // local side
  EXPECT_FALSE(local.Matches(kTimeWait6));
  EXPECT_TRUE(local.Matches(kMapped));  // ::ffff:10.0.0.1
  SocketFilter remote;
  remote.any_address = Cidr::Parse("192.168.0.0/16");
  EXPECT_TRUE(remote.Matches(kEstab4));  // remote side
  EXPECT_FALSE(remote.Matches(kMapped));
  SocketFilter mapped_remote;
  mapped_remote.any_address = Cidr::Parse("172.16.0.0/12");
  EXPECT_TRUE(mapped_remote.Matches(kMapped));
  SocketFilter v6;
  v6.any_address = Cidr::Parse("2001:db8::2");
  EXPECT_TRUE(v6.Matches(kTimeWait6));
  EXPECT_FALSE(v6.Matches(kEstab4));
}

TEST(SocketFilterTest, AllCriteriaMustHold) {
  SocketFilter f;
  f.states = StateBit(TcpState::kEstablished);
  f.ipv6 = false;
  f.local_port = 8080;
  f.any_port = 50000;
  f.any_address = Cidr::Parse("192.168.1.0/24");
  EXPECT_TRUE(f.Matches(kEstab4));
  SocketFilter g = f;
  g.states = StateBit(TcpState::kListen);
  EXPECT_FALSE(g.Matches(kEstab4));
  g = f;
  g.any_address = Cidr::Parse("192.168.2.0/24");
  EXPECT_FALSE(g.Matches(kEstab4));
  g = f;
  g.any_port = 1;
  EXPECT_FALSE(g.Matches(kEstab4));
}

}  // namespace
}  // namespace tcpdoctor
