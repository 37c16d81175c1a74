// PortBudgetSettings and PortUsageBuilder against kernel-facts §1 and §4: the ephemeral range
// is a budget per destination (local address -> remote address:port), TIME_WAIT sockets spend
// it for exactly 60 s unless tcp_tw_reuse lets connect() take them over, and bind(addr, 0)
// prefers ports of the other parity than the range start.
#include "analyze/port_usage.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::Record;

// A TIME_WAIT socket closed `age_seconds` ago: its 60 s timer has 60 - age left.
SocketRecord TimeWait(const char* local, uint16_t local_port, const char* remote,
                      uint16_t remote_port, double age_seconds) {
  SocketRecord r = Record(TcpState::kTimeWait, local, local_port, remote, remote_port);
  r.timer = SocketTimer::kTimeWait;
  r.timer_expires_ms = static_cast<uint32_t>((60.0 - age_seconds) * 1000);
  return r;
}

PortBudgetSettings Settings(uint16_t low, uint16_t high) {
  PortBudgetSettings s;
  s.range_low = low;
  s.range_high = high;
  return s;
}

std::string Dest(const DestinationPorts& d) {
  return d.local.ToString() + " -> " + d.remote.ToStringForPort() + ":" +
         std::to_string(d.remote_port);
}

std::vector<std::string> Dests(const std::vector<DestinationPorts>& ds) {
  std::vector<std::string> out;
  for (const DestinationPorts& d : ds) out.push_back(Dest(d));
  return out;
}

std::vector<DestinationPorts> Usage(const PortBudgetSettings& s,
                                    const std::vector<SocketRecord>& records,
                                    std::set<uint16_t> listening = {}, double window = 60) {
  PortUsageBuilder b(s, std::move(listening), window);
  for (const SocketRecord& r : records) b.Add(r);
  return b.Take();
}

// --- settings ---------------------------------------------------------------------------------

TEST(PortUsageSettingsTest, DefaultsAreTheKernelDefaults) {
  const PortBudgetSettings s;
  EXPECT_EQ(s.range_low, 32768);
  EXPECT_EQ(s.range_high, 60999);
  EXPECT_EQ(s.RangeSize(), 28232u);  // kernel-facts §4
  EXPECT_EQ(s.tw_reuse, 2);          // loopback only since 4.19
  EXPECT_TRUE(s.timestamps);
  EXPECT_DOUBLE_EQ(s.tw_reuse_delay_seconds, 1.0);
}

TEST(PortUsageSettingsTest, FromSysctlsWithNothingKeepsDefaults) {
  const PortBudgetSettings s = PortBudgetSettings::From(Sysctls{});
  EXPECT_EQ(s.range_low, 32768);
  EXPECT_EQ(s.range_high, 60999);
  EXPECT_EQ(s.reserved_in_range, 0u);
  EXPECT_EQ(s.RangeSize(), 28232u);
  EXPECT_EQ(s.tw_reuse, 2);
  EXPECT_TRUE(s.timestamps);
  EXPECT_DOUBLE_EQ(s.tw_reuse_delay_seconds, 1.0);  // hard-coded before 6.14
}

TEST(PortUsageSettingsTest, FromSysctlsReadsEveryKey) {
  Sysctls sys;
  sys.ip_local_port_range = PortRange{10000, 10999};  // 1000 ports
  PortSet reserved;
  reserved.Add({9990, 10004});   // 5 inside: 10000..10004
  reserved.Add({10500, 10500});  // 1 inside
  reserved.Add({20000, 20010});  // outside
  sys.ip_local_reserved_ports = reserved;
  sys.tcp_tw_reuse = 1;
  sys.tcp_timestamps = 0;
  sys.tcp_tw_reuse_delay_ms = 250;
  const PortBudgetSettings s = PortBudgetSettings::From(sys);
  EXPECT_EQ(s.range_low, 10000);
  EXPECT_EQ(s.range_high, 10999);
  EXPECT_EQ(s.reserved_in_range, 6u);
  EXPECT_EQ(s.RangeSize(), 994u);
  EXPECT_EQ(s.tw_reuse, 1);
  EXPECT_FALSE(s.timestamps);
  EXPECT_DOUBLE_EQ(s.tw_reuse_delay_seconds, 0.25);  // milliseconds in /proc/sys
}

