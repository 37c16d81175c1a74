// The doctor as a whole: threshold overrides (--set, --config), the order of findings, a quiet
// healthy snapshot, and on a snapshot that is sick in every way: each rule speaks, each finding
// is complete, its topics exist in `explain`, and no advice contradicts kernel-facts §0.
#include "analyze/doctor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

#include "analyze/explain_topics.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::HealthySnapshot;
using test_util::Listener;
using test_util::Process;
using test_util::SetCounter;

const Rule* FirstRuleWithParams() {
  for (const Rule& r : AllRules()) {
    if (!r.params.empty()) return &r;
  }
  return nullptr;
}

TEST(DoctorSettingsTest, SetOverridesOneThresholdOfOneRule) {
  const Rule* rule = FirstRuleWithParams();
  ASSERT_NE(rule, nullptr) << "no rule has a threshold";
  const std::string key(rule->params.front().key);
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set(std::string(rule->id) + "." + key + "=7.5").ok());
  EXPECT_EQ(settings.For(*rule).Get(key), 7.5);
  // Other rules keep their defaults.
  for (const Rule& other : AllRules()) {
    if (other.id == rule->id) continue;
    for (const RuleParam& p : other.params) EXPECT_EQ(settings.For(other).Get(p.key), p.value);
  }
}

TEST(DoctorSettingsTest, LastSettingWinsAndSpacesAreAllowed) {
  const Rule* rule = FirstRuleWithParams();
  ASSERT_NE(rule, nullptr);
  const std::string name = std::string(rule->id) + "." + std::string(rule->params.front().key);
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set(name + " = 3").ok());
  ASSERT_TRUE(settings.Set(name + "=4").ok());
  EXPECT_EQ(settings.For(*rule).Get(rule->params.front().key), 4);
}

TEST(DoctorSettingsTest, MistakesAreInvalidArgumentsThatSayWhatWasMeant) {
  const Rule* rule = FirstRuleWithParams();
  ASSERT_NE(rule, nullptr);
  const std::string id(rule->id);
  const std::string key(rule->params.front().key);
  DoctorSettings settings;
  const auto error = [&](const std::string& assignment) {
    Status s = settings.Set(assignment);
    EXPECT_FALSE(s.ok()) << assignment;
    if (s.ok()) return std::string();
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    return s.error().ToString();
  };
  EXPECT_NE(error("no-equals-sign").find("RULE.KEY=VALUE"), std::string::npos);
  EXPECT_NE(error("noDot=1").find("RULE.KEY=VALUE"), std::string::npos);
  // A typo in the rule's name: did you mean the rule.
  std::string typo = id;
  typo.back() = typo.back() == 'x' ? 'y' : 'x';
  EXPECT_NE(error(typo + "." + key + "=1").find("did you mean '" + id + "'"), std::string::npos);
  EXPECT_NE(error(id + ".nonexistent_key=1").find("has no threshold"), std::string::npos);
  EXPECT_NE(error(id + "." + key + "=abc").find("must be a number"), std::string::npos);
  EXPECT_NE(error(id + "." + key + "=-1").find("must be a number >= 0"), std::string::npos);
  EXPECT_NE(error(id + "." + key + "=").find("must be a number"), std::string::npos);
  EXPECT_NE(error(id + "." + key + "=1e999").find("must be a number"), std::string::npos);
}

