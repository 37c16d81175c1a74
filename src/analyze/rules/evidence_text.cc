#include "analyze/rules/evidence_text.h"

#include <cmath>
#include <cstdio>

namespace tcpdoctor {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace

std::string EndpointText(const IpAddress& address, uint16_t port) {
  if (port == 0) return address.ToString();
  return address.ToStringForPort() + ":" + std::to_string(port);
}

std::string EndpointsText(const std::vector<EndpointCount>& endpoints, size_t limit) {
  std::string text;
  for (size_t i = 0; i < endpoints.size() && i < limit; ++i) {
    if (i > 0) text += ", ";
    text += EndpointText(endpoints[i].address, endpoints[i].port) + " (" +
            std::to_string(endpoints[i].count) + ")";
  }
  if (endpoints.size() > limit) text += ", ...";
  return text;
}

std::string DurationText(double seconds) {
  // Short intervals keep a decimal, or a lab's half-second burst would read "0 s"; a sampling
  // interval that only overran by milliseconds still reads "1 s".
  if (seconds < 10 && std::fabs(seconds - std::round(seconds)) >= 0.05) {
    return Format("%.1f s", seconds);
  }
  if (seconds < 120) return Format("%.0f s", seconds);
  if (seconds < 7200) return Format("%.0f min", seconds / 60);
  if (seconds < 2 * 86400) return Format("%.1f h", seconds / 3600);
  return Format("%.1f days", seconds / 86400);
}

std::string RateText(double per_second) {
  return per_second >= 10 ? Format("%.0f/s", per_second) : Format("%.1f/s", per_second);
}

std::string PercentText(double percent) {
  return percent >= 10 ? Format("%.0f %%", percent) : Format("%.1f %%", percent);
}

std::string SysctlFix(std::string_view key, const std::string& value) {
  const std::string k(key);
  const bool spaces = value.find(' ') != std::string::npos;
  return "`sysctl -w " + k + "=" + (spaces ? "\"" + value + "\"" : value) + "`, and the line `" +
         k + " = " + value + "` in /etc/sysctl.d/90-tcpdoctor.conf to keep it after a reboot";
}

double Percent(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0; }

}  // namespace tcpdoctor