TEST(PortUsageSettingsTest, ReservedPortsUseTheDefaultRangeWhenTheRangeIsMissing) {
  Sysctls sys;
  PortSet reserved;
  reserved.Add({32768, 32777});  // 10 at the bottom of the default range
  reserved.Add({8080, 8080});    // below it
  sys.ip_local_reserved_ports = reserved;
  sys.tcp_timestamps = 1;
  const PortBudgetSettings s = PortBudgetSettings::From(sys);
  EXPECT_EQ(s.reserved_in_range, 10u);
  EXPECT_EQ(s.RangeSize(), 28222u);
  EXPECT_TRUE(s.timestamps);
  EXPECT_EQ(s.tw_reuse, 2);
}

TEST(PortUsageSettingsTest, RangeSizeAndInRange) {
  PortBudgetSettings s = Settings(1000, 1009);
  EXPECT_EQ(s.RangeSize(), 10u);
  EXPECT_TRUE(s.InRange(1000));
  EXPECT_TRUE(s.InRange(1009));
  EXPECT_FALSE(s.InRange(999));
  EXPECT_FALSE(s.InRange(1010));
  s.reserved_in_range = 10;  // all reserved
  EXPECT_EQ(s.RangeSize(), 0u);
  s = Settings(5000, 5000);
  EXPECT_EQ(s.RangeSize(), 1u);
}

// --- which sockets count ----------------------------------------------------------------------

TEST(PortUsageTest, CountsOutgoingSocketsInTheRangeOnly) {
  const PortBudgetSettings s = Settings(40000, 40999);
  const std::vector<DestinationPorts> got = Usage(
      s,
      {
          Record(TcpState::kEstablished, "10.0.0.1", 40000, "10.0.0.9", 443),  // counts
          Record(TcpState::kSynSent, "10.0.0.1", 40002, "10.0.0.9", 443),      // counts
          Record(TcpState::kFinWait1, "10.0.0.1", 40004, "10.0.0.9", 443),     // counts
          Record(TcpState::kCloseWait, "10.0.0.1", 40006, "10.0.0.9", 443),    // counts
          TimeWait("10.0.0.1", 40008, "10.0.0.9", 443, 5),                     // counts
          Record(TcpState::kEstablished, "10.0.0.1", 39999, "10.0.0.9", 443),  // below the range
          Record(TcpState::kEstablished, "10.0.0.1", 41000, "10.0.0.9", 443),  // above it
          Record(TcpState::kListen, "0.0.0.0", 40500, "0.0.0.0", 0),           // a listener
          // An accepted connection on a listening port inside the range.
          Record(TcpState::kEstablished, "10.0.0.1", 40500, "10.0.0.7", 51000),
          TimeWait("10.0.0.1", 40500, "10.0.0.7", 51001, 5),
          // A server on port 443 (outside the range) with a client on an ephemeral port.
          Record(TcpState::kEstablished, "10.0.0.1", 443, "10.0.0.8", 40001),
      },
      {40500, 443});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Dest(got[0]), "10.0.0.1 -> 10.0.0.9:443");
  EXPECT_EQ(got[0].in_use, 5u);
  EXPECT_EQ(got[0].time_wait, 1u);
  EXPECT_EQ(got[0].range_size, 1000u);
  EXPECT_DOUBLE_EQ(got[0].PercentUsed(), 0.5);
}

TEST(PortUsageTest, DestinationIsLocalAddressRemoteAddressAndRemotePort) {
  // kernel-facts §4: 10 connections each to 127.0.0.1:8000, 127.0.0.1:8001 and
  // 127.0.0.2:8000 with a 10-port range: three separate budgets.
  const PortBudgetSettings s = Settings(1000, 1009);
  std::vector<SocketRecord> records;
  for (uint16_t p = 1000; p <= 1009; ++p) {
    records.push_back(Record(TcpState::kEstablished, "127.0.0.1", p, "127.0.0.1", 8000));
    records.push_back(Record(TcpState::kEstablished, "127.0.0.1", p, "127.0.0.1", 8001));
    records.push_back(Record(TcpState::kEstablished, "127.0.0.1", p, "127.0.0.2", 8000));
  }
  records.push_back(Record(TcpState::kEstablished, "127.0.0.3", 1000, "127.0.0.1", 8000));
  const std::vector<DestinationPorts> got = Usage(s, records);
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].in_use, 10u) << Dest(got[i]);
    EXPECT_DOUBLE_EQ(got[i].PercentUsed(), 100.0) << Dest(got[i]);
  }
  EXPECT_EQ(Dest(got[3]), "127.0.0.3 -> 127.0.0.1:8000");
  EXPECT_EQ(got[3].in_use, 1u);
  EXPECT_DOUBLE_EQ(got[3].PercentUsed(), 10.0);
}

