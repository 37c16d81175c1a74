// The explain topics: coverage of states and counters, lookups, and the advice kernel-facts.md
// §0 forbids.
#include "analyze/explain_topics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyze/counter_catalog.h"
#include "model/tcp_state.h"

namespace tcpdoctor {
namespace {

std::string AllText(const Topic& t) {
  return std::string(t.name) + "\n" + std::string(t.meaning) + "\n" + std::string(t.who_sees_it) +
         "\n" + std::string(t.when_to_worry) + "\n" + std::string(t.what_to_do) + "\n" +
         std::string(t.kernel_changes);
}

// Case-insensitive substring.
bool Has(std::string_view text, std::string_view part) {
  const auto same = [](unsigned char a, unsigned char b) {
    return std::tolower(a) == std::tolower(b);
  };
  return std::search(text.begin(), text.end(), part.begin(), part.end(), same) != text.end();
}

void ExpectSays(std::string_view text, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) EXPECT_TRUE(Has(text, p)) << "'" << p << "' not in: " << text;
}

const Topic& Get(std::string_view name) {
  const Topic* t = FindTopic(name);
  EXPECT_NE(t, nullptr) << name;
  static const Topic kEmpty{};
  return t != nullptr ? *t : kEmpty;
}

TEST(ExplainTopicsTest, EveryStateHasATopic) {
  for (TcpState s : kStatesInOrder) {
    const Topic* t = FindTopic(StateName(s));
    ASSERT_NE(t, nullptr) << StateName(s);
    EXPECT_EQ(t->name, StateName(s));
    EXPECT_EQ(t->kind, "state");
  }
}

TEST(ExplainTopicsTest, EveryImportantCounterHasATopic) {
  for (const CounterInfo& c : ImportantCounters()) {
    const Topic* t = FindTopic(c.name);
    ASSERT_NE(t, nullptr) << c.name;
    EXPECT_EQ(t->name, c.name);
    EXPECT_EQ(t->kind, "counter");
    EXPECT_EQ(FindTopic(std::string(c.section) + "." + std::string(c.name)), t) << c.name;
  }
}

TEST(ExplainTopicsTest, NamesAreUniqueAndKindsKnown) {
  for (const Topic& t : AllTopics()) {
    EXPECT_TRUE(t.kind == "state" || t.kind == "counter" || t.kind == "sysctl") << t.name;
    EXPECT_EQ(FindTopic(t.name), &t) << t.name;
  }
  EXPECT_EQ(AllTopics().size(), 11 + ImportantCounters().size() + 17);
}

TEST(ExplainTopicsTest, EveryTopicSaysWhatWhenWhatAndWhere) {
  for (const Topic& t : AllTopics()) {
    EXPECT_FALSE(t.meaning.empty()) << t.name;
    EXPECT_FALSE(t.who_sees_it.empty()) << t.name;
    EXPECT_FALSE(t.when_to_worry.empty()) << t.name;
    EXPECT_FALSE(t.what_to_do.empty()) << t.name;
    EXPECT_FALSE(t.source.empty()) << t.name;
  }
}

TEST(ExplainTopicsTest, AcceptsTheUsualSpellings) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      // States: case, dashes or underscores, or neither.
      {"TIME_WAIT", "TIME_WAIT"},
      {"time_wait", "TIME_WAIT"},
      {"time-wait", "TIME_WAIT"},
      {"TIME-WAIT", "TIME_WAIT"},
      {"timewait", "TIME_WAIT"},
      {"fin-wait-1", "FIN_WAIT1"},
      {"fin_wait2", "FIN_WAIT2"},
      {"close-wait", "CLOSE_WAIT"},
      {"close", "CLOSE"},
      {"syn-recv", "SYN_RECV"},
      // Counters, with or without their section.
      {"ListenOverflows", "ListenOverflows"},
      {"TcpExt.ListenOverflows", "ListenOverflows"},
      {"tcpext.listenoverflows", "ListenOverflows"},
      {"Tcp.CurrEstab", "CurrEstab"},
      {"tw", "TW"},
      // Sysctls: dots or slashes, with or without the prefix.
      {"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
      {"net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
      {"tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
      {"TCP_FIN_TIMEOUT", "net.ipv4.tcp_fin_timeout"},
      {"tcp-fin-timeout", "net.ipv4.tcp_fin_timeout"},
      {"/proc/sys/net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
      {"somaxconn", "net.core.somaxconn"},
      {"net/core/somaxconn", "net.core.somaxconn"},
      {"file-max", "fs.file-max"},
      {"fs/file-max", "fs.file-max"},
      {"nr_open", "fs.nr_open"},
      {"tcp_tw_reuse", "net.ipv4.tcp_tw_reuse"},
      {"tcp_tw_reuse_delay", "net.ipv4.tcp_tw_reuse_delay"},
  };
  for (const auto& [typed, name] : cases) EXPECT_EQ(Get(typed).name, name) << typed;
  for (std::string_view unknown :
       {"Tcp.ListenOverflows", "net.core.tcp_fin_timeout", "frobnicate", ""}) {
    EXPECT_EQ(FindTopic(unknown), nullptr) << unknown;  // wrong section, wrong prefix, ...
  }
}

TEST(ExplainTopicsTest, MisspellingsFindTheClosestTopic) {
  EXPECT_EQ(ClosestTopic("TIME_WAT"), "TIME_WAIT");
  EXPECT_EQ(ClosestTopic("listenoverflow"), "ListenOverflows");
  EXPECT_EQ(ClosestTopic("tcp_fin_timout"), "net.ipv4.tcp_fin_timeout");
  EXPECT_EQ(ClosestTopic("frobnicate"), "");
}

// kernel-facts.md §0: advice the tool must never give.
TEST(ExplainTopicsTest, TcpTwRecycleAppearsOnlyAsAWarning) {
  for (const Topic& t : AllTopics()) {
    if (t.name == "net.ipv4.tcp_tw_recycle") continue;
    EXPECT_FALSE(Has(AllText(t), "tw_recycle")) << t.name;
  }
  const Topic& recycle = Get("tcp_tw_recycle");
  ExpectSays(recycle.meaning, {"removed", "NAT"});
  ExpectSays(recycle.kernel_changes, {"4.12"});
  ExpectSays(recycle.what_to_do, {"never enable"});
}

TEST(ExplainTopicsTest, TimeWaitIsFixedAndNotShortenedByFinTimeout) {
  const Topic& tw = Get("TIME_WAIT");
  ExpectSays(tw.meaning, {"fixed 60 s", "TCP_TIMEWAIT_LEN", "tcp_fin_timeout does not"});
  EXPECT_FALSE(Has(tw.what_to_do, "fin_timeout"));
  ExpectSays(Get("tcp_fin_timeout").meaning, {"does not change TIME_WAIT"});
  ExpectSays(Get("tcp_fin_timeout").what_to_do, {"not a TIME_WAIT setting"});
  for (const Topic& t : AllTopics()) {
    for (std::string_view bad :
         {"lower tcp_fin_timeout", "lowering tcp_fin_timeout", "reduce tcp_fin_timeout",
          "decrease tcp_fin_timeout", "lower net.ipv4.tcp_fin_timeout"}) {
      EXPECT_FALSE(Has(AllText(t), bad)) << t.name << ": " << bad;
    }
  }
}

TEST(ExplainTopicsTest, MaxTwBucketsMustNotBeLowered) {
  ExpectSays(Get("tcp_max_tw_buckets").what_to_do, {"do not lower it"});
  ExpectSays(Get("TCPTimeWaitOverflow").what_to_do, {"do not lower"});
  for (const Topic& t : AllTopics()) {
    EXPECT_FALSE(Has(AllText(t), "lower tcp_max_tw_buckets") &&
                 !Has(AllText(t), "not lower tcp_max_tw_buckets"))
        << t.name;
  }
}

TEST(ExplainTopicsTest, TwReuseOnlyAffectsOutgoingConnections) {
  ExpectSays(Get("tcp_tw_reuse").meaning,
             {"only affects outgoing connections", "does not help servers", "timestamps"});
}

TEST(ExplainTopicsTest, MaxSynBacklogOnlyMattersWithoutSyncookies) {
  ExpectSays(Get("tcp_max_syn_backlog").meaning,
             {"only when tcp_syncookies=0", "does not size the SYN queue"});
}

}  // namespace
}  // namespace tcpdoctor
