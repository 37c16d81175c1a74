// `tcpdoctor explain` through RunCli, in-process: the listing, one topic as text and JSON, and
// a mistyped topic.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "analyze/counter_catalog.h"
#include "cli/app.h"

namespace tcpdoctor {
namespace {

// Runs tcpdoctor ARGS in-process and keeps its exit code and output.
struct CliRun {
  explicit CliRun(std::vector<const char*> args) {
    args.insert(args.begin(), "tcpdoctor");
    std::ostringstream o, e;
    code = RunCli(static_cast<int>(args.size()), args.data(), o, e);
    out = o.str();
    err = e.str();
  }
  int code;
  std::string out, err;
};

CliRun Tcpdoctor(std::vector<const char*> args) { return CliRun(std::move(args)); }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ExplainCliTest, WithoutATopicListsThemByKind) {
  const CliRun run = Tcpdoctor({"explain"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  const std::string counters = "counters (" + std::to_string(ImportantCounters().size()) + "):";
  for (const std::string& part :
       {std::string("states (11):"), counters, std::string("sysctls (17):"),
        std::string("TIME_WAIT"), std::string("ListenOverflows"), std::string("TCPSynRetrans"),
        std::string("net.ipv4.tcp_fin_timeout"), std::string("fs.nr_open")}) {
    EXPECT_TRUE(Contains(run.out, part)) << part << " not in:\n" << run.out;
  }
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 90u) << line;
}

TEST(ExplainCliTest, ListAsJson) {
  const CliRun run = Tcpdoctor({"explain", "--json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  const auto doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["states"].size(), 11u);
  EXPECT_EQ(doc["states"][0], "ESTABLISHED");
  EXPECT_EQ(doc["counters"][0], "ListenOverflows");
  EXPECT_EQ(doc["sysctls"][0], "net.core.somaxconn");
}

TEST(ExplainCliTest, OneTopicAsText) {
  const CliRun run = Tcpdoctor({"explain", "time-wait"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_TRUE(run.out.starts_with("TIME_WAIT (TCP state)\n=====")) << run.out;
  for (const char* part :
       {"Meaning:\n  ", "Who sees it:\n", "When to worry:\n", "What to do:\n", "Kernel changes:\n",
        "Source: kernel-facts §1, §4", "TCP_TIMEWAIT_LEN"}) {
    EXPECT_TRUE(Contains(run.out, part)) << part << " not in:\n" << run.out;
  }
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 90u) << line;
}

TEST(ExplainCliTest, OneTopicAsJson) {
  const CliRun run = Tcpdoctor({"--json", "explain", "TcpExt.ListenOverflows"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  const auto doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["name"], "ListenOverflows");
  EXPECT_EQ(doc["kind"], "counter");
  for (const char* key : {"meaning", "who_sees_it", "when_to_worry", "what_to_do", "source"}) {
    EXPECT_TRUE(doc[key].is_string()) << key;
  }
  EXPECT_TRUE(doc["kernel_changes"].is_string());
  const auto none = nlohmann::json::parse(Tcpdoctor({"explain", "ListenDrops", "--json"}).out);
  EXPECT_TRUE(none["kernel_changes"].is_null());
}

TEST(ExplainCliTest, OtherGlobalOptionsAreIgnored) {
  const CliRun run = Tcpdoctor(
      {"explain", "somaxconn", "--state", "listen", "--all-netns", "-4", "--sport", "80"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_TRUE(run.out.starts_with("net.core.somaxconn (sysctl)")) << run.out;
}

TEST(ExplainCliTest, AMisspellingIsAUsageErrorWithASuggestion) {
  const CliRun run = Tcpdoctor({"explain", "ListenOverflow"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "tcpdoctor: unknown topic 'ListenOverflow' (did you mean 'ListenOverflows'?)\n");
  const CliRun far = Tcpdoctor({"explain", "frobnicate"});
  EXPECT_EQ(far.code, kExitUsage);
  EXPECT_TRUE(far.err.starts_with("tcpdoctor: unknown topic 'frobnicate'")) << far.err;
  EXPECT_FALSE(Contains(far.err, "did you mean"));
  EXPECT_EQ(std::count(far.err.begin(), far.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace tcpdoctor