TEST(PortUsageTest, Ipv6AndIpv4AreSeparateDestinations) {
  const std::vector<DestinationPorts> got = Usage(
      PortBudgetSettings{}, {Record(TcpState::kEstablished, "::1", 40000, "::1", 80),
                             Record(TcpState::kEstablished, "::1", 40001, "::1", 80),
                             Record(TcpState::kEstablished, "127.0.0.1", 40000, "127.0.0.1", 80)});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Dest(got[0]), "::1 -> [::1]:80");
  EXPECT_EQ(got[0].in_use, 2u);
  EXPECT_EQ(Dest(got[1]), "127.0.0.1 -> 127.0.0.1:80");
}

TEST(PortUsageTest, ResetForgetsEverything) {
  PortUsageBuilder b(PortBudgetSettings{}, {});
  b.Add(Record(TcpState::kEstablished, "10.0.0.1", 40000, "10.0.0.2", 80));
  b.Reset();
  EXPECT_TRUE(b.Take().empty());
  b.Add(Record(TcpState::kEstablished, "10.0.0.1", 40000, "10.0.0.2", 80));
  ASSERT_EQ(b.Take().size(), 1u);
  EXPECT_EQ(b.settings().range_low, 32768);
}

// --- connection rate from TIME_WAIT ages --------------------------------------------------------

TEST(PortUsageTest, RateCountsTimeWaitsYoungerThanTheWindow) {
  const PortBudgetSettings s = Settings(40000, 49999);
  std::vector<SocketRecord> records;
  // Ages 1..60 s, one each, plus 2 ESTABLISHED which say nothing about the rate.
  for (int age = 1; age <= 60; ++age) {
    records.push_back(
        TimeWait("10.0.0.1", static_cast<uint16_t>(40000 + age), "10.0.0.2", 80, age));
  }
  records.push_back(Record(TcpState::kEstablished, "10.0.0.1", 41000, "10.0.0.2", 80));
  records.push_back(Record(TcpState::kEstablished, "10.0.0.1", 41001, "10.0.0.2", 80));
  {
    const auto got = Usage(s, records, {}, 60);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].in_use, 62u);
    EXPECT_EQ(got[0].time_wait, 60u);
    EXPECT_DOUBLE_EQ(got[0].rate_per_second, 1.0);  // 60 closes in 60 s
  }
  {
    // Ages 1..10 fall in a 10 s window (a TIME_WAIT with 50 s left is 10 s old).
    const auto got = Usage(s, records, {}, 10);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got[0].rate_per_second, 1.0);  // 10 in 10 s
  }
}

TEST(PortUsageTest, RateWindowEdges) {
  const PortBudgetSettings s = Settings(40000, 49999);
  SocketRecord ten = TimeWait("10.0.0.1", 40000, "10.0.0.2", 80, 0);
  ten.timer_expires_ms = 50000;  // exactly 10 s old
  SocketRecord older = ten;
  older.local_port = 40001;
  older.timer_expires_ms = 49000;  // 11 s old
  SocketRecord fresh = ten;
  fresh.local_port = 40002;
  fresh.timer_expires_ms = 59999;  // just closed
  const auto got = Usage(s, {ten, older, fresh}, {}, 10);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_DOUBLE_EQ(got[0].rate_per_second, 0.2);  // 2 within 10 s
  EXPECT_EQ(got[0].time_wait, 3u);
}

TEST(PortUsageTest, NoTimeWaitMeansNoRate) {
  const auto got = Usage(Settings(40000, 40999),
                         {Record(TcpState::kEstablished, "10.0.0.1", 40000, "10.0.0.2", 80)});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_DOUBLE_EQ(got[0].rate_per_second, 0.0);
}

// --- tcp_tw_reuse ---------------------------------------------------------------------------

struct ReuseCase {
  int tw_reuse;
  bool timestamps;
  const char* local;
  const char* remote;
  bool reusable;
};

