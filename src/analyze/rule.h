// A doctor rule: a pure function of the snapshot that returns zero or more findings, with
// named thresholds the user can override (`--set RULE.KEY=VALUE`).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/snapshot.h"
#include "model/finding.h"

namespace tcpdoctor {

struct RuleParam {
  std::string_view key;      // "min_sockets"
  double value = 0;          // the default
  std::string_view meaning;  // one line, for `checkup --list-rules`
};

// A rule's thresholds after the user's overrides.
class RuleSettings {
 public:
  RuleSettings() = default;
  explicit RuleSettings(std::map<std::string, double, std::less<>> values)
      : values_(std::move(values)) {}
  // The value of `key`; a key the rule did not declare is a programming error and yields 0.
  double Get(std::string_view key) const {
    auto it = values_.find(key);
    return it == values_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double, std::less<>> values_;
};

struct Rule {
  std::string_view id;       // stable: "close-wait-leak"
  std::string_view summary;  // one line
  std::vector<RuleParam> params;
  std::function<std::vector<Finding>(const Snapshot&, const RuleSettings&)> check;

  // The defaults, as settings.
  RuleSettings Defaults() const {
    std::map<std::string, double, std::less<>> values;
    for (const RuleParam& p : params) values.emplace(std::string(p.key), p.value);
    return RuleSettings(std::move(values));
  }
};

}  // namespace tcpdoctor
