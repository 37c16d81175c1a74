#include "cli/interval.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace tcpdoctor {

Result<std::optional<double>> ParseInterval(const std::string& text) {
  if (text.empty()) return std::optional<double>{};
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > kMaxIntervalSeconds) {
    return Error{ErrorCode::kInvalidArgument, "bad interval '" + text + "'", 0, "-i",
                 "expected seconds, more than 0 and at most 3600, e.g. -i 1 or -i 0.5"};
  }
  return std::optional<double>(seconds);
}

void SleepSeconds(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace tcpdoctor
