// `-i SECONDS` for the commands that sample twice: parsing and the wait between samples.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace tcpdoctor {

inline constexpr double kMaxIntervalSeconds = 3600;

// "" gives nullopt (no interval); otherwise a number of seconds in (0, 3600].
Result<std::optional<double>> ParseInterval(const std::string& text);

void SleepSeconds(double seconds);

}  // namespace tcpdoctor
