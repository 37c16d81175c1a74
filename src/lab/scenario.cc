#include "lab/scenario.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tcpdoctor {
namespace {

std::string Number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

Error BadOption(const std::string& option, std::string message, std::string hint) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), 0, "--" + option, std::move(hint)};
}

const LabScale* FindScale(const LabScenarioInfo& info, std::string_view option) {
  for (const LabScale& s : info.scales) {
    if (s.option == option) return &s;
  }
  return nullptr;
}

std::string OptionList(const LabScenarioInfo& info) {
  std::string list;
  for (const LabScale& s : info.scales) list += (list.empty() ? "--" : ", --") + s.option;
  return list.empty() ? "no options" : list;
}

Result<double> ParseValue(const std::string& scenario, const LabScale& scale,
                          const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string bounds = Number(scale.min) + " to " + Number(scale.max);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      !std::isfinite(value) || (scale.integer && value != std::floor(value))) {
    return BadOption(
        scale.option, "'" + text + "' is not " + (scale.integer ? "a whole number" : "a number"),
        scenario + " takes --" + scale.option + " from " + bounds + " (" + scale.meaning + ")");
  }
  if (value < scale.min || value > scale.max) {
    return BadOption(
        scale.option,
        Number(value) + " is out of bounds for " + scenario + ": " +
            (value < scale.min ? "at least " + Number(scale.min) : "at most " + Number(scale.max)),
        "give a value from " + bounds + " (" + scale.meaning + ")");
  }
  return value;
}

}  // namespace

Result<ScenarioParams> ResolveParams(const Scenario& scenario,
                                     const std::map<std::string, std::string>& given) {
  const std::string& name = scenario.info.name;
  ScenarioParams params;
  for (const auto& [option, text] : given) {
    const LabScale* scale = FindScale(scenario.info, option);
    if (scale == nullptr) {
      std::string hint = "it takes " + OptionList(scenario.info);
      hint += "; see tcpdoctor lab --list";
      std::string message = name + " takes no --";
      message += option;
      return BadOption(option, std::move(message), std::move(hint));
    }
    auto value = ParseValue(name, *scale, text);
    if (!value) return value.TakeError();
    params.Set(option, *value);
  }
  for (const LabScale& s : scenario.info.scales) {
    if (!params.Has(s.option)) params.Set(s.option, s.default_value);
  }
  if (scenario.paced_phases > 0 && params.Has(kConnections) && params.Has(kRate)) {
    const double seconds = scenario.paced_phases * params.Get(kConnections) / params.Get(kRate);
    if (seconds > kMaxPacingSeconds) {
      const double min_rate =
          std::ceil(scenario.paced_phases * params.Get(kConnections) / kMaxPacingSeconds);
      return BadOption(std::string(kRate),
                       "--connections " + Number(params.Get(kConnections)) + " at --rate " +
                           Number(params.Get(kRate)) + " would take " + Number(std::ceil(seconds)) +
                           " s; a lab run paces for at most " + Number(kMaxPacingSeconds) + " s",
                       "raise --rate to " + Number(min_rate) + " or more, or lower --connections");
    }
  }
  return params;
}

}  // namespace tcpdoctor
