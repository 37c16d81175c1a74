// RenderMetrics' contract as a whole: however long the lists, at most the top N series per
// family plus one "other" that sums exactly the rest; promtool accepts a rich scrape; and
// docs/metrics.md's tables and the output name the same metrics, types and labels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "analyze/counter_catalog.h"
#include "analyze/doctor.h"
#include "exposition.h"
#include "metrics_view_fixture.h"
#include "present/metrics_view.h"
#include "promtool_check.h"

namespace tcpdoctor {
namespace {

using test_util::BlueCollection;
using test_util::Destination;
using test_util::Exposition;
using test_util::FailedCollection;
using test_util::HealthySnapshot;
using test_util::kExporter;
using test_util::Listener;
using test_util::MakeFinding;
using test_util::ParseExposition;
using test_util::Process;
using test_util::RichCollection;
using test_util::SmallLimits;

// series sum exactly what the snapshot holds.
TEST(MetricsViewBoundsTest, LongListsStayBoundedAndOtherSumsTheRest) {
  constexpr uint32_t kMany = 10000;
  Snapshot s = HealthySnapshot();
  uint64_t accept_total = 0, backlog_total = 0, syn_total = 0;
  for (uint32_t i = 0; i < kMany; ++i) {
    ListenerQueue l = Listener(i % 2 ? "10.1.0.1" : "::", static_cast<uint16_t>(i + 1), i % 7,
                               128 + i % 5, static_cast<int32_t>(i + 1), "p" + std::to_string(i));
    l.syn_recv = i % 3;
    accept_total += l.accept_queue;
    backlog_total += l.backlog;
    syn_total += l.syn_recv;
    s.listeners.push_back(l);
  }
  uint64_t in_use_total = 0, time_wait_total = 0, port_tw_total = 0;
  for (uint32_t i = 0; i < kMany; ++i) {
    const std::string remote = "10.2." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    DestinationPorts d = Destination("10.0.0.1", remote.c_str(), 443, 2 * kMany - i, i % 11);
    in_use_total += d.in_use;
    time_wait_total += d.time_wait;
    s.destinations.push_back(d);
    s.listening_time_wait.push_back({static_cast<uint16_t>(i + 1), kMany - i, {}});
    port_tw_total += kMany - i;
  }
  StateCounts process_total;
  for (uint32_t i = 0; i < kMany; ++i) {
    ProcessSnapshot p =
        Process(static_cast<int32_t>(i + 1), "w" + std::to_string(i % 50), i % 1000, 1024);
    p.states.Add(TcpState::kCloseWait, i % 4);
    p.states.Add(TcpState::kTimeWait, i % 3);
    process_total.Merge(p.states);
    s.processes.push_back(p);
  }
  NamespaceCollection c;
  c.netns = "current";
  std::map<std::pair<std::string, Severity>, uint64_t> per_rule_severity;
  for (uint32_t i = 0; i < kMany; ++i) {
    const Rule& rule = AllRules()[i % AllRules().size()];
    const Severity severity = static_cast<Severity>(i % 3);
    c.findings.push_back(MakeFinding(std::string(rule.id), severity, "s" + std::to_string(i)));
    ++per_rule_severity[{std::string(rule.id), severity}];
  }
  std::stable_sort(c.findings.begin(), c.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  c.snapshot = std::move(s);
  std::vector<NamespaceCollection> collections;
  collections.push_back(std::move(c));
  const MetricsLimits limits;  // the defaults

  const auto start = std::chrono::steady_clock::now();
  const std::string text = RenderMetrics(collections, kExporter, limits);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "rendered " << text.size() << " bytes in " << ms << " ms\n";
  const Exposition e = ParseExposition(text);

  const auto others = [&e](const std::string& name, const std::string& label) {
    size_t n = 0;
    for (const auto* sample : e.Find(name)) n += sample->labels.at(label) == "other";
    return n;
  };
  for (const char* name : {"tcpdoctor_listener_accept_queue_connections",
                           "tcpdoctor_listener_accept_queue_max_connections",
                           "tcpdoctor_listener_syn_recv_connections"}) {
    EXPECT_EQ(e.Find(name).size(), limits.top_listeners + 1) << name;
    EXPECT_EQ(others(name, "process"), 1u) << name;
  }
  EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_connections"), accept_total);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_max_connections"), backlog_total);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_syn_recv_connections"), syn_total);
  // The shown ones are the fullest: 6 of 128..132 (+1) beat everything with 5 or less.
  for (const auto* sample : e.Find("tcpdoctor_listener_accept_queue_connections")) {
    if (sample->labels.at("port") != "other") {
      EXPECT_EQ(sample->value, "6");
    }
  }

