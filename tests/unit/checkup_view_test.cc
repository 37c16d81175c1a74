// How a checkup reads: the summary line, each finding's parts in order, the verdict line, and
// the JSON of docs/json.md.
#include "present/checkup_view.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

Finding Sample(Severity severity, std::string id, std::string subject) {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.subject = std::move(subject);
  f.title = "leaker[42] is leaking CLOSE_WAIT sockets";
  f.evidence = {"900 CLOSE_WAIT sockets, +40 in 1.0 s", "peers: 10.0.0.5 (900)"};
  f.facts = {
      {"close_wait", int64_t{900}}, {"fd_percent", 97.5}, {"process", std::string("leaker")}};
  f.why = "The peer closed the connection and the application has not called close().";
  f.fix = {"Close the socket when read() returns 0.", "Restart leaker[42] as a stopgap."};
  f.topics = {"CLOSE_WAIT"};
  return f;
}

CheckupReport Report(std::vector<Finding> findings) {
  CheckupReport r;
  r.netns = "current";
  r.interval_seconds = 1;
  r.states.Add(TcpState::kEstablished, 10);
  r.states.Add(TcpState::kCloseWait, 900);
  r.findings = std::move(findings);
  r.rules_checked = 10;
  return r;
}

TEST(CheckupViewTest, HealthyReportSaysSoInOneLine) {
  const std::string text = CheckupText(Report({}));
  EXPECT_NE(text.find("sockets 910: ESTABLISHED 10, CLOSE_WAIT 900\n"), std::string::npos) << text;
  EXPECT_NE(text.find("OK: no problem found by 10 rules.\n"), std::string::npos) << text;
  EXPECT_EQ(CheckupStatus({}), "ok");
}

TEST(CheckupViewTest, FindingShowsTitleEvidenceWhyNumberedFixAndTopics) {
  const std::string text =
      CheckupText(Report({Sample(Severity::kCritical, "close-wait-leak", "leaker[42]"),
                          Sample(Severity::kInfo, "aborted-closes", "current")}));
  const size_t title =
      text.find("CRITICAL  leaker[42] is leaking CLOSE_WAIT sockets  [close-wait-leak]");
  const size_t evidence = text.find("    - 900 CLOSE_WAIT sockets, +40 in 1.0 s\n");
  const size_t why = text.find("    why: The peer closed");
  const size_t fix1 = text.find("    fix: 1. Close the socket when read() returns 0.\n");
  const size_t fix2 = text.find("         2. Restart leaker[42] as a stopgap.\n");
  const size_t more = text.find("    more: tcpdoctor explain CLOSE_WAIT\n");
  const size_t info = text.find("INFO  ");
  const size_t verdict = text.find("CRITICAL: 1 critical, 0 warnings, 1 info (10 rules checked).");
  for (size_t at : {title, evidence, why, fix1, fix2, more, info, verdict}) {
    ASSERT_NE(at, std::string::npos) << text;
  }
  EXPECT_LT(title, evidence);
  EXPECT_LT(evidence, why);
  EXPECT_LT(why, fix1);
  EXPECT_LT(fix1, fix2);
  EXPECT_LT(fix2, more);
  EXPECT_LT(more, info);
  EXPECT_LT(info, verdict);
}

TEST(CheckupViewTest, LongLinesWrapUnderTheirIndent) {
  Finding f = Sample(Severity::kWarning, "close-wait-leak", "x");
  f.why = std::string(60, 'a') + " " + std::string(60, 'b');
  const std::string text = CheckupText(Report({f}));
  EXPECT_NE(text.find("    why: " + std::string(60, 'a') + "\n         " + std::string(60, 'b')),
            std::string::npos)
      << text;
}

// 5 findings of one rule: 3 in full, then one line for the other 2; the verdict counts all.
TEST(CheckupViewTest, ManyFindingsOfOneRuleAreSummedUpAfterThree) {
  std::vector<Finding> findings;
  for (int i = 0; i < 5; ++i) {
    Finding f = Sample(Severity::kCritical, "close-wait-leak", "p[" + std::to_string(i) + "]");
    f.title = "title " + std::to_string(i);
    findings.push_back(f);
  }
  findings.push_back(Sample(Severity::kWarning, "fd-exhaustion", "p[0]"));
  const std::string text = CheckupText(Report(findings));
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(text.find("CRITICAL  title " + std::to_string(i)), std::string::npos) << text;
  }
  EXPECT_EQ(text.find("title 3"), std::string::npos) << text;
  EXPECT_EQ(text.find("title 4"), std::string::npos) << text;
  const size_t more = text.find(
      "CRITICAL  ... and 2 more [close-wait-leak] findings like the above (all of them: --all "
      "or --json)\n");
  ASSERT_NE(more, std::string::npos) << text;
  EXPECT_LT(more, text.find("WARNING  "));
  EXPECT_NE(text.find("CRITICAL: 5 critical, 1 warning, 0 info"), std::string::npos) << text;

  CheckupReport all = Report(findings);
  all.shown_per_rule = 0;
  const std::string full = CheckupText(all);
  EXPECT_NE(full.find("title 4"), std::string::npos);
  EXPECT_EQ(full.find("more [close-wait-leak]"), std::string::npos);
}

TEST(CheckupViewTest, InfoOnlyIsStillOk) {
  EXPECT_EQ(CheckupStatus({Sample(Severity::kInfo, "a", "b")}), "ok");
  EXPECT_EQ(
      CheckupStatus({Sample(Severity::kInfo, "a", "b"), Sample(Severity::kWarning, "a", "c")}),
      "warning");
}

TEST(CheckupViewTest, JsonCarriesStatusStatesAndEachFindingWithTypedData) {
  const nlohmann::ordered_json j =
      CheckupJson(Report({Sample(Severity::kWarning, "close-wait-leak", "leaker[42]")}));
  EXPECT_EQ(j["netns"], "current");
  EXPECT_EQ(j["status"], "warning");
  EXPECT_EQ(j["interval_seconds"], 1.0);
  EXPECT_EQ(j["rules_checked"], 10);
  EXPECT_EQ(j["total"], 910);
  EXPECT_EQ(j["states"]["CLOSE_WAIT"], 900);
  ASSERT_EQ(j["findings"].size(), 1u);
  const auto& f = j["findings"][0];
  EXPECT_EQ(f["id"], "close-wait-leak");
  EXPECT_EQ(f["severity"], "warning");
  EXPECT_EQ(f["subject"], "leaker[42]");
  EXPECT_EQ(f["data"]["close_wait"], 900);
  EXPECT_TRUE(f["data"]["close_wait"].is_number_integer());
  EXPECT_EQ(f["data"]["fd_percent"], 97.5);
  EXPECT_EQ(f["data"]["process"], "leaker");
  EXPECT_EQ(f["evidence"].size(), 2u);
  EXPECT_EQ(f["fix"].size(), 2u);
  EXPECT_EQ(f["explain"][0], "CLOSE_WAIT");
  std::vector<std::string> keys;
  for (const auto& [key, value] : f.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "severity", "subject", "title", "evidence",
                                            "data", "why", "fix", "explain"}));
}

}  // namespace
}  // namespace tcpdoctor
