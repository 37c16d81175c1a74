// Small text pieces the rules share, so that every finding writes numbers the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/snapshot.h"

namespace tcpdoctor {

// "10.0.0.5:443" ("[::1]:443"); the address alone when port is 0.
std::string EndpointText(const IpAddress& address, uint16_t port);
// "10.0.0.5:443 (600), 10.0.0.6:443 (12)": at most `limit` entries.
std::string EndpointsText(const std::vector<EndpointCount>& endpoints, size_t limit = 3);
// "0.5 s", "45 s", "12 min", "3.2 h", "2.1 days".
std::string DurationText(double seconds);
// "12.5/s", "0.3/s".
std::string RateText(double per_second);
// "96 %", "80.5 %".
std::string PercentText(double percent);
// "`sysctl -w KEY=VALUE`, and the line `KEY = VALUE` in /etc/sysctl.d/90-tcpdoctor.conf to keep
// it after a reboot": the exact commands a fix gives (a value with spaces is quoted for the
// shell).
std::string SysctlFix(std::string_view key, const std::string& value);
// `100 * part / whole`, 0 when whole is 0.
double Percent(double part, double whole);

}  // namespace tcpdoctor
