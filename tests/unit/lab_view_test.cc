// The lab's text and JSON on a made-up outcome: every part of the narrative is there, in
// order, and the JSON has the documented shape (docs/json.md, "tcpdoctor lab --json").
#include "present/lab_view.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

LabOutcome MadeUpOutcome() {
  LabOutcome o;
  o.scenario = "made-up";
  o.summary = "A scenario that shows a thing";
  o.parameters = {{"connections", 300, true, "connections made"},
                  {"rate", 12.5, false, "connections a second"}};
  o.sysctls = {{"net.ipv4.tcp_tw_reuse", "0", true, "so that nothing is reused"},
               {"net.ipv4.tcp_fin_timeout", "60", false, "the default"}};
  o.steps = {{"Started lab-server[42]", {}},
             {"Made 300 connections",
              {{{"connections_completed", int64_t{300}}, "connections completed: 300 of 300"},
               {{"client_errors", std::string("none")}, "errors seen by the client: none"},
               {{"seconds", 1.5}, "it took 1.5 s"}}}};
  o.conclusions = {"It landed where it should."};
  o.surprises = {"The kernel did something else once."};
  o.expected_findings = {
      {"port-exhaustion", "127.0.0.1 -> 127.0.0.1:8080", "ports", true, "warning"},
      {"server-active-close", "port 8080", "the server closed", false, ""}};
  o.checkup_after_step = 2;
  o.netns_inode = 4026532999;
  o.pids = {42};
  o.duration_seconds = 2.25;
  return o;
}

CheckupReport MadeUpCheckup() {
  CheckupReport r;
  r.netns = "lab net:[4026532999]";
  r.interval_seconds = 2;
  r.rules_checked = 10;
  Finding f;
  f.id = "port-exhaustion";
  f.severity = Severity::kWarning;
  f.subject = "127.0.0.1 -> 127.0.0.1:8080";
  f.title = "Ephemeral ports toward 127.0.0.1:8080 are 67 % used";
  r.findings = {f};
  return r;
}

TEST(LabViewTest, TextTellsTheStoryInOrder) {
  const std::string text = LabText(MadeUpOutcome(), MadeUpCheckup());
  const std::vector<std::string> in_order = {
      "tcpdoctor lab made-up\n",
      "  A scenario that shows a thing\n",
      "parameters: --connections 300 (connections made), --rate 12.5 (connections a second)",
      "net:[4026532999]",
      "  net.ipv4.tcp_tw_reuse = 0 (set by the lab)\n      so that nothing is reused\n",
      "  net.ipv4.tcp_fin_timeout = 60 (the namespace's default)\n",
      "  1. Started lab-server[42]\n",
      "  2. Made 300 connections\n",
      "     - connections completed: 300 of 300\n",
      "     - it took 1.5 s\n",
      "What it means:\n  - It landed where it should.\n",
      "did not do what this scenario expected:\n  - The kernel did something else once.\n",
      "[port-exhaustion] about \"127.0.0.1 -> 127.0.0.1:8080\": found (warning); ports",
      "[server-active-close] about \"port 8080\": NOT found",
      "taken after step 2",
      "tcpdoctor checkup: lab net:[4026532999] network namespace",
      "WARNING  Ephemeral ports toward 127.0.0.1:8080 are 67 % used  [port-exhaustion]",
      "Done in 2.2 s. Its 1 helper process (pid 42) was killed and reaped",
  };
  size_t at = 0;
  for (const std::string& part : in_order) {
    const size_t found = text.find(part, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << part << "\n" << text;
    at = found + part.size();
  }
  for (const std::string& line : {text.substr(0, text.find('\n'))}) EXPECT_LE(line.size(), 100u);
}

TEST(LabViewTest, TextLeavesOutEmptySections) {
  LabOutcome o = MadeUpOutcome();
  o.surprises.clear();
  o.expected_findings.clear();
  o.pids.clear();
  const std::string text = LabText(o, MadeUpCheckup());
  EXPECT_EQ(text.find("did not do what"), std::string::npos) << text;
  EXPECT_EQ(text.find("should find"), std::string::npos) << text;
  EXPECT_EQ(text.find("helper process"), std::string::npos) << text;
}

TEST(LabViewTest, JsonHasTheDocumentedShape) {
  const nlohmann::ordered_json doc = LabJson(MadeUpOutcome(), MadeUpCheckup());
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"scenario", "summary", "parameters", "namespace",
                                            "steps", "observed", "conclusions", "surprises",
                                            "expected_findings", "checkup_after_step", "pids",
                                            "duration_seconds", "checkup"}));
  EXPECT_EQ(doc["scenario"], "made-up");
  EXPECT_TRUE(doc["parameters"]["connections"].is_number_integer());
  EXPECT_EQ(doc["parameters"]["connections"], 300);
  EXPECT_EQ(doc["parameters"]["rate"], 12.5);
  EXPECT_EQ(doc["namespace"]["inode"], 4026532999u);
  EXPECT_EQ(doc["namespace"]["sysctls"][0],
            nlohmann::ordered_json({{"key", "net.ipv4.tcp_tw_reuse"},
                                    {"value", "0"},
                                    {"set_by_lab", true},
                                    {"why", "so that nothing is reused"}}));
  ASSERT_EQ(doc["steps"].size(), 2u);
  EXPECT_EQ(doc["steps"][0]["observed"].size(), 0u);
  EXPECT_EQ(doc["steps"][1]["observed"][0],
            nlohmann::ordered_json({{"key", "connections_completed"},
                                    {"value", 300},
                                    {"text", "connections completed: 300 of 300"}}));
  // Every observation of every step, by key, with its value's own type.
  EXPECT_EQ(doc["observed"],
            nlohmann::ordered_json(
                {{"connections_completed", 300}, {"client_errors", "none"}, {"seconds", 1.5}}));
  EXPECT_EQ(doc["expected_findings"][0]["found"], true);
  EXPECT_EQ(doc["expected_findings"][0]["severity"], "warning");
  EXPECT_EQ(doc["expected_findings"][1]["found"], false);
  EXPECT_TRUE(doc["expected_findings"][1]["severity"].is_null());
  EXPECT_EQ(doc["checkup_after_step"], 2);
  EXPECT_EQ(doc["pids"], nlohmann::ordered_json::array({42}));
  EXPECT_EQ(doc["duration_seconds"], 2.25);
  EXPECT_EQ(doc["checkup"], CheckupJson(MadeUpCheckup()));
}

TEST(LabViewTest, ListShowsEachScenarioWithItsBounds) {
  const std::vector<LabScenarioInfo> infos = {
      {"one", "the first", {{"connections", 2000, 1, 5000, true, "connections made"}}},
      {"two", "the second", {{"duration", 5, 2, 15.5, false, "seconds"}}}};
  const std::string text = LabListText(infos);
  EXPECT_NE(
      text.find("one\n    the first\n      --connections 2000 (1 to 5000): connections made\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("--duration 5 (2 to 15.5): seconds"), std::string::npos) << text;
  const nlohmann::ordered_json doc = LabListJson(infos);
  EXPECT_EQ(doc["scenarios"][0]["name"], "one");
  EXPECT_EQ(doc["scenarios"][0]["options"]["connections"],
            nlohmann::ordered_json(
                {{"default", 2000}, {"min", 1}, {"max", 5000}, {"meaning", "connections made"}}));
  EXPECT_EQ(doc["scenarios"][1]["options"]["duration"]["max"], 15.5);
}

}  // namespace
}  // namespace tcpdoctor