TEST(DoctorSettingsTest, ConfigFileSkipsCommentsAndNamesTheBadLine) {
  const Rule* rule = FirstRuleWithParams();
  ASSERT_NE(rule, nullptr);
  const std::string name = std::string(rule->id) + "." + std::string(rule->params.front().key);
  DoctorSettings settings;
  ASSERT_TRUE(settings.Load("# thresholds\n\n" + name + " = 9  # ours\n", "t.conf").ok());
  EXPECT_EQ(settings.For(*rule).Get(rule->params.front().key), 9);
  Status bad = settings.Load("# ok\n" + name + "=1\nbogus\n", "t.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().ToString().find("t.conf:3"), std::string::npos) << bad.error().ToString();
}

TEST(DoctorTest, RuleIdsAreUniqueAndStable) {
  std::set<std::string_view> ids;
  for (const Rule& r : AllRules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_TRUE(std::regex_match(std::string(r.id), std::regex("[a-z]+(-[a-z]+)*"))) << r.id;
    EXPECT_FALSE(r.summary.empty()) << r.id;
    for (const RuleParam& p : r.params) {
      EXPECT_TRUE(std::regex_match(std::string(p.key), std::regex("[a-z]+(_[a-z0-9]+)*")))
          << r.id << "." << p.key;
      EXPECT_FALSE(p.meaning.empty()) << r.id << "." << p.key;
    }
  }
  EXPECT_EQ(ids.size(), 10u);
}

TEST(DoctorTest, AHealthySnapshotHasNoFindings) {
  Snapshot s = HealthySnapshot();
  s.states.Add(TcpState::kListen, 3);
  s.states.Add(TcpState::kEstablished, 40);
  s.listeners = {Listener("0.0.0.0", 80, 0, 4096), Listener("::", 443, 1, 511)};
  s.processes = {Process(100, "nginx", 50, 1024), Process(200, "sshd", 12, 1024)};
  for (const char* counter :
       {"TcpExt.ListenOverflows", "TcpExt.ListenDrops", "TcpExt.TCPTimeWaitOverflow",
        "TcpExt.TCPAbortOnData", "TcpExt.TCPAbortOnClose", "TcpExt.TCPReqQFullDrop",
        "TcpExt.TCPReqQFullDoCookies"}) {
    SetCounter(s, counter, 0, 0);
  }
  const std::vector<Finding> findings = RunDoctor(s, DoctorSettings{});
  for (const Finding& f : findings) ADD_FAILURE() << f.id << ": " << f.title;
  EXPECT_EQ(WorstSeverity(findings), std::nullopt);
}

// Every condition of the issue's list at once.
Snapshot SickSnapshot() {
  Snapshot s = HealthySnapshot();
  s.interval_seconds = 1;
  // 1: a process leaking CLOSE_WAIT, near its fd limit; 7: another at 97 % of nofile.
  ProcessSnapshot leaker = Process(4242, "leaker", 1000, 1024);
  leaker.states.Add(TcpState::kCloseWait, 900);
  leaker.close_wait_new = 40;
  leaker.close_wait_idle_ms = 3'600'000;
  leaker.close_wait_peers = {{Addr("10.0.0.5"), 0, 900}};
  leaker.close_wait_local = {{Addr("10.0.0.1"), 8080, 900}};
  ProcessSnapshot hog = Process(5151, "hog", 993, 1024);
  s.processes = {leaker, hog};
  s.states.Add(TcpState::kCloseWait, 900);
  // 2: a destination at 90 % of the range, mostly TIME_WAIT.
  DestinationPorts d;
  d.local = Addr("10.0.0.1");
  d.remote = Addr("10.0.0.9");
  d.remote_port = 5432;
  d.range_size = s.port_settings.RangeSize();
  d.in_use = d.range_size * 9 / 10;
  d.time_wait = d.in_use * 8 / 10;
  d.rate_per_second = 400;
  d.sustainable_rate_per_second = d.range_size / 60.0;
  s.destinations = {d};
  s.states.Add(TcpState::kTimeWait, d.time_wait);
  // 3: server-side TIME_WAIT on a listening port; 6: TIME_WAIT at the bucket limit.
  s.sysctls.tcp_max_tw_buckets = 60000;
  s.listening_time_wait = {{80, 58000, {{Addr("10.0.0.7"), 0, 58000}}}};
  s.states.Add(TcpState::kTimeWait, 58000);
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 5000, 500);
  // 4: a full listener with overflows; 5: its SYN queue full, syncookies off.
  s.sysctls.tcp_syncookies = 0;
  ListenerQueue full = Listener("0.0.0.0", 80, 129, 128, 300, "slowapp");
  full.syn_recv = 129;
  s.listeners = {full};
  s.states.Add(TcpState::kListen, 1);
  s.states.Add(TcpState::kSynRecv, 129);
  SetCounter(s, "TcpExt.ListenOverflows", 10000, 300);
  SetCounter(s, "TcpExt.ListenDrops", 12000, 400);
  SetCounter(s, "TcpExt.TCPReqQFullDrop", 900, 100);
  // 8: FIN_WAIT2 and LAST_ACK pile-ups, orphans near the limit.
  s.states.Add(TcpState::kFinWait2, 50000);
  s.fin_wait2_orphaned = 100;
  s.fin_wait2_peers = {{Addr("10.0.0.8"), 0, 50000}};
  s.states.Add(TcpState::kLastAck, 20000);
  s.last_ack_peers = {{Addr("10.0.0.9"), 0, 20000}};
  s.sysctls.tcp_max_orphans = 1000;
  // 9: aborted closes.
  SetCounter(s, "TcpExt.TCPAbortOnData", 99999, 2000);
  SetCounter(s, "TcpExt.TCPAbortOnClose", 5000, 300);
  // 10: tcp_tw_reuse off while a destination runs out; recipes in the sysctl files.
  s.sysctls.tcp_tw_reuse = 0;
  s.port_settings = PortBudgetSettings::From(s.sysctls);
  SysctlSetting recycle{"net.ipv4.tcp_tw_recycle", "1", "/etc/sysctl.conf", 3, "", false};
  SysctlSetting fin{"net.ipv4.tcp_fin_timeout", "10", "/etc/sysctl.conf", 5,
                    "shorten TIME_WAIT",        false};
  s.sysctl_config = {{recycle, false}, {fin, true}};
  return s;
}

