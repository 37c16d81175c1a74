// KernelCounters lookup and Delta, and Sockstat lookup, on values built here and on the
// fixtures of tests/fixtures/proc/counters.
#include <gtest/gtest.h>

#include <string>

#include "collect/proc_net_counters.h"
#include "fixture_util.h"
#include "model/counters.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;

Counter C(std::string section, std::string name, uint64_t value) {
  return Counter{std::move(section), std::move(name), value, false};
}

Counter Negative(std::string section, std::string name, int64_t value) {
  return Counter{std::move(section), std::move(name), static_cast<uint64_t>(value), true};
}

TEST(KernelCountersTest, SetReplacesInPlace) {
  KernelCounters k;
  k.Set(C("TcpExt", "A", 1));
  k.Set(C("TcpExt", "B", 2));
  k.Set(C("TcpExt", "A", 3));
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k.entries()[0].Key(), "TcpExt.A");
  EXPECT_EQ(k.Get("TcpExt.A"), 3u);
}

TEST(KernelCountersTest, BareNameSearchesTcpExtThenTcp) {
  KernelCounters k;
  k.Set(C("Tcp", "Both", 1));
  k.Set(C("TcpExt", "Both", 2));
  k.Set(C("Tcp", "OnlyTcp", 3));
  k.Set(C("IpExt", "OnlyIpExt", 4));
  EXPECT_EQ(k.Get("Both"), 2u);
  EXPECT_EQ(k.Get("Tcp.Both"), 1u);
  EXPECT_EQ(k.Get("OnlyTcp"), 3u);
  EXPECT_EQ(k.Get("OnlyIpExt"), std::nullopt);
  EXPECT_EQ(k.Get("IpExt.OnlyIpExt"), 4u);
  EXPECT_EQ(k.Find("Nope"), nullptr);
  EXPECT_EQ(k.Find("Tcp."), nullptr);
  EXPECT_EQ(k.Find(""), nullptr);
}

TEST(KernelCountersTest, NegativeValuesAreOnlySigned) {
  KernelCounters k;
  k.Set(Negative("Tcp", "MaxConn", -1));
  EXPECT_EQ(k.Get("MaxConn"), std::nullopt);
  EXPECT_EQ(k.GetSigned("MaxConn"), -1);
  EXPECT_EQ(k.GetSigned("Missing"), std::nullopt);
}

TEST(KernelCountersTest, MergeAppendsAndCarriesMissingFiles) {
  KernelCounters a;
  a.Set(C("TcpExt", "A", 1));
  KernelCounters b;
  b.Set(C("Tcp", "B", 2));
  b.AddMissingFile("/proc/net/netstat");
  a.Merge(b);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.entries()[1].Key(), "Tcp.B");
  EXPECT_EQ(a.missing_files(), (std::vector<std::string>{"/proc/net/netstat"}));
}

TEST(CounterDeltaTest, IncreaseBackwardsNewAndGauge) {
  KernelCounters earlier;
  earlier.Set(C("TcpExt", "ListenOverflows", 10));
  earlier.Set(C("TcpExt", "TW", 500));
  earlier.Set(C("TcpExt", "Wrapped", UINT64_MAX - 4));
  earlier.Set(C("Tcp", "CurrEstab", 40));
  earlier.Set(Negative("Tcp", "MaxConn", -1));
  earlier.Set(C("TcpExt", "OnlyEarlier", 1));
  KernelCounters later;
  later.Set(C("TcpExt", "ListenOverflows", 17));
  later.Set(C("TcpExt", "TW", 3));       // reset: a new netns, a reboot
  later.Set(C("TcpExt", "Wrapped", 2));  // or a wrap: either way, unknown
  later.Set(C("Tcp", "CurrEstab", 12));  // a level that went down
  later.Set(Negative("Tcp", "MaxConn", -1));
  later.Set(C("TcpExt", "OnlyLater", 9));

  const CounterDeltas d = later.Delta(earlier);
  ASSERT_EQ(d.entries().size(), 6u);  // one per counter of the later sample
  EXPECT_EQ(d.Increase("ListenOverflows"), 7u);
  EXPECT_EQ(d.Find("ListenOverflows")->status, DeltaStatus::kKnown);

  ASSERT_NE(d.Find("TW"), nullptr);
  EXPECT_EQ(d.Find("TW")->status, DeltaStatus::kWentBackwards);
  EXPECT_EQ(d.Increase("TW"), std::nullopt);  // not 2^64 - 497
  EXPECT_EQ(d.Find("TcpExt.Wrapped")->status, DeltaStatus::kWentBackwards);
  EXPECT_EQ(d.Increase("TcpExt.Wrapped"), std::nullopt);

  EXPECT_EQ(d.Find("Tcp.CurrEstab")->status, DeltaStatus::kGauge);
  EXPECT_EQ(d.Increase("CurrEstab"), std::nullopt);
  EXPECT_EQ(d.Find("MaxConn")->status, DeltaStatus::kGauge);

  EXPECT_EQ(d.Find("OnlyLater")->status, DeltaStatus::kNew);
  EXPECT_EQ(d.Increase("OnlyLater"), std::nullopt);
  EXPECT_EQ(d.Find("OnlyEarlier"), nullptr);
}

