// The doctor: every rule, the user's threshold overrides, and the findings of a snapshot, most
// severe first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyze/rule.h"
#include "core/result.h"

namespace tcpdoctor {

// Every rule, in the order of the list.
const std::vector<Rule>& AllRules();

// Overrides of rule thresholds, validated against the rules.
class DoctorSettings {
 public:
  // "close-wait-leak.min_sockets=50": the rule and key must exist (else an error with "did you
  // mean") and the value must be a number.
  Status Set(std::string_view assignment);
  // A config file: one assignment per line as for Set, '#' comments and blank lines ignored;
  // errors name the file and line.
  Status Load(std::string_view text, const std::string& file);

  RuleSettings For(const Rule& rule) const;

 private:
  std::vector<std::pair<std::string, double>> overrides_;  // "rule.key" -> value, last wins
};

// Runs every rule: findings sorted by severity (critical first), then by rule order, keeping
// each rule's own order.
std::vector<Finding> RunDoctor(const Snapshot& snapshot, const DoctorSettings& settings);

// The most severe finding's severity, or nullopt when there are none.
std::optional<Severity> WorstSeverity(const std::vector<Finding>& findings);

}  // namespace tcpdoctor
