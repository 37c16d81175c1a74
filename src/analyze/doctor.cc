#include "analyze/doctor.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "analyze/rules/aborted_closes.h"
#include "analyze/rules/accept_queue_overflow.h"
#include "analyze/rules/close_pileup.h"
#include "analyze/rules/close_wait_leak.h"
#include "analyze/rules/fd_exhaustion.h"
#include "analyze/rules/port_exhaustion.h"
#include "analyze/rules/server_active_close.h"
#include "analyze/rules/syn_queue_pressure.h"
#include "analyze/rules/sysctl_audit.h"
#include "analyze/rules/time_wait_overflow.h"
#include "core/suggest.h"

namespace tcpdoctor {
namespace {

Error BadSetting(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), 0, "--set", {}};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

const Rule* FindRule(std::string_view id) {
  for (const Rule& r : AllRules()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace

const std::vector<Rule>& AllRules() {
  static const std::vector<Rule> rules = {CloseWaitLeakRule(),     PortExhaustionRule(),
                                          ServerActiveCloseRule(), AcceptQueueOverflowRule(),
                                          SynQueuePressureRule(),  TimeWaitOverflowRule(),
                                          FdExhaustionRule(),      ClosePileupRule(),
                                          AbortedClosesRule(),     SysctlAuditRule()};
  return rules;
}

Status DoctorSettings::Set(std::string_view assignment) {
  const size_t eq = assignment.find('=');
  const std::string_view name = Trim(assignment.substr(0, eq));
  const size_t dot = name.find('.');
  if (eq == std::string_view::npos || dot == std::string_view::npos) {
    return BadSetting("'" + std::string(assignment) +
                      "' is not RULE.KEY=VALUE (e.g. close-wait-leak.min_sockets=50)");
  }
  const std::string rule_id(name.substr(0, dot));
  const std::string key(name.substr(dot + 1));
  const Rule* rule = FindRule(rule_id);
  if (rule == nullptr) {
    std::vector<std::string> ids;
    for (const Rule& r : AllRules()) ids.emplace_back(r.id);
    return BadSetting("unknown rule '" + rule_id + "'" + DidYouMean(rule_id, ids) +
                      " (tcpdoctor checkup --list-rules shows them)");
  }
  std::vector<std::string> keys;
  for (const RuleParam& p : rule->params) keys.emplace_back(p.key);
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    const std::string known = keys.empty() ? "it has none" : "it has " + [&] {
      std::string joined;
      for (const std::string& k : keys) joined += (joined.empty() ? "" : ", ") + k;
      return joined;
    }();
    return BadSetting("rule " + rule_id + " has no threshold '" + key + "'" +
                      DidYouMean(key, keys) + "; " + known);
  }
  const std::string_view text = Trim(assignment.substr(eq + 1));
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value) || value < 0) {
    return BadSetting("the value of " + std::string(name) + " must be a number >= 0, not '" +
                      std::string(text) + "'");
  }
  overrides_.emplace_back(std::string(name), value);
  return Ok{};
}

Status DoctorSettings::Load(std::string_view text, const std::string& file) {
  int line_number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_number;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = Trim(line);
    if (line.empty()) continue;
    Status set = Set(line);
    if (!set) {
      Error e = set.error();
      e.context = file + ":" + std::to_string(line_number);
      return e;
    }
  }
  return Ok{};
}

RuleSettings DoctorSettings::For(const Rule& rule) const {
  std::map<std::string, double, std::less<>> values;
  for (const RuleParam& p : rule.params) values.emplace(std::string(p.key), p.value);
  for (const auto& [name, value] : overrides_) {
    if (name.size() > rule.id.size() && name.starts_with(rule.id) && name[rule.id.size()] == '.') {
      values[name.substr(rule.id.size() + 1)] = value;
    }
  }
  return RuleSettings(std::move(values));
}

std::vector<Finding> RunDoctor(const Snapshot& snapshot, const DoctorSettings& settings) {
  std::vector<Finding> findings;
  for (const Rule& rule : AllRules()) {
    std::vector<Finding> found = rule.check(snapshot, settings.For(rule));
    for (Finding& f : found) findings.push_back(std::move(f));
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return findings;
}

std::optional<Severity> WorstSeverity(const std::vector<Finding>& findings) {
  std::optional<Severity> worst;
  for (const Finding& f : findings) {
    if (!worst || f.severity > *worst) worst = f.severity;
  }
  return worst;
}

}  // namespace tcpdoctor
