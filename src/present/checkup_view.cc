#include "present/checkup_view.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <utility>

#include "analyze/doctor.h"
#include "present/number_text.h"
#include "present/states_view.h"
#include "present/wrapped_text.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kIndent = "    ";

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string StateSummary(const StateCounts& states) {
  std::string text = "sockets " + std::to_string(states.Total());
  std::string parts;
  for (int i = 0; i < kTcpStateCount; ++i) {
    const auto s = static_cast<TcpState>(i);
    if (states.Get(s) == 0) continue;
    parts += (parts.empty() ? "" : ", ") + std::string(StateName(s)) + " " +
             std::to_string(states.Get(s));
  }
  return parts.empty() ? text : text + ": " + parts;
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

std::string_view CheckupStatus(const std::vector<Finding>& findings) {
  const auto worst = WorstSeverity(findings);
  if (!worst || *worst == Severity::kInfo) return "ok";
  return SeverityName(*worst);
}

std::string CheckupText(const CheckupReport& report) {
  std::string out = "tcpdoctor checkup: " + report.netns + " network namespace";
  out += report.interval_seconds > 0
             ? ", counters sampled over " + FormatNumber(report.interval_seconds, "%.1f") + " s\n"
             : ", one sample (no rates: -i 0)\n";
  out += StateSummary(report.states) + "\n";
  size_t counts[3] = {0, 0, 0};
  for (const Finding& f : report.findings) ++counts[static_cast<int>(f.severity)];
  // Findings come grouped by severity, then rule: count each group as it goes.
  std::map<std::pair<Severity, std::string>, size_t> seen;
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const Finding& f = report.findings[i];
    const size_t n = ++seen[{f.severity, f.id}];
    if (report.shown_per_rule != 0 && n > report.shown_per_rule) {
      const bool last_of_group = i + 1 == report.findings.size() ||
                                 report.findings[i + 1].id != f.id ||
                                 report.findings[i + 1].severity != f.severity;
      if (last_of_group) {
        out += "\n" + Upper(SeverityName(f.severity)) + "  ... and " +
               Plural(n - report.shown_per_rule, "more [" + f.id + "] finding",
                      "more [" + f.id + "] findings") +
               " like the above (all of them: --all or --json)\n";
      }
      continue;
    }
    out += "\n" + Upper(SeverityName(f.severity)) + "  " + f.title + "  [" + f.id + "]\n";
    for (const std::string& line : f.evidence)
      AppendWrapped(out, std::string(kIndent) + "- ", line);
    if (!f.why.empty()) AppendWrapped(out, std::string(kIndent) + "why: ", f.why);
    for (size_t i = 0; i < f.fix.size(); ++i) {
      AppendWrapped(
          out, std::string(kIndent) + (i == 0 ? "fix: " : "     ") + std::to_string(i + 1) + ". ",
          f.fix[i]);
    }
    if (!f.topics.empty()) {
      std::string topics;
      for (const std::string& t : f.topics) topics += (topics.empty() ? "" : ", ") + t;
      AppendWrapped(out, std::string(kIndent) + "more: tcpdoctor explain ", topics);
    }
  }
  out += "\n";
  const std::string_view status = CheckupStatus(report.findings);
  if (report.findings.empty()) {
    out += "OK: no problem found by " + Plural(report.rules_checked, "rule", "rules") + ".\n";
  } else {
    out += Upper(status) + ": " + Plural(counts[2], "critical", "critical") + ", " +
           Plural(counts[1], "warning", "warnings") + ", " + Plural(counts[0], "info", "info") +
           " (" + Plural(report.rules_checked, "rule", "rules") + " checked).\n";
  }
  return out;
}

nlohmann::ordered_json FindingJson(const Finding& f) {
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  for (const Fact& fact : f.facts) {
    std::visit([&](const auto& v) { data[fact.name] = v; }, fact.value);
  }
  return {{"id", f.id},
          {"severity", SeverityName(f.severity)},
          {"subject", f.subject},
          {"title", f.title},
          {"evidence", f.evidence},
          {"data", data},
          {"why", f.why},
          {"fix", f.fix},
          {"explain", f.topics}};
}

nlohmann::ordered_json CheckupJson(const CheckupReport& report) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) findings.push_back(FindingJson(f));
  nlohmann::ordered_json out = {{"netns", report.netns},
                                {"status", CheckupStatus(report.findings)},
                                {"interval_seconds", report.interval_seconds},
                                {"rules_checked", report.rules_checked}};
  out.update(StatesJson(report.states));
  out["findings"] = std::move(findings);
  return out;
}

std::string RulesText(const std::vector<Rule>& rules) {
  std::string out;
  for (const Rule& r : rules) {
    out += std::string(r.id) + ": " + std::string(r.summary) + "\n";
    for (const RuleParam& p : r.params) {
      AppendWrapped(out,
                    "    " + std::string(r.id) + "." + std::string(p.key) + "=" +
                        FormatNumber(p.value, "%g") + "  ",
                    p.meaning);
    }
  }
  out += "Override with --set RULE.KEY=VALUE or --config FILE (one RULE.KEY=VALUE per line).\n";
  return out;
}

nlohmann::ordered_json RulesJson(const std::vector<Rule>& rules) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Rule& r : rules) {
    nlohmann::ordered_json params = nlohmann::ordered_json::array();
    for (const RuleParam& p : r.params) {
      params.push_back({{"key", p.key}, {"default", p.value}, {"meaning", p.meaning}});
    }
    out.push_back({{"id", r.id}, {"summary", r.summary}, {"thresholds", params}});
  }
  return {{"rules", out}};
}

}  // namespace tcpdoctor
