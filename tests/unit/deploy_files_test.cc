// deploy/ against docs/metrics.md and the CLI: the alert rules and the Grafana dashboard query
// only metrics the exporter defines (so neither can drift from it), every alert has a firing
// and a silent promtool test case, the dashboard is valid JSON with unique panel ids and
// queries that promtool parses, and the runbook annotations name commands, options and explain
// topics that exist.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/app.h"
#include "fixture_util.h"
#include "support/run_command.h"

namespace tcpdoctor {
namespace {

using nlohmann::json;
using test_util::FixturePath;
using test_util::ReadText;

std::string SourcePath(const std::string& relative) { return FixturePath("../../" + relative); }

const char kRules[] = "deploy/prometheus/tcpdoctor-alerts.yml";
const char kRuleTests[] = "deploy/prometheus/tcpdoctor-alerts.test.yml";
const char kDashboard[] = "deploy/grafana/tcpdoctor-dashboard.json";
// Series Prometheus writes itself for every target; the exporter-down alert needs it.
const char kPrometheusUp[] = "up";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

size_t Indent(std::string_view line) { return line.find_first_not_of(' '); }

// Every `tcpdoctor_...` name docs/metrics.md writes in backquotes, in tables and in prose;
// patterns such as `tcpdoctor_<subsystem>_<name>` and `tcpdoctor_exporter_*` are not names.
std::set<std::string> DocumentedMetrics(std::string_view markdown) {
  std::set<std::string> names;
  size_t open = markdown.find('`');
  while (open != std::string_view::npos) {
    const size_t close = markdown.find('`', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view quoted = markdown.substr(open + 1, close - open - 1);
    const bool name_chars =
        quoted.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
    if (quoted.starts_with("tcpdoctor_") && name_chars && !quoted.ends_with('_')) {
      names.insert(std::string(quoted));
    }
    open = markdown.find('`', close + 1);
  }
  return names;
}

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

// Index just past the quoted string that starts at text[i].
size_t SkipString(std::string_view text, size_t i) {
  const char quote = text[i];
  for (++i; i < text.size() && text[i] != quote; ++i) {
    if (text[i] == '\\' && quote != '`') ++i;
  }
  return i + 1;
}

// Index just past the bracket that closes the one at text[i], stepping over quoted strings.
size_t SkipBracketed(std::string_view text, size_t i) {
  const char open = text[i];
  const char close = open == '{' ? '}' : open == '[' ? ']' : ')';
  int depth = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(text, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

// The metric names a PromQL expression selects: the identifiers that are neither functions
// (followed by '('), aggregations, keywords, label names (inside {...} and the label lists of
// by/without/on/ignoring/group_left/group_right), durations, numbers, strings nor Grafana
// variables ($netns, $__rate_interval).
std::set<std::string> MetricNamesIn(std::string_view expr) {
  static const std::set<std::string_view> kLabelLists = {"by",       "without",    "on",
                                                         "ignoring", "group_left", "group_right"};
  static const std::set<std::string_view> kNotMetrics = {
      "and",    "or",    "unless", "bool",    "offset",   "atan2",       "inf",   "nan",
      "Inf",    "NaN",   "sum",    "min",     "max",      "avg",         "group", "stddev",
      "stdvar", "count", "topk",   "bottomk", "quantile", "count_values"};
  std::set<std::string> names;
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(expr, i);
    } else if (c == '{' || c == '[') {
      i = SkipBracketed(expr, i);
    } else if (c == '#') {
      i = expr.find('\n', i);
    } else if (c == '$') {
      ++i;
      if (i < expr.size() && expr[i] == '{') {
        i = SkipBracketed(expr, i);
      } else {
        while (i < expr.size() && IsNameChar(expr[i])) ++i;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
      while (i < expr.size() && (IsNameChar(expr[i]) || expr[i] == '.')) ++i;
    } else if (IsNameStart(c)) {
      const size_t start = i;
      while (i < expr.size() && IsNameChar(expr[i])) ++i;
      const std::string_view word = expr.substr(start, i - start);
      size_t next = i;
      while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
      const bool call = next < expr.size() && expr[next] == '(';
      if (kLabelLists.contains(word)) {
        if (call) i = SkipBracketed(expr, next);
      } else if (!call && !kNotMetrics.contains(word)) {
        names.insert(std::string(word));
      }
    } else {
      ++i;
    }
  }
  return names;
}

// The rules of a Prometheus rule file, read line by line (no YAML parser: the file keeps to
// `- alert:` / `- record:` items with an `expr:` that is plain or a `|` block).
struct RuleFile {
  std::vector<std::string> alerts;
  std::set<std::string> records;
  std::vector<std::string> exprs;
};

RuleFile ScanRuleFile(std::string_view yaml) {
  RuleFile file;
  const std::vector<std::string_view> lines = Lines(yaml);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = Trim(lines[i]);
    if (line.starts_with("- alert:")) file.alerts.emplace_back(Trim(line.substr(8)));
    if (line.starts_with("- record:")) file.records.emplace(Trim(line.substr(9)));
    if (!line.starts_with("expr:")) continue;
    const std::string_view value = Trim(line.substr(5));
    if (!value.starts_with('|') && !value.starts_with('>')) {
      file.exprs.emplace_back(value);
      continue;
    }
    const size_t key_indent = Indent(lines[i]);
    std::string block;
    while (i + 1 < lines.size() &&
           (Trim(lines[i + 1]).empty() || Indent(lines[i + 1]) > key_indent)) {
      block += std::string(lines[++i]) + "\n";
    }
    file.exprs.push_back(block);
  }
  return file;
}

// A Grafana variable query `label_values(SELECTOR, label)` selects SELECTOR's metric.
std::string VariableSelector(std::string query) {
  const std::string prefix = "label_values(";
  if (!query.starts_with(prefix)) return query;
  query = query.substr(prefix.size());
  const size_t comma = query.rfind(',');
  return comma == std::string::npos ? "" : query.substr(0, comma);
}

// Each panel (rows' nested panels included) in the order of the file.
void CollectPanels(const json& panels, std::vector<json>& out) {
  for (const json& panel : panels) {
    out.push_back(panel);
    if (panel.contains("panels")) CollectPanels(panel["panels"], out);
  }
}

json LoadDashboard() {
  return json::parse(ReadText(SourcePath(kDashboard)));  // throws, failing the test, if invalid
}

std::vector<json> Panels(const json& dashboard) {
  std::vector<json> panels;
  CollectPanels(dashboard.at("panels"), panels);
  return panels;
}

// Every target's expr and every query variable's selector.
std::vector<std::string> Queries(const json& dashboard) {
  std::vector<std::string> queries;
  for (const json& panel : Panels(dashboard)) {
    for (const json& target : panel.value("targets", json::array())) {
      queries.push_back(target.at("expr").get<std::string>());
    }
  }
  for (const json& variable : dashboard.at("templating").at("list")) {
    if (variable.at("type") != "query") continue;
    const json& query = variable.at("query");
    queries.push_back(VariableSelector(query.is_string() ? query.get<std::string>()
                                                         : query.at("query").get<std::string>()));
  }
  return queries;
}

TEST(DeployFilesTest, FindsTheMetricNamesOfAnExpression) {
  EXPECT_EQ(MetricNamesIn(R"(sum by (netns, state) (rate(tcpdoctor_a_total{netns=~"$netns",
              x="}{ rate(b) "}[$__rate_interval])) / on (netns) group_left (pid)
              tcpdoctor_b > bool 0.5e3 and max without (state) (rec:name:ratio offset 5m)
              or vector(0) # tcpdoctor_comment
              unless count(${var}))"),
            (std::set<std::string>{"tcpdoctor_a_total", "tcpdoctor_b", "rec:name:ratio"}));
  EXPECT_EQ(MetricNamesIn("up{job=\"tcpdoctor\"} == 0"), std::set<std::string>{"up"});
  EXPECT_EQ(
      VariableSelector(R"(label_values(tcpdoctor_tcp_sockets{instance=~"$instance"}, netns))"),
      R"(tcpdoctor_tcp_sockets{instance=~"$instance"})");
}