TEST(CounterDeltaTest, SameSampleIsAllZero) {
  auto k = ReadKernelCounters(ProcFs(FixturePath("proc/counters/kernel-6.18")));
  ASSERT_TRUE(k.ok()) << k.error().ToString();
  const CounterDeltas d = k->Delta(*k);
  ASSERT_EQ(d.entries().size(), k->size());
  for (const CounterDelta& e : d.entries()) {
    if (e.status == DeltaStatus::kGauge) continue;
    EXPECT_EQ(e.status, DeltaStatus::kKnown) << e.section << "." << e.name;
    EXPECT_EQ(e.delta, 0u) << e.section << "." << e.name;
  }
  EXPECT_EQ(d.Find("Tcp.MaxConn")->status, DeltaStatus::kGauge);
  EXPECT_EQ(d.Find("Ip.DefaultTTL")->status, DeltaStatus::kGauge);
}

TEST(CounterDeltaTest, AcrossAKernelUpgrade) {
  // The 4.9 tree as the earlier sample, the 6.18 host as the later one: fields new in 6.18
  // are kNew, counters that restarted lower are kWentBackwards.
  auto before = ReadKernelCounters(ProcFs(FixturePath("proc/counters/kernel-4.9")));
  auto after = ReadKernelCounters(ProcFs(FixturePath("proc/counters/kernel-6.18")));
  ASSERT_TRUE(before.ok() && after.ok());
  const CounterDeltas d = after->Delta(*before);
  EXPECT_EQ(d.Find("TcpExt.TCPMigrateReqSuccess")->status, DeltaStatus::kNew);
  EXPECT_EQ(d.Find("MPTcpExt.MPCurrEstab")->status, DeltaStatus::kGauge);
  EXPECT_EQ(d.Find("TcpExt.TW")->status, DeltaStatus::kWentBackwards);  // 1048576 -> 11
  EXPECT_EQ(d.Find("TcpExt.ListenOverflows")->status, DeltaStatus::kWentBackwards);
  EXPECT_EQ(d.Find("TcpExt.PAWSPassive"), nullptr);  // gone in 6.18
}

TEST(IsGaugeCounterTest, LevelsAndSettings) {
  EXPECT_TRUE(IsGaugeCounter("Tcp", "CurrEstab"));
  EXPECT_TRUE(IsGaugeCounter("Tcp", "MaxConn"));
  EXPECT_TRUE(IsGaugeCounter("Ip", "Forwarding"));
  EXPECT_FALSE(IsGaugeCounter("Tcp", "ActiveOpens"));
  EXPECT_FALSE(IsGaugeCounter("TcpExt", "CurrEstab"));
}

TEST(SockstatModelTest, FindAndGet) {
  Sockstat s;
  s.lines.push_back({"TCP", {{"inuse", 5}, {"tw", 2}}});
  EXPECT_FALSE(s.HasIpv6());
  s.lines.push_back({"TCP6", {{"inuse", 1}}});
  EXPECT_TRUE(s.HasIpv6());
  EXPECT_EQ(s.Get("TCP", "tw"), 2u);
  EXPECT_EQ(s.Get("TCP6", "inuse"), 1u);
  EXPECT_EQ(s.Get("TCP6", "tw"), std::nullopt);
  EXPECT_EQ(s.Find("UDP"), nullptr);
  ASSERT_NE(s.Find("TCP"), nullptr);
  EXPECT_EQ(s.Find("TCP")->Get("inuse"), 5u);
}

}  // namespace
}  // namespace tcpdoctor
