// The text exposition writer: number formatting at its edges, escaping of label values and HELP
// (and bytes that are not UTF-8, which Prometheus rejects), one HELP/TYPE per family whatever
// order samples arrive in, empty families left out, name validation; and promtool accepts it.
#include "present/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "promtool_check.h"

namespace tcpdoctor {
namespace {

TEST(PrometheusTextTest, IntegersAreExactPast2To53) {
  EXPECT_EQ(MetricValue(0).ToString(), "0");
  EXPECT_EQ(MetricValue(-1).ToString(), "-1");
  EXPECT_EQ(MetricValue(uint64_t{9007199254740993u}).ToString(), "9007199254740993");  // 2^53+1
  EXPECT_EQ(MetricValue(std::numeric_limits<uint64_t>::max()).ToString(), "18446744073709551615");
  EXPECT_EQ(MetricValue(std::numeric_limits<int64_t>::min()).ToString(), "-9223372036854775808");
  EXPECT_EQ(MetricValue(uint32_t{4294967295u}).ToString(), "4294967295");
}

TEST(PrometheusTextTest, WholeDoublesAreIntegersOthersRoundTrip) {
  EXPECT_EQ(MetricValue(1e6).ToString(), "1000000");
  EXPECT_EQ(MetricValue(-0.0).ToString(), "0");
  EXPECT_EQ(MetricValue(4096.0).ToString(), "4096");
  EXPECT_EQ(MetricValue(9007199254740992.0).ToString(), "9007199254740992");
  EXPECT_EQ(MetricValue(0.5).ToString(), "0.5");
  EXPECT_EQ(MetricValue(-2.25).ToString(), "-2.25");
  EXPECT_EQ(MetricValue(0.1).ToString(), "0.1");
  EXPECT_EQ(MetricValue(1.5e-7).ToString(), "1.5e-07");
  // Past int64: the shorter of the exact integer and the shortest exponent form.
  EXPECT_EQ(MetricValue(std::ldexp(1.0, 63)).ToString(), "9223372036854775808");
  EXPECT_EQ(MetricValue(std::ldexp(1.0, 70)).ToString(), "1180591620717411303424");
  EXPECT_EQ(MetricValue(1e300).ToString(), "1e+300");
  // Enough digits to read back the same double.
  for (double d : {1.0 / 3, 2.0 / 3, 1e-300, 123456.789012345678, 1.7976931348623157e308,
                   std::numeric_limits<double>::denorm_min()}) {
    const std::string text = MetricValue(d).ToString();
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  }
}

TEST(PrometheusTextTest, NanAndInfinitiesAsPrometheusSpellsThem) {
  EXPECT_EQ(MetricValue(std::numeric_limits<double>::quiet_NaN()).ToString(), "NaN");
  EXPECT_EQ(MetricValue(std::numeric_limits<double>::infinity()).ToString(), "+Inf");
  EXPECT_EQ(MetricValue(-std::numeric_limits<double>::infinity()).ToString(), "-Inf");
}

TEST(PrometheusTextTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue(R"(C:\dir)"), R"(C:\\dir)");
  EXPECT_EQ(EscapeLabelValue(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(EscapeLabelValue("\\n"), R"(\\n)");                 // a backslash then n, not a newline
  EXPECT_EQ(EscapeLabelValue("tab\tand\rcr"), "tab\tand\rcr");  // allowed as they are
  EXPECT_EQ(EscapeLabelValue(""), "");
}

TEST(PrometheusTextTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp(R"(a "quoted" C:\path)"), R"(a "quoted" C:\\path)");
  EXPECT_EQ(EscapeHelp("one\ntwo"), R"(one\ntwo)");
}

TEST(PrometheusTextTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string kFffd = "\xEF\xBF\xBD";
  // Well-formed sequences of 1 to 4 bytes stay.
  EXPECT_EQ(EscapeLabelValue("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(EscapeLabelValue("a\xFFz"), "a" + kFffd + "z");                        // never valid
  EXPECT_EQ(EscapeLabelValue("\xC0\x80"), kFffd + kFffd);                          // overlong NUL
  EXPECT_EQ(EscapeLabelValue("\xED\xA0\x80"), kFffd + kFffd + kFffd);              // a surrogate
  EXPECT_EQ(EscapeLabelValue("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(EscapeLabelValue("x\xE2\x82"), "x" + kFffd + kFffd);        // cut short at the end
  EXPECT_EQ(EscapeLabelValue("\xE2\x82\"q"), kFffd + kFffd + "\\\"q");  // cut short by a quote
  EXPECT_EQ(EscapeHelp("\x80"), kFffd);
}

TEST(PrometheusTextTest, OneHelpAndTypePerFamilyWithItsSamplesTogether) {
  PrometheusText doc;
  MetricFamily& a = doc.Family("demo_sockets", "Sockets \"now\".\nPer state.", MetricType::kGauge);
  MetricFamily& b = doc.Family("demo_events_total", "Events.", MetricType::kCounter);
  a.Add({{"netns", "one"}, {"state", "listen"}}, 3);
  b.Add({{"netns", "one"}}, uint64_t{18446744073709551615u});
  // A later declaration of the same name is the same family: its samples join the first.
  MetricFamily& again =
      doc.Family("demo_sockets", "Sockets \"now\".\nPer state.", MetricType::kGauge);
  EXPECT_EQ(&again, &a);
  again.Add({{"netns", "two"}, {"state", "listen"}}, 0.5);
  doc.Family("demo_empty", "Never written.", MetricType::kGauge);
  b.Add({}, 7);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(doc.Render(),
            "# HELP demo_sockets Sockets \"now\".\\nPer state.\n"
            "# TYPE demo_sockets gauge\n"
            "demo_sockets{netns=\"one\",state=\"listen\"} 3\n"
            "demo_sockets{netns=\"two\",state=\"listen\"} 0.5\n"
            "# HELP demo_events_total Events.\n"
            "# TYPE demo_events_total counter\n"
            "demo_events_total{netns=\"one\"} 18446744073709551615\n"
            "demo_events_total 7\n");
}

TEST(PrometheusTextTest, NothingToRenderIsEmpty) {
  PrometheusText doc;
  doc.Family("demo_a", "A.", MetricType::kGauge);
  EXPECT_EQ(doc.Render(), "");
}

TEST(PrometheusTextTest, MetricAndLabelNames) {
  for (const char* good : {"a", "_x", "tcpdoctor_tcp_sockets", "job:rate5m", "A9_b"}) {
    EXPECT_TRUE(IsValidMetricName(good)) << good;
  }
  for (const char* bad : {"", "9lives", "has-dash", "has space", "é", "a.b"}) {
    EXPECT_FALSE(IsValidMetricName(bad)) << bad;
  }
  for (const char* good : {"netns", "_x", "remote_port", "A9"}) {
    EXPECT_TRUE(IsValidLabelName(good)) << good;
  }
  for (const char* bad : {"", "__name__", "__x", "a:b", "1a", "a-b"}) {
    EXPECT_FALSE(IsValidLabelName(bad)) << bad;
  }
}

TEST(PrometheusTextTest, PromtoolAcceptsEscapesOddBytesAndSpecialValues) {
  PrometheusText doc;
  MetricFamily& g =
      doc.Family("demo_value", "Values at the edges: \\ and\nnewline.", MetricType::kGauge);
  g.Add({{"label", "back\\slash \"quoted\"\nnewline"}}, std::numeric_limits<double>::quiet_NaN());
  g.Add({{"label", "bad \xFF\xC0 bytes"}}, std::numeric_limits<double>::infinity());
  g.Add({{"label", ""}}, -std::numeric_limits<double>::infinity());
  g.Add({{"label", "big"}}, std::numeric_limits<uint64_t>::max());
  g.Add({{"label", "tiny"}}, 1.5e-300);
  doc.Family("demo_things_total", "Things.", MetricType::kCounter).Add({}, 12);

  EXPECT_EQ(test_util::PromtoolProblems(doc.Render(), "edges.prom"), "") << doc.Render();
}

}  // namespace
}  // namespace tcpdoctor
