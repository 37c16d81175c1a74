// A lab scenario: its name, what it shows, the options that scale it (--connections, --rate,
// --duration) with defaults and bounds, and the code that builds the situation in the lab's
// namespace. One file per scenario under scenarios/, listed in scenario_registry.cc.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"
#include "model/lab_outcome.h"

namespace tcpdoctor {

class LabRun;

// The scale options' names (the flags without "--").
inline constexpr std::string_view kConnections = "connections";
inline constexpr std::string_view kRate = "rate";
inline constexpr std::string_view kDuration = "duration";

// The longest a run may spend pacing its connections: `paced_phases` x connections / rate must
// stay under this, so that every scenario finishes in well under 30 s at any allowed setting.
inline constexpr double kMaxPacingSeconds = 20;

// The values a run uses for its scale options.
class ScenarioParams {
 public:
  void Set(std::string_view option, double value) { values_[std::string(option)] = value; }
  bool Has(std::string_view option) const { return values_.find(option) != values_.end(); }
  // The value of an option the scenario declared (0 for one it did not: a programming error).
  double Get(std::string_view option) const {
    const auto it = values_.find(option);
    return it == values_.end() ? 0 : it->second;
  }
  // Get() for whole-number options.
  int64_t Count(std::string_view option) const { return static_cast<int64_t>(Get(option)); }

 private:
  std::map<std::string, double, std::less<>> values_;
};

struct Scenario {
  LabScenarioInfo info;  // name, summary, scale options with defaults and bounds
  // How many times the run paces `connections` at `rate` (0: it does not pace by rate).
  int paced_phases = 0;
  // Builds the situation, narrating into run.outcome(); may call run.Checkup() at the moment
  // the situation is complete (otherwise the checkup is taken when it returns, before its
  // helpers are stopped). Every loop must check run.Continue().
  std::function<Status(LabRun&)> run;
};

// The values for a run: each option given (the text after --connections ...) parsed and
// checked against the scenario's bounds, the defaults for the rest. kInvalidArgument naming
// the option and the bound for a value out of bounds or not a number, for an option the
// scenario does not take, and for pacing that would take more than kMaxPacingSeconds.
Result<ScenarioParams> ResolveParams(const Scenario& scenario,
                                     const std::map<std::string, std::string>& given);

}  // namespace tcpdoctor
