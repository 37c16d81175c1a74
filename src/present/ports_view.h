// Renders `tcpdoctor ports`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyze/port_usage.h"

namespace tcpdoctor {

struct PortsReport {
  PortBudgetSettings settings;
  std::vector<DestinationPorts> destinations;  // most used first
  size_t shown = 10;                           // -n
  std::optional<double> interval_seconds;      // with -i
  double rate_window_seconds = 60;
};

std::string PortsText(const PortsReport& report);
nlohmann::ordered_json PortsJson(const PortsReport& report);

}  // namespace tcpdoctor
