// The lab's scenarios, in the order `tcpdoctor lab --list` shows them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lab/scenario.h"

namespace tcpdoctor {

const std::vector<Scenario>& AllScenarios();

// The scenario named `name`, or nullptr.
const Scenario* FindScenario(std::string_view name);

// Every scenario's name, for "did you mean".
std::vector<std::string> ScenarioNames();

}  // namespace tcpdoctor