TEST(PortUsageTest, TimeWaitReusableFollowsTwReuseTimestampsAndLoopback) {
  const ReuseCase cases[] = {
      // 0: never.
      {0, true, "127.0.0.1", "127.0.0.1", false},
      {0, true, "10.0.0.1", "10.0.0.2", false},
      // 1: everywhere, given timestamps.
      {1, true, "10.0.0.1", "10.0.0.2", true},
      {1, true, "127.0.0.1", "127.0.0.1", true},
      {1, true, "2001:db8::1", "2001:db8::2", true},
      {1, false, "10.0.0.1", "10.0.0.2", false},
      // 2: loopback only.
      {2, true, "127.0.0.1", "127.0.0.1", true},
      {2, true, "127.0.0.1", "127.5.6.7", true},  // all of 127/8
      {2, true, "::1", "::1", true},
      {2, true, "::ffff:127.0.0.1", "::ffff:127.0.0.1", true},
      {2, true, "::ffff:127.0.0.1", "::ffff:127.9.0.1", true},
      {2, true, "10.0.0.1", "10.0.0.2", false},
      {2, true, "2001:db8::1", "2001:db8::2", false},
      {2, true, "::ffff:10.0.0.1", "::ffff:10.0.0.2", false},
      {2, true, "::2", "::2", false},  // not ::1
      {2, false, "127.0.0.1", "127.0.0.1", false},
      {2, false, "::1", "::1", false},
  };
  for (const ReuseCase& c : cases) {
    PortBudgetSettings s;
    s.tw_reuse = c.tw_reuse;
    s.timestamps = c.timestamps;
    const auto got = Usage(s, {TimeWait(c.local, 40000, c.remote, 80, 1)});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].time_wait_reusable, c.reusable)
        << "tw_reuse " << c.tw_reuse << " timestamps " << c.timestamps << " " << c.local << " -> "
        << c.remote;
  }
}

TEST(PortUsageTest, IsLoopback) {
  for (const char* a : {"127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopback(*IpAddress::Parse(a))) << a;
  }
  for (const char* a : {"128.0.0.1", "10.0.0.1", "0.0.0.0", "::", "::2", "::ffff:10.0.0.1",
                        "::127.0.0.1", "fe80::1", "2001:db8::1"}) {
    EXPECT_FALSE(IsLoopback(*IpAddress::Parse(a))) << a;
  }
}

// --- sustainable rate -----------------------------------------------------------------------

TEST(PortUsageTest, SustainableRateWithoutReuseIsFreePortsOverSixtySeconds) {
  // 1200 ports, 100 active (ESTABLISHED / SYN_SENT), 300 in TIME_WAIT to a non-loopback peer
  // with the default tw_reuse 2: TIME_WAIT ports come back every 60 s, so the ports not held
  // by live connections (1100) sustain 1100 / 60 new connections per second.
  PortBudgetSettings s = Settings(20000, 21199);
  std::vector<SocketRecord> records;
  uint16_t port = 20000;
  for (int i = 0; i < 90; ++i)
    records.push_back(Record(TcpState::kEstablished, "10.0.0.1", port++, "10.0.0.2", 80));
  for (int i = 0; i < 10; ++i)
    records.push_back(Record(TcpState::kSynSent, "10.0.0.1", port++, "10.0.0.2", 80));
  for (int i = 0; i < 300; ++i) records.push_back(TimeWait("10.0.0.1", port++, "10.0.0.2", 80, 30));
  const auto got = Usage(s, records);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].time_wait_reusable);
  EXPECT_EQ(got[0].in_use, 400u);
  EXPECT_DOUBLE_EQ(got[0].sustainable_rate_per_second, 1100.0 / 60.0);
  EXPECT_DOUBLE_EQ(got[0].rate_per_second, 5.0);  // 300 closes in the last 60 s
}

TEST(PortUsageTest, SustainableRateWithReuseUsesTheReuseDelay) {
  PortBudgetSettings s = Settings(20000, 20999);  // 1000
  s.tw_reuse = 2;
  s.tw_reuse_delay_seconds = 0.5;
  std::vector<SocketRecord> records;
  for (uint16_t p = 20000; p < 20200; ++p)
    records.push_back(Record(TcpState::kEstablished, "127.0.0.1", p, "127.0.0.1", 5432));
  for (uint16_t p = 20200; p < 20500; ++p)
    records.push_back(TimeWait("127.0.0.1", p, "127.0.0.1", 5432, 1));
  const auto got = Usage(s, records);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].time_wait_reusable);
  EXPECT_DOUBLE_EQ(got[0].sustainable_rate_per_second, 800.0 / 0.5);
}