TEST(DoctorTest, OnASickSnapshotFindingsAreOrderedCompleteAndExplained) {
  const std::vector<Finding> findings = RunDoctor(SickSnapshot(), DoctorSettings{});
  ASSERT_FALSE(findings.empty());
  std::set<std::string> rules_that_spoke;
  std::set<std::pair<std::string, std::string>> subjects;
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    SCOPED_TRACE(f.id + " " + f.subject);
    if (i > 0) {
      EXPECT_GE(findings[i - 1].severity, f.severity) << "not most severe first";
    }
    rules_that_spoke.insert(f.id);
    EXPECT_TRUE(subjects.insert({f.id, f.subject}).second) << "subject not unique in its rule";
    EXPECT_FALSE(f.title.empty());
    EXPECT_FALSE(f.evidence.empty());
    EXPECT_FALSE(f.facts.empty());
    EXPECT_FALSE(f.why.empty());
    EXPECT_FALSE(f.fix.empty());
    for (const std::string& topic : f.topics) {
      EXPECT_NE(FindTopic(topic), nullptr) << "explain has no topic " << topic;
    }
  }
  for (const Rule& r : AllRules()) {
    EXPECT_TRUE(rules_that_spoke.contains(std::string(r.id))) << r.id << " said nothing";
  }
  EXPECT_EQ(WorstSeverity(findings), Severity::kCritical);
}

// kernel-facts §0: advice the tool must never give, in any finding's text.
TEST(DoctorTest, NoFindingGivesAdviceThatKernelFactsForbids) {
  const std::vector<std::regex> forbidden = {
      // Setting tcp_tw_recycle (removed in 4.12): any "tcp_tw_recycle=1" / "= 1".
      std::regex(R"(tcp_tw_recycle\s*=\s*1)"),
      // Lowering tcp_max_tw_buckets.
      std::regex(R"((lower|reduce|decrease)[^.]*tcp_max_tw_buckets)", std::regex::icase),
      // tcp_fin_timeout as a cure for TIME_WAIT.
      std::regex(R"((lower|reduce|decrease|shorten)[^.]*tcp_fin_timeout[^.]*TIME.?WAIT)",
                 std::regex::icase),
  };
  for (const Finding& f : RunDoctor(SickSnapshot(), DoctorSettings{})) {
    std::vector<std::string> texts = f.fix;
    texts.push_back(f.why);
    texts.push_back(f.title);
    for (const std::string& t : texts) {
      for (const std::regex& r : forbidden) {
        EXPECT_FALSE(std::regex_search(t, r)) << f.id << ": " << t;
      }
      // tcp_max_syn_backlog matters only with syncookies off: never named without them.
      if (t.find("tcp_max_syn_backlog") != std::string::npos) {
        EXPECT_NE(t.find("syncookies"), std::string::npos) << f.id << ": " << t;
      }
      // tcp_tw_reuse is a client-side (outgoing connect) setting: never offered to a server
      // problem.
      if (f.id == "server-active-close" || f.id == "accept-queue-overflow") {
        EXPECT_EQ(t.find("tcp_tw_reuse=1"), std::string::npos) << f.id << ": " << t;
      }
    }
  }
}

}  // namespace
}  // namespace tcpdoctor
