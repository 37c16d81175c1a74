// ValidateCounterSelection and BuildCounterRows on hand-written /proc/net/netstat + snmp text:
// the default catalog, --all, named counters, deltas and rates over an interval, counters
// that went backwards, gauges (CurrEstab) and signed levels (Tcp MaxConn -1).
#include "analyze/counter_report.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/counter_catalog.h"
#include "collect/proc_net_counters.h"

namespace tcpdoctor {
namespace {

// The "earlier" sample: some catalog counters (not all), some outside it, and snmp's Tcp
// section with its signed MaxConn.
constexpr char kEarlier[] =
    "TcpExt: SyncookiesSent SyncookiesRecv EmbryonicRsts TW TWRecycled ListenOverflows "
    "ListenDrops TCPAbortOnData\n"
    "TcpExt: 0 0 1 100 3 7 9 2\n"
    "IpExt: InOctets OutOctets\n"
    "IpExt: 1000 2000\n"
    "Tcp: RtoAlgorithm MaxConn ActiveOpens PassiveOpens CurrEstab RetransSegs\n"
    "Tcp: 1 -1 15 2 4 8\n";

// 4 s later: ListenOverflows +5, ListenDrops +11, TW +60, ActiveOpens +10, CurrEstab down to
// 2 (a level), TCPAbortOnData went back from 2 to 1 (a reset: unknown), InOctets +500.
constexpr char kLater[] =
    "TcpExt: SyncookiesSent SyncookiesRecv EmbryonicRsts TW TWRecycled ListenOverflows "
    "ListenDrops TCPAbortOnData\n"
    "TcpExt: 0 0 1 160 3 12 20 1\n"
    "IpExt: InOctets OutOctets\n"
    "IpExt: 1500 2000\n"
    "Tcp: RtoAlgorithm MaxConn ActiveOpens PassiveOpens CurrEstab RetransSegs\n"
    "Tcp: 1 -1 25 2 2 8\n";

KernelCounters Parse(std::string_view text) {
  auto parsed = ParseNetstatPairs(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  return parsed.ok() ? *parsed : KernelCounters{};
}

std::vector<std::string> Keys(const std::vector<CounterRow>& rows) {
  std::vector<std::string> keys;
  for (const CounterRow& r : rows) keys.push_back(r.key);
  return keys;
}

const CounterRow* Row(const std::vector<CounterRow>& rows, const std::string& key) {
  for (const CounterRow& r : rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

CounterSelection Names(std::vector<std::string> names) {
  CounterSelection s;
  s.names = std::move(names);
  return s;
}

// --- validation -------------------------------------------------------------------------------

TEST(CounterReportValidateTest, KnownBareAndQualifiedNamesPass) {
  const KernelCounters sample = Parse(kEarlier);
  EXPECT_TRUE(ValidateCounterSelection(CounterSelection{}, sample).ok());
  CounterSelection all;
  all.all = true;
  EXPECT_TRUE(ValidateCounterSelection(all, sample).ok());
  const Status s =
      ValidateCounterSelection(Names({"ListenOverflows", "TcpExt.TW", "TW", "Tcp.CurrEstab",
                                      "CurrEstab", "ActiveOpens", "IpExt.InOctets", "Tcp.MaxConn"}),
                               sample);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
}

TEST(CounterReportValidateTest, UnknownNameIsAnInvalidArgumentWithASuggestion) {
  const KernelCounters sample = Parse(kEarlier);
  const Status s = ValidateCounterSelection(Names({"ListenOverflow"}), sample);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("'ListenOverflow'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("did you mean 'TcpExt.ListenOverflows'"), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().hint.find("--all"), std::string::npos) << s.error().hint;
}

TEST(CounterReportValidateTest, WrongCaseIsUnknownButSuggestsTheRightSpelling) {
  const KernelCounters sample = Parse(kEarlier);
  const Status s = ValidateCounterSelection(Names({"listenoverflows"}), sample);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("did you mean 'TcpExt.ListenOverflows'"), std::string::npos)
      << s.error().message;
}

TEST(CounterReportValidateTest, NothingCloseGivesNoSuggestion) {
  const KernelCounters sample = Parse(kEarlier);
  const Status s = ValidateCounterSelection(Names({"ZzzNotACounter"}), sample);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("ZzzNotACounter"), std::string::npos);
  EXPECT_EQ(s.error().message.find("did you mean"), std::string::npos) << s.error().message;
}

TEST(CounterReportValidateTest, TheFirstUnknownOfSeveralIsReported) {
  const KernelCounters sample = Parse(kEarlier);
  const Status s = ValidateCounterSelection(Names({"TW", "ZzzFirst", "ZzzSecond"}), sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("ZzzFirst"), std::string::npos) << s.error().message;
}

TEST(CounterReportValidateTest, QualifiedNameOfAnotherSectionIsUnknown) {
  const KernelCounters sample = Parse(kEarlier);
  EXPECT_FALSE(ValidateCounterSelection(Names({"Tcp.ListenOverflows"}), sample).ok());
  EXPECT_FALSE(ValidateCounterSelection(Names({"TcpExt.CurrEstab"}), sample).ok());
}

TEST(CounterReportValidateTest, SuggestsTheNearestNameForCloseTypos) {
  // The header promises "suggests the nearest": these are one keystroke from a real counter.
  const KernelCounters sample = Parse(kEarlier);
  struct Case {
    const char* typed;
    const char* nearest;
  };
  const Case cases[] = {
      {"TcpExt.ListenOverflow", "TcpExt.ListenOverflows"},  // qualified, last letter missing
      {"ListenOverflws", "TcpExt.ListenOverflows"},         // a letter missing inside
      {"TWRecycledd", "TcpExt.TWRecycled"},                 // not TcpExt.TW, a shared prefix
  };
  for (const Case& c : cases) {
    const Status s = ValidateCounterSelection(Names({c.typed}), sample);
    ASSERT_FALSE(s.ok()) << c.typed;
    EXPECT_NE(s.error().message.find(std::string("did you mean '") + c.nearest + "'"),
              std::string::npos)
        << c.typed << ": " << s.error().message;
  }
}

// --- rows without an interval -----------------------------------------------------------------

TEST(CounterReportTest, DefaultShowsCatalogCountersPresentInCatalogOrder) {
  const KernelCounters sample = Parse(kEarlier);
  const std::vector<CounterRow> rows = BuildCounterRows(CounterSelection{}, sample, nullptr, 0);
  // The catalog's order (listen, syncookies, TIME_WAIT, aborts, then snmp's Tcp), leaving out
  // the counters this "kernel" lacks (TCPReqQFullDrop, TCPTimeWaitOverflow, OutRsts ...)
  // and the ones outside the catalog (EmbryonicRsts, IpExt.*, RtoAlgorithm, MaxConn).
  EXPECT_EQ(Keys(rows),
            (std::vector<std::string>{
                "TcpExt.ListenOverflows", "TcpExt.ListenDrops", "TcpExt.SyncookiesSent",
                "TcpExt.SyncookiesRecv", "TcpExt.TW", "TcpExt.TWRecycled", "TcpExt.TCPAbortOnData",
                "Tcp.ActiveOpens", "Tcp.PassiveOpens", "Tcp.RetransSegs", "Tcp.CurrEstab"}));
  for (const CounterRow& r : rows) {
    EXPECT_FALSE(r.meaning.empty()) << r.key;
    EXPECT_FALSE(r.delta.has_value()) << r.key;
    EXPECT_FALSE(r.rate_per_second.has_value()) << r.key;
    EXPECT_FALSE(r.negative) << r.key;
    EXPECT_EQ(r.is_gauge, r.key == "Tcp.CurrEstab") << r.key;
  }
  EXPECT_EQ(Row(rows, "TcpExt.ListenOverflows")->value, 7u);
  EXPECT_EQ(Row(rows, "TcpExt.TW")->value, 100u);
  EXPECT_EQ(Row(rows, "Tcp.ActiveOpens")->value, 15u);
  EXPECT_EQ(Row(rows, "Tcp.CurrEstab")->value, 4u);
}

TEST(CounterReportTest, AllShowsEveryCounterInFileOrder) {
  const KernelCounters sample = Parse(kEarlier);
  CounterSelection all;
  all.all = true;
  const std::vector<CounterRow> rows = BuildCounterRows(all, sample, nullptr, 0);
  EXPECT_EQ(Keys(rows),
            (std::vector<std::string>{"TcpExt.SyncookiesSent", "TcpExt.SyncookiesRecv",
                                      "TcpExt.EmbryonicRsts", "TcpExt.TW", "TcpExt.TWRecycled",
                                      "TcpExt.ListenOverflows", "TcpExt.ListenDrops",
                                      "TcpExt.TCPAbortOnData", "IpExt.InOctets", "IpExt.OutOctets",
                                      "Tcp.RtoAlgorithm", "Tcp.MaxConn", "Tcp.ActiveOpens",
                                      "Tcp.PassiveOpens", "Tcp.CurrEstab", "Tcp.RetransSegs"}));
  // Outside the catalog: no meaning.
  EXPECT_TRUE(Row(rows, "TcpExt.EmbryonicRsts")->meaning.empty());
  EXPECT_TRUE(Row(rows, "IpExt.InOctets")->meaning.empty());
  EXPECT_EQ(Row(rows, "IpExt.InOctets")->value, 1000u);
  // Levels and settings are gauges whether or not the catalog lists them.
  EXPECT_TRUE(Row(rows, "Tcp.RtoAlgorithm")->is_gauge);
  EXPECT_TRUE(Row(rows, "Tcp.MaxConn")->is_gauge);
  EXPECT_FALSE(Row(rows, "IpExt.InOctets")->is_gauge);
}

TEST(CounterReportTest, MaxConnIsNegative) {
  const KernelCounters sample = Parse(kEarlier);
  const std::vector<CounterRow> rows = BuildCounterRows(Names({"Tcp.MaxConn"}), sample, nullptr, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].negative);
  EXPECT_EQ(static_cast<int64_t>(rows[0].value), -1);
  EXPECT_TRUE(rows[0].is_gauge);
}

TEST(CounterReportTest, NamedSelectionKeepsTheUsersOrder) {
  const KernelCounters sample = Parse(kEarlier);
  const std::vector<CounterRow> rows = BuildCounterRows(
      Names({"CurrEstab", "TcpExt.ListenDrops", "IpExt.OutOctets", "TW"}), sample, nullptr, 0);
  // Bare names resolve to their section (TcpExt first, then Tcp).
  EXPECT_EQ(Keys(rows), (std::vector<std::string>{"Tcp.CurrEstab", "TcpExt.ListenDrops",
                                                  "IpExt.OutOctets", "TcpExt.TW"}));
  EXPECT_EQ(rows[0].value, 4u);
  EXPECT_EQ(rows[1].value, 9u);
  EXPECT_EQ(rows[2].value, 2000u);
  EXPECT_EQ(rows[3].value, 100u);
  EXPECT_TRUE(rows[2].meaning.empty());
  EXPECT_FALSE(rows[3].meaning.empty());
}

TEST(CounterReportTest, CatalogCountersMissingFromAnOldKernelAreLeftOut) {
  // A kernel with only snmp's Tcp section (netstat unreadable): no TcpExt rows, not zeros.
  const KernelCounters sample = Parse("Tcp: ActiveOpens CurrEstab\nTcp: 3 1\n");
  const std::vector<CounterRow> rows = BuildCounterRows(CounterSelection{}, sample, nullptr, 0);
  EXPECT_EQ(Keys(rows), (std::vector<std::string>{"Tcp.ActiveOpens", "Tcp.CurrEstab"}));
  EXPECT_TRUE(BuildCounterRows(CounterSelection{}, KernelCounters{}, nullptr, 0).empty());
}

// --- with an interval -----------------------------------------------------------------------

TEST(CounterReportTest, DeltasAndRatesOverTheInterval) {
  const KernelCounters earlier = Parse(kEarlier);
  const KernelCounters later = Parse(kLater);
  const std::vector<CounterRow> rows = BuildCounterRows(CounterSelection{}, earlier, &later, 4);
  ASSERT_EQ(rows.size(), 11u);

  struct Expect {
    const char* key;
    uint64_t value;  // the later value
    uint64_t delta;
    double rate;
  };
  const Expect expected[] = {
      {"TcpExt.ListenOverflows", 12, 5, 1.25}, {"TcpExt.ListenDrops", 20, 11, 2.75},
      {"TcpExt.SyncookiesSent", 0, 0, 0.0},    {"TcpExt.TW", 160, 60, 15.0},
      {"TcpExt.TWRecycled", 3, 0, 0.0},        {"Tcp.ActiveOpens", 25, 10, 2.5},
      {"Tcp.PassiveOpens", 2, 0, 0.0},         {"Tcp.RetransSegs", 8, 0, 0.0},
  };
  for (const Expect& e : expected) {
    const CounterRow* r = Row(rows, e.key);
    ASSERT_NE(r, nullptr) << e.key;
    EXPECT_EQ(r->value, e.value) << e.key;
    ASSERT_TRUE(r->delta.has_value()) << e.key;
    EXPECT_EQ(*r->delta, e.delta) << e.key;
    ASSERT_TRUE(r->rate_per_second.has_value()) << e.key;
    EXPECT_DOUBLE_EQ(*r->rate_per_second, e.rate) << e.key;
  }
}

TEST(CounterReportTest, ACounterThatWentBackwardsHasNoDelta) {
  const KernelCounters earlier = Parse(kEarlier);
  const KernelCounters later = Parse(kLater);
  const std::vector<CounterRow> rows = BuildCounterRows(CounterSelection{}, earlier, &later, 4);
  const CounterRow* r = Row(rows, "TcpExt.TCPAbortOnData");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->value, 1u);  // what the kernel says now
  EXPECT_FALSE(r->delta.has_value());
  EXPECT_FALSE(r->rate_per_second.has_value());
}

TEST(CounterReportTest, AGaugeShowsItsLatestValueAndNoDelta) {
  const KernelCounters earlier = Parse(kEarlier);
  const KernelCounters later = Parse(kLater);
  const std::vector<CounterRow> rows = BuildCounterRows(CounterSelection{}, earlier, &later, 4);
  const CounterRow* r = Row(rows, "Tcp.CurrEstab");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->is_gauge);
  EXPECT_EQ(r->value, 2u);  // went down from 4: normal for a level
  EXPECT_FALSE(r->delta.has_value());
  EXPECT_FALSE(r->rate_per_second.has_value());
  // Going up does not make a delta either.
  const KernelCounters up = Parse(
      "Tcp: RtoAlgorithm MaxConn ActiveOpens PassiveOpens CurrEstab RetransSegs\n"
      "Tcp: 1 -1 15 2 9 8\n");
  const std::vector<CounterRow> rows2 = BuildCounterRows(Names({"CurrEstab"}), earlier, &up, 4);
  ASSERT_EQ(rows2.size(), 1u);
  EXPECT_EQ(rows2[0].value, 9u);
  EXPECT_FALSE(rows2[0].delta.has_value());
}

TEST(CounterReportTest, NegativeLevelHasNoDelta) {
  const KernelCounters earlier = Parse(kEarlier);
  const KernelCounters later = Parse(kLater);
  CounterSelection all;
  all.all = true;
  const std::vector<CounterRow> rows = BuildCounterRows(all, earlier, &later, 4);
  const CounterRow* max_conn = Row(rows, "Tcp.MaxConn");
  ASSERT_NE(max_conn, nullptr);
  EXPECT_TRUE(max_conn->negative);
  EXPECT_EQ(static_cast<int64_t>(max_conn->value), -1);
  EXPECT_FALSE(max_conn->delta.has_value());
  EXPECT_FALSE(max_conn->rate_per_second.has_value());
  // --all with an interval: counters outside the catalog get deltas too.
  const CounterRow* in_octets = Row(rows, "IpExt.InOctets");
  ASSERT_NE(in_octets, nullptr);
  EXPECT_EQ(in_octets->delta, 500u);
  EXPECT_DOUBLE_EQ(in_octets->rate_per_second.value_or(-1), 125.0);
}

TEST(CounterReportTest, NoRateWithoutAPositiveInterval) {
  const KernelCounters earlier = Parse(kEarlier);
  const KernelCounters later = Parse(kLater);
  const std::vector<CounterRow> rows =
      BuildCounterRows(Names({"ListenOverflows"}), earlier, &later, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].delta, 5u);
  EXPECT_FALSE(rows[0].rate_per_second.has_value());
}