TEST(PortUsageTest, SustainableRateWithReservedPortsAndAFullRange) {
  PortBudgetSettings s = Settings(20000, 20009);
  s.reserved_in_range = 2;  // 8 usable
  std::vector<SocketRecord> records;
  for (uint16_t p = 20000; p < 20010; ++p)  // 10 live: more than usable (explicit binds)
    records.push_back(Record(TcpState::kEstablished, "10.0.0.1", p, "10.0.0.2", 80));
  const auto got = Usage(s, records);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].range_size, 8u);
  EXPECT_DOUBLE_EQ(got[0].sustainable_rate_per_second, 0.0);  // never negative
}

// --- bind() parity --------------------------------------------------------------------------

TEST(PortUsageTest, BindParityCountsPortsOfTheOtherParityThanTheRangeStart) {
  // Range starts even (32768): connect() prefers even ports, bind(addr, 0) odd ones.
  std::vector<SocketRecord> records;
  for (uint16_t p : {40000, 40002, 40004, 40001, 40003})
    records.push_back(Record(TcpState::kEstablished, "10.0.0.1", p, "10.0.0.2", 80));
  records.push_back(TimeWait("10.0.0.1", 40005, "10.0.0.2", 80, 3));
  auto got = Usage(PortBudgetSettings{}, records);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bind_parity, 3u);  // 40001, 40003, 40005
  // An odd range start flips it.
  got = Usage(Settings(32769, 60999), records);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bind_parity, 3u);  // 40000, 40002, 40004
  records.push_back(Record(TcpState::kEstablished, "10.0.0.1", 40006, "10.0.0.2", 80));
  got = Usage(Settings(32769, 60999), records);
  EXPECT_EQ(got[0].bind_parity, 4u);
  got = Usage(PortBudgetSettings{}, records);
  EXPECT_EQ(got[0].bind_parity, 3u);
}

// --- order ----------------------------------------------------------------------------------

TEST(PortUsageTest, MostUsedFirstThenRemotePortThenRemoteAddress) {
  std::vector<SocketRecord> records;
  uint16_t port = 40000;
  auto add = [&](const char* remote, uint16_t rport, int n) {
    for (int i = 0; i < n; ++i)
      records.push_back(Record(TcpState::kEstablished, "10.0.0.1", port++, remote, rport));
  };
  add("10.0.0.5", 80, 2);
  add("10.0.0.3", 443, 5);
  add("10.0.0.4", 80, 2);
  add("10.0.0.2", 8080, 2);
  add("10.0.0.9", 22, 1);
  const auto got = Usage(PortBudgetSettings{}, records);
  EXPECT_EQ(Dests(got),
            (std::vector<std::string>{"10.0.0.1 -> 10.0.0.3:443", "10.0.0.1 -> 10.0.0.4:80",
                                      "10.0.0.1 -> 10.0.0.5:80", "10.0.0.1 -> 10.0.0.2:8080",
                                      "10.0.0.1 -> 10.0.0.9:22"}));
}

TEST(PortUsageTest, OrderDoesNotDependOnTheDumpOrder) {
  // Two local addresses to the same remote with the same count: the output must be the same
  // whichever socket the kernel dumped first (the dump order is the hash-bucket order).
  const SocketRecord a = Record(TcpState::kEstablished, "10.0.0.1", 40000, "10.0.0.9", 443);
  const SocketRecord b = Record(TcpState::kEstablished, "10.0.0.2", 40000, "10.0.0.9", 443);
  const auto ab = Dests(Usage(PortBudgetSettings{}, {a, b}));
  const auto ba = Dests(Usage(PortBudgetSettings{}, {b, a}));
  ASSERT_EQ(ab.size(), 2u);
  EXPECT_EQ(ab, ba);
}

// --- growth between two samples --------------------------------------------------------------

DestinationPorts Dp(const char* local, const char* remote, uint16_t rport, uint64_t in_use,
                    uint32_t range = 1000) {
  DestinationPorts d;
  d.local = *IpAddress::Parse(local);
  d.remote = *IpAddress::Parse(remote);
  d.remote_port = rport;
  d.in_use = in_use;
  d.range_size = range;
  return d;
}

TEST(PortUsageGrowthTest, GrowingDestinationGetsRateAndTimeToExhaustion) {
  std::vector<DestinationPorts> later = {Dp("10.0.0.1", "10.0.0.2", 80, 600)};
  AddGrowth(later, {Dp("10.0.0.1", "10.0.0.2", 80, 500)}, 10);
  ASSERT_TRUE(later[0].net_growth_per_second.has_value());
  EXPECT_DOUBLE_EQ(*later[0].net_growth_per_second, 10.0);  // 100 in 10 s
  ASSERT_TRUE(later[0].seconds_to_exhaustion.has_value());
  EXPECT_DOUBLE_EQ(*later[0].seconds_to_exhaustion, 40.0);  // 400 free at 10/s
}