TEST(DeployFilesTest, ReadsTheMetricNamesTheDocsDefine) {
  const std::set<std::string> documented =
      DocumentedMetrics(ReadText(SourcePath("docs/metrics.md")));
  // From tables and from prose, of every collector and the exporter's own.
  for (const char* name : {"tcpdoctor_tcp_sockets", "tcpdoctor_kernel_listen_overflows_total",
                           "tcpdoctor_sockstat_orphan_sockets", "tcpdoctor_host_allocated_files",
                           "tcpdoctor_sysctl_fs_file_max", "tcpdoctor_finding",
                           "tcpdoctor_exporter_collections_total", "tcpdoctor_build_info"}) {
    EXPECT_TRUE(documented.contains(name)) << name;
  }
  for (const std::string& name : documented) EXPECT_FALSE(name.ends_with('_')) << name;
  EXPECT_GE(documented.size(), 60U);
}

TEST(DeployFilesTest, AlertRulesQueryOnlyDocumentedMetrics) {
  const std::set<std::string> documented =
      DocumentedMetrics(ReadText(SourcePath("docs/metrics.md")));
  const RuleFile rules = ScanRuleFile(ReadText(SourcePath(kRules)));
  ASSERT_GE(rules.alerts.size(), 20U);
  ASSERT_FALSE(rules.records.empty());
  // One expression per rule: none was missed by the scan.
  EXPECT_EQ(rules.exprs.size(), rules.alerts.size() + rules.records.size());
  for (const std::string& expr : rules.exprs) {
    const std::set<std::string> names = MetricNamesIn(expr);
    EXPECT_FALSE(names.empty()) << expr;
    for (const std::string& name : names) {
      EXPECT_TRUE(documented.contains(name) || rules.records.contains(name) ||
                  name == kPrometheusUp)
          << name << " is neither in docs/metrics.md nor recorded in " << kRules << ":\n"
          << expr;
    }
  }
}