TEST(CounterReportTest, ACounterMissingFromTheLaterSampleHasNoDelta) {
  // snmp became unreadable between the samples: the Tcp counters' change is unknown, not 0.
  const KernelCounters earlier = Parse(kEarlier);
  const KernelCounters later = Parse(
      "TcpExt: SyncookiesSent SyncookiesRecv EmbryonicRsts TW TWRecycled ListenOverflows "
      "ListenDrops TCPAbortOnData\n"
      "TcpExt: 0 0 1 160 3 12 20 1\n");
  const std::vector<CounterRow> rows =
      BuildCounterRows(Names({"ActiveOpens", "ListenOverflows"}), earlier, &later, 4);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].delta.has_value()) << "ActiveOpens delta " << rows[0].delta.value_or(0);
  EXPECT_FALSE(rows[0].rate_per_second.has_value());
  EXPECT_EQ(rows[1].delta, 5u);
}

TEST(CounterReportTest, CatalogLookup) {
  ASSERT_NE(FindCounterInfo("ListenOverflows"), nullptr);
  EXPECT_EQ(FindCounterInfo("TcpExt.ListenOverflows"), FindCounterInfo("ListenOverflows"));
  EXPECT_EQ(FindCounterInfo("Tcp.ListenOverflows"), nullptr);
  EXPECT_EQ(FindCounterInfo("EmbryonicRsts"), nullptr);
  ASSERT_NE(FindCounterInfo("Tcp.CurrEstab"), nullptr);
  EXPECT_TRUE(FindCounterInfo("Tcp.CurrEstab")->is_gauge);
  EXPECT_FALSE(FindCounterInfo("TcpExt.TW")->is_gauge);
  // Every catalog entry names a counter in TcpExt or Tcp once.
  for (const CounterInfo& info : ImportantCounters()) {
    EXPECT_TRUE(info.section == "TcpExt" || info.section == "Tcp") << info.name;
    EXPECT_FALSE(info.meaning.empty()) << info.name;
    int seen = 0;
    for (const CounterInfo& other : ImportantCounters()) {
      if (other.section == info.section && other.name == info.name) ++seen;
    }
    EXPECT_EQ(seen, 1) << info.name;
  }
}

}  // namespace
}  // namespace tcpdoctor
