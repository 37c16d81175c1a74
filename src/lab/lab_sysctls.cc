#include "lab/lab_sysctls.h"

#include <algorithm>
#include <string>

#include "collect/sysctl_reader.h"
#include "lab/lab_run.h"

namespace tcpdoctor {
namespace {

constexpr uint32_t kRangeStart = 32768;
constexpr uint32_t kDefaultRangeSize = 28232;  // 32768-60999
constexpr uint32_t kMinRangeSize = 20;
constexpr const char* kPortRange = "net.ipv4.ip_local_port_range";

Result<PortRange> CurrentPortRange(LabRun& run) {
  auto now = run.ns().ReadSysctl(kPortRange);
  if (!now) return now.TakeError();
  return ParsePortRange(kPortRange, *now);
}

}  // namespace

Result<PortRange> NarrowPortRange(LabRun& run, int64_t connections) {
  const auto size = static_cast<uint32_t>((std::max<int64_t>(connections, 1) * 3 + 1) / 2);
  return NarrowPortRangeTo(run, size, connections);
}

Result<PortRange> NarrowPortRangeTo(LabRun& run, uint32_t size, int64_t connections) {
  // An even size from an even start: the end is odd, as ip-sysctl advises.
  size = std::max(size + size % 2, kMinRangeSize);
  const std::string value =
      std::to_string(kRangeStart) + " " + std::to_string(kRangeStart + size - 1);
  const double scale = static_cast<double>(kDefaultRangeSize) / size;
  const std::string why =
      "narrowed from the default 32768-60999 (28232 ports) to " + std::to_string(size) +
      " ports, so that " + std::to_string(connections) +
      " connections take the share of ports that about " +
      std::to_string(static_cast<int64_t>(static_cast<double>(connections) * scale)) +
      " would take on a host with the default range";
  if (Status set = run.SetSysctl(kPortRange, value, why); !set) return set.TakeError();
  return CurrentPortRange(run);
}

Result<PortRange> NotePortRange(LabRun& run, std::string why) {
  if (Status noted = run.NoteSysctl(kPortRange, std::move(why)); !noted) {
    return noted.TakeError();
  }
  return CurrentPortRange(run);
}

Status DisableTimeWaitReuse(LabRun& run) {
  return run.SetSysctl(
      "net.ipv4.tcp_tw_reuse", "0",
      "its default 2 lets connect() take over TIME_WAIT ports on loopback only, which two hosts "
      "would not do; 0 keeps every TIME_WAIT socket where the kernel put it");
}

}  // namespace tcpdoctor