// Every alert has a test case where it fires and one where it stays silent.
TEST(DeployFilesTest, EveryAlertHasAFiringAndASilentTestCase) {
  const RuleFile rules = ScanRuleFile(ReadText(SourcePath(kRules)));
  std::map<std::string, int> firing, silent;
  const std::string tests = ReadText(SourcePath(kRuleTests));
  const std::vector<std::string_view> lines = Lines(tests);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string_view line = Trim(lines[i]);
    if (!line.starts_with("alertname:")) continue;
    const std::string alert(Trim(line.substr(10)));
    const std::string_view next = Trim(lines[i + 1]);
    if (next == "exp_alerts: []") ++silent[alert];
    if (next == "exp_alerts:") ++firing[alert];
  }
  for (const std::string& alert : rules.alerts) {
    EXPECT_GE(firing[alert], 1) << alert << " never fires in " << kRuleTests;
    EXPECT_GE(silent[alert], 1) << alert << " has no silent case in " << kRuleTests;
  }
}

// Runs tcpdoctor ARGS in-process.
int RunTcpdoctorCli(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), "tcpdoctor");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream o, e;
  const int code = RunCli(static_cast<int>(argv.size()), argv.data(), o, e);
  if (out != nullptr) *out = o.str();
  return code;
}

// The option names a command's --help lists: "  -i,--interval TEXT  ..." gives -i, --interval.
std::set<std::string> OptionsIn(const std::string& help) {
  std::set<std::string> options;
  for (std::string_view line : Lines(help)) {
    line = Trim(line);
    if (!line.starts_with('-')) continue;
    std::string_view names = line.substr(0, line.find(' '));
    for (size_t comma; (comma = names.find(',')) != std::string_view::npos;) {
      options.emplace(names.substr(0, comma));
      names.remove_prefix(comma + 1);
    }
    options.emplace(names);
  }
  return options;
}

TEST(DeployFilesTest, RunbooksNameRealCommandsOptionsAndTopics) {
  std::string text;  // the rule file without its comments
  const std::string file = ReadText(SourcePath(kRules));
  for (const std::string_view line : Lines(file)) {
    if (!Trim(line).starts_with('#')) text += std::string(line) + "\n";
  }
  // Template actions out: `{{ if ... }}`/`{{ end }}` go, `{{ $labels.x }}` becomes a value.
  for (size_t open = text.find("{{"); open != std::string::npos; open = text.find("{{", open)) {
    const size_t close = text.find("}}", open);
    ASSERT_NE(close, std::string::npos);
    const std::string action = text.substr(open, close + 2 - open);
    text.replace(open, action.size(), action.find("$labels.") != std::string::npos ? "1" : "");
  }
  int commands = 0;
  for (size_t at = text.find("`tcpdoctor "); at != std::string::npos;
       at = text.find("`tcpdoctor ", at + 1)) {
    const size_t end = text.find('`', at + 1);
    ASSERT_NE(end, std::string::npos);
    std::istringstream words(text.substr(at + 11, end - at - 11));
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    ASSERT_FALSE(args.empty());
    ++commands;
    if (args[0] == "explain") {
      ASSERT_EQ(args.size(), 2U);
      EXPECT_EQ(RunTcpdoctorCli(args, nullptr), kExitOk) << "tcpdoctor explain " << args[1];
      continue;
    }
    std::string help;
    ASSERT_EQ(RunTcpdoctorCli({args[0], "--help"}, &help), kExitOk) << "tcpdoctor " << args[0];
    ASSERT_NE(help.find("Usage: tcpdoctor " + args[0] + " "), std::string::npos)
        << "no command `tcpdoctor " << args[0] << "`";
    const std::set<std::string> options = OptionsIn(help);
    for (const std::string& arg : args) {
      if (arg.starts_with("-")) {
        EXPECT_TRUE(options.contains(arg)) << args[0] << " " << arg;
      }
    }
  }
  EXPECT_GE(commands, 30);
}