  for (const char* name :
       {"tcpdoctor_destination_ephemeral_ports", "tcpdoctor_destination_time_wait_sockets",
        "tcpdoctor_destination_port_range_ports"}) {
    EXPECT_EQ(e.Find(name).size(), limits.top_destinations + 1) << name;
    EXPECT_EQ(others(name, "remote_address"), 1u) << name;
  }
  EXPECT_EQ(e.Sum("tcpdoctor_destination_ephemeral_ports"), in_use_total);
  EXPECT_EQ(e.Sum("tcpdoctor_destination_time_wait_sockets"), time_wait_total);
  EXPECT_EQ(e.Value("tcpdoctor_destination_port_range_ports", {{"netns", "current"},
                                                               {"local_address", "other"},
                                                               {"remote_address", "other"},
                                                               {"remote_port", "other"}}),
            "28232");

  EXPECT_EQ(e.Find("tcpdoctor_listener_time_wait_sockets").size(), limits.top_listeners + 1);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_time_wait_sockets"), port_tw_total);

  const std::string cw = "tcpdoctor_process_close_wait_sockets";
  EXPECT_EQ(e.Find(cw).size(), limits.top_processes + 1);
  EXPECT_EQ(e.Sum(cw), process_total.Get(TcpState::kCloseWait));
  EXPECT_LE(e.Find("tcpdoctor_process_sockets").size(), (limits.top_processes + 1) * 11);
  for (TcpState state : kStatesInOrder) {
    std::string label(StateName(state));
    for (char& ch : label) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(e.Sum("tcpdoctor_process_sockets", {{"state", label}}), process_total.Get(state))
        << label;
  }
  EXPECT_EQ(e.Find("tcpdoctor_process_open_fds").size(), limits.top_processes);
  EXPECT_EQ(e.Find("tcpdoctor_process_max_fds").size(), limits.top_processes);

