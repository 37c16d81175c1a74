// Renders `tcpdoctor checkup`: a state summary line, then the findings most severe first, each
// with its evidence, why and what to do; or the same as JSON (docs/json.md, "checkup").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analyze/rule.h"
#include "analyze/state_counts.h"
#include "model/finding.h"

namespace tcpdoctor {

struct CheckupReport {
  std::string netns;  // "current", a name or a container
  double interval_seconds = 0;
  StateCounts states;
  std::vector<Finding> findings;  // most severe first
  size_t rules_checked = 0;
  // Text only: how many findings of one rule and severity are shown in full (0: all); the
  // rest are summed up in one line, so that a host with 40 leaking processes still fits a
  // screen. JSON always has them all.
  size_t shown_per_rule = 3;
};

// "ok", "warning" or "critical": the worst finding's severity, info counting as ok.
std::string_view CheckupStatus(const std::vector<Finding>& findings);

std::string CheckupText(const CheckupReport& report);
nlohmann::ordered_json CheckupJson(const CheckupReport& report);
nlohmann::ordered_json FindingJson(const Finding& finding);

// `checkup --list-rules`: each rule, its summary and thresholds with their defaults.
std::string RulesText(const std::vector<Rule>& rules);
nlohmann::ordered_json RulesJson(const std::vector<Rule>& rules);

}  // namespace tcpdoctor