TEST(DeployFilesTest, DashboardIsValidWithUniquePanelIdsAndItsVariables) {
  const json dashboard = LoadDashboard();
  EXPECT_GE(dashboard.at("schemaVersion").get<int>(), 36);
  std::set<int> ids;
  for (const json& panel : Panels(dashboard)) {
    const int id = panel.at("id").get<int>();
    EXPECT_TRUE(ids.insert(id).second) << "panel id " << id << " twice";
    const json& grid = panel.at("gridPos");
    EXPECT_LE(grid.at("x").get<int>() + grid.at("w").get<int>(), 24) << panel.at("title");
    if (panel.at("type") == "row") continue;
    EXPECT_EQ(panel.at("datasource").at("uid"), "${datasource}") << panel.at("title");
    ASSERT_FALSE(panel.value("targets", json::array()).empty()) << panel.at("title");
    for (const json& target : panel.at("targets")) {
      EXPECT_EQ(target.at("datasource").at("uid"), "${datasource}") << panel.at("title");
    }
  }
  EXPECT_GE(ids.size(), 15U);
  std::map<std::string, std::string> variables;  // name -> type
  for (const json& v : dashboard.at("templating").at("list"))
    variables[v.at("name")] = v.at("type");
  EXPECT_EQ(variables["datasource"], "datasource");
  EXPECT_EQ(variables["instance"], "query");
  EXPECT_EQ(variables["netns"], "query");
}

TEST(DeployFilesTest, DashboardQueriesOnlyDocumentedMetrics) {
  const std::set<std::string> documented =
      DocumentedMetrics(ReadText(SourcePath("docs/metrics.md")));
  for (const std::string& query : Queries(LoadDashboard())) {
    const std::set<std::string> names = MetricNamesIn(query);
    EXPECT_FALSE(names.empty()) << query;
    for (const std::string& name : names) {
      EXPECT_TRUE(documented.contains(name)) << name << " is not in docs/metrics.md:\n" << query;
    }
  }
}

// promtool parses each dashboard query, Grafana's variables replaced as Grafana would.
TEST(DeployFilesTest, DashboardQueriesParse) {
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  int n = 0;
  for (std::string query : Queries(LoadDashboard())) {
    for (const auto& [variable, value] : std::vector<std::pair<std::string, std::string>>{
             {"$__rate_interval", "5m"}, {"$__interval", "1m"}, {"$__range", "1h"}}) {
      for (size_t at; (at = query.find(variable)) != std::string::npos;) {
        query.replace(at, variable.size(), value);
      }
    }
    for (size_t at; (at = query.find('$')) != std::string::npos;) {  // $instance, $netns
      size_t end = at + 1;
      while (end < query.size() && IsNameChar(query[end])) ++end;
      query.replace(at, end - at, ".*");
    }
    rules += "      - record: dashboard_query_" + std::to_string(++n) +
             "\n        expr: " + json(query).dump() + "\n";
  }
  const std::string path = test_util::WriteTempFile(
      "dashboard_queries.yml", std::vector<uint8_t>(rules.begin(), rules.end()));
  const itest::CommandResult result = itest::RunCommand({"promtool", "check", "rules", path});
  EXPECT_EQ(result.exit_code, 0) << "promtool (Debian package prometheus, `make deps`): "
                                 << result.Describe() << "\n"
                                 << result.out << rules;
}

}  // namespace
}  // namespace tcpdoctor