  // Findings: the top per rule, one "other" per rule and severity, and the exact counts.
  std::map<std::string, size_t> shown_per_rule;
  for (const auto* sample : e.Find("tcpdoctor_finding")) {
    const std::string& rule = sample->labels.at("rule");
    if (sample->labels.at("subject") != "other") {
      ++shown_per_rule[rule];
      EXPECT_EQ(sample->value, "1");
    }
  }
  for (const Rule& rule : AllRules()) {
    EXPECT_EQ(shown_per_rule[std::string(rule.id)], limits.top_findings) << rule.id;
  }
  EXPECT_LE(e.Find("tcpdoctor_finding").size(), AllRules().size() * (limits.top_findings + 3));
  for (const auto& [key, count] : per_rule_severity) {
    const std::string severity(SeverityName(key.second));
    EXPECT_EQ(e.Sum("tcpdoctor_finding", {{"rule", key.first}, {"severity", severity}}), count)
        << key.first << " " << severity;
  }
  for (const char* severity : {"info", "warning", "critical"}) {
    const double total = e.Sum("tcpdoctor_finding", {{"severity", severity}});
    EXPECT_EQ(e.Value("tcpdoctor_findings", {{"netns", "current"}, {"severity", severity}}),
              std::to_string(static_cast<uint64_t>(total)));
  }
  // The whole scrape stays small however many sockets, listeners and processes there are.
  EXPECT_LT(e.samples.size(), 400u);
}

// The rendered text of a rich snapshot, with real findings from the doctor and label values that
// need escaping, passes `promtool check metrics` without a lint problem.
TEST(MetricsViewPromtoolTest, PromtoolAcceptsARichScrape) {
  NamespaceCollection rich = RichCollection();
  rich.findings = RunDoctor(*rich.snapshot, DoctorSettings{});
  ASSERT_FALSE(rich.findings.empty());
  rich.snapshot->processes[0].info.comm = "we\"ird\\na\nme\xFF";
  NamespaceCollection odd = BlueCollection();
  odd.netns = "pid:42 (a \"quoted\" \\ name)";
  const std::string text =
      RenderMetrics({rich, odd, FailedCollection()}, kExporter, MetricsLimits{});
  EXPECT_EQ(test_util::PromtoolProblems(text, "rich.prom"), "") << text;
  const Exposition e = ParseExposition(text);
  EXPECT_FALSE(
      e.Find("tcpdoctor_process_open_fds", {{"comm", "we\"ird\\na\nme\xEF\xBF\xBD"}}).empty());
  EXPECT_FALSE(e.Find("tcpdoctor_tcp_sockets", {{"netns", odd.netns}}).empty());
}

struct DocMetric {
  std::string type;
  std::set<std::string> labels;
};

// The metrics of docs/metrics.md's tables: `| `name` | type | labels | ... |`.
std::map<std::string, DocMetric> DocumentedMetrics(std::set<std::string>& mentioned) {
  std::ifstream in(std::string(TCPDOCTOR_FIXTURES) + "/../../docs/metrics.md");
  EXPECT_TRUE(in.good()) << "docs/metrics.md not found";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  const std::regex row(R"(^\| `(tcpdoctor_[a-z0-9_]+)` \| (gauge|counter) \|([^|]*)\|)");
  // Whole names: a prefix such as tcpdoctor_process_* ends in '_'.
  const std::regex name(R"(tcpdoctor_[a-z0-9_]*[a-z0-9])");
  std::map<std::string, DocMetric> metrics;
  std::istringstream lines(doc);
  std::string line;
  while (std::getline(lines, line)) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), name);
         it != std::sregex_iterator(); ++it) {
      if (line[static_cast<size_t>(it->position() + it->length())] != '_') {
        mentioned.insert(it->str());
      }
    }
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    DocMetric metric{m[2], {}};
    std::stringstream labels(m[3]);
    std::string label;
    while (std::getline(labels, label, ',')) {
      label.erase(0, label.find_first_not_of(' '));
      label.erase(label.find_last_not_of(' ') + 1);
      if (!label.empty()) metric.labels.insert(label);
    }
    EXPECT_TRUE(metrics.emplace(m[1], metric).second) << "documented twice: " << m[1];
  }
  return metrics;
}

TEST(MetricsViewDocTest, TheDocsTablesAndTheOutputNameTheSameMetrics) {
  std::set<std::string> mentioned;
  const std::map<std::string, DocMetric> documented = DocumentedMetrics(mentioned);
  ASSERT_GT(documented.size(), 50u);
  const Exposition e = ParseExposition(RenderMetrics(
      {RichCollection(), BlueCollection(), FailedCollection()}, kExporter, SmallLimits()));
  for (const auto& [name, metric] : documented) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(e.type.contains(name)) << "documented, not rendered";
    EXPECT_EQ(e.type.at(name), metric.type);
    for (const auto* sample : e.Find(name)) {
      std::set<std::string> labels;
      for (const auto& [label, value] : sample->labels) labels.insert(label);
      EXPECT_EQ(labels, metric.labels) << "line " << sample->line;
    }
  }
  for (const auto& [name, type] : e.type) {
    EXPECT_TRUE(documented.contains(name)) << name << ": rendered, not in the doc's tables";
  }
  // Prose names only what the tables define.
  for (const std::string& name : mentioned) {
    EXPECT_TRUE(documented.contains(name)) << name << ": in the doc, in no table";
  }
}

// The exporter's counter families are listed apart from the counter catalog (their names and
// HELP differ): every running total the `counters` command shows must have a documented, hence
// rendered, family.
TEST(MetricsViewDocTest, EveryCatalogCounterIsExported) {
  std::ifstream in(std::string(TCPDOCTOR_FIXTURES) + "/../../docs/metrics.md");
  ASSERT_TRUE(in.good()) << "docs/metrics.md not found";
  std::stringstream doc;
  doc << in.rdbuf();
  for (const CounterInfo& c : ImportantCounters()) {
    if (c.is_gauge) continue;
    const std::string row = " | " + std::string(c.section) + " " + std::string(c.name) + " |";
    EXPECT_NE(doc.str().find(row), std::string::npos) << c.section << "." << c.name;
  }
}

}  // namespace
}  // namespace tcpdoctor
