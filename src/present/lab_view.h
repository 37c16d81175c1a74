// Renders `tcpdoctor lab`: the scenario list, and a run's narrative (what the lab did, what
// the kernel did, what it means, where the kernel surprised it) followed by the checkup of the
// lab namespace; or the same as JSON (docs/json.md, "lab").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/lab_outcome.h"
#include "present/checkup_view.h"

namespace tcpdoctor {

// `lab --list`: each scenario, its summary and its options with default and bounds.
std::string LabListText(const std::vector<LabScenarioInfo>& scenarios);
nlohmann::ordered_json LabListJson(const std::vector<LabScenarioInfo>& scenarios);

std::string LabText(const LabOutcome& outcome, const CheckupReport& checkup);
nlohmann::ordered_json LabJson(const LabOutcome& outcome, const CheckupReport& checkup);

}  // namespace tcpdoctor