TEST(PortUsageGrowthTest, NewDestinationGrewFromZero) {
  std::vector<DestinationPorts> later = {Dp("10.0.0.1", "10.0.0.2", 80, 50),
                                         Dp("10.0.0.1", "10.0.0.3", 80, 20)};
  AddGrowth(later, {Dp("10.0.0.1", "10.0.0.2", 80, 50)}, 5);
  EXPECT_DOUBLE_EQ(*later[0].net_growth_per_second, 0.0);
  EXPECT_FALSE(later[0].seconds_to_exhaustion.has_value());  // flat: never runs out
  ASSERT_TRUE(later[1].net_growth_per_second.has_value());
  EXPECT_DOUBLE_EQ(*later[1].net_growth_per_second, 4.0);
  EXPECT_DOUBLE_EQ(*later[1].seconds_to_exhaustion, 980.0 / 4.0);
}

TEST(PortUsageGrowthTest, ShrinkingDestinationHasNoExhaustion) {
  std::vector<DestinationPorts> later = {Dp("10.0.0.1", "10.0.0.2", 80, 100)};
  AddGrowth(later, {Dp("10.0.0.1", "10.0.0.2", 80, 300)}, 4);
  ASSERT_TRUE(later[0].net_growth_per_second.has_value());
  EXPECT_DOUBLE_EQ(*later[0].net_growth_per_second, -50.0);
  EXPECT_FALSE(later[0].seconds_to_exhaustion.has_value());
}

TEST(PortUsageGrowthTest, MatchesOnLocalRemoteAndPort) {
  std::vector<DestinationPorts> later = {Dp("10.0.0.1", "10.0.0.2", 80, 10),
                                         Dp("10.0.0.1", "10.0.0.2", 81, 10),
                                         Dp("10.0.0.5", "10.0.0.2", 80, 10)};
  AddGrowth(later, {Dp("10.0.0.1", "10.0.0.2", 80, 10)}, 1);
  EXPECT_DOUBLE_EQ(*later[0].net_growth_per_second, 0.0);
  EXPECT_DOUBLE_EQ(*later[1].net_growth_per_second, 10.0);  // other remote port: new
  EXPECT_DOUBLE_EQ(*later[2].net_growth_per_second, 10.0);  // other local address: new
}

TEST(PortUsageGrowthTest, AlreadyOverTheRangeIsExhaustedNow) {
  std::vector<DestinationPorts> later = {Dp("10.0.0.1", "10.0.0.2", 80, 1005)};
  AddGrowth(later, {Dp("10.0.0.1", "10.0.0.2", 80, 1000)}, 1);
  ASSERT_TRUE(later[0].seconds_to_exhaustion.has_value());
  EXPECT_DOUBLE_EQ(*later[0].seconds_to_exhaustion, 0.0);
}

TEST(PortUsageGrowthTest, NoIntervalNoGrowth) {
  std::vector<DestinationPorts> later = {Dp("10.0.0.1", "10.0.0.2", 80, 600)};
  AddGrowth(later, {Dp("10.0.0.1", "10.0.0.2", 80, 500)}, 0);
  EXPECT_FALSE(later[0].net_growth_per_second.has_value());
  EXPECT_FALSE(later[0].seconds_to_exhaustion.has_value());
}

TEST(PortUsageGrowthTest, EndToEndWithTwoBuilderSamples) {
  const PortBudgetSettings s = Settings(40000, 40099);  // 100 ports
  PortUsageBuilder b(s, {});
  for (uint16_t p = 40000; p < 40020; ++p)
    b.Add(Record(TcpState::kEstablished, "10.0.0.1", p, "10.0.0.2", 80));
  const auto first = b.Take();
  b.Reset();
  for (uint16_t p = 40000; p < 40040; ++p)
    b.Add(Record(TcpState::kEstablished, "10.0.0.1", p, "10.0.0.2", 80));
  auto second = b.Take();
  AddGrowth(second, first, 2);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_DOUBLE_EQ(*second[0].net_growth_per_second, 10.0);
  EXPECT_DOUBLE_EQ(*second[0].seconds_to_exhaustion, 6.0);  // 60 free at 10/s
}

}  // namespace
}  // namespace tcpdoctor
