#include "analyze/port_usage.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

namespace tcpdoctor {
namespace {

constexpr double kTimeWaitSeconds = 60;  // TCP_TIMEWAIT_LEN: fixed, no sysctl changes it

uint64_t Fold(const IpAddress& a) {
  uint64_t x = 0;
  uint64_t y = 0;
  std::memcpy(&x, a.bytes.data(), 8);
  std::memcpy(&y, a.bytes.data() + 8, 8);
  return x * 0x9e3779b97f4a7c15ULL ^ y;
}

}  // namespace

bool IsLoopback(const IpAddress& a) {
  if (a.family == Family::kIpv4) return a.bytes[0] == 127;
  static constexpr uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kLoopback6, 16) == 0) return true;
  return std::memcmp(a.bytes.data(), kMapped, 12) == 0 && a.bytes[12] == 127;
}

PortBudgetSettings PortBudgetSettings::From(const Sysctls& sysctls) {
  PortBudgetSettings s;
  if (sysctls.ip_local_port_range) {
    s.range_low = static_cast<uint16_t>(sysctls.ip_local_port_range->first);
    s.range_high = static_cast<uint16_t>(sysctls.ip_local_port_range->last);
  }
  if (sysctls.ip_local_reserved_ports) {
    s.reserved_in_range =
        sysctls.ip_local_reserved_ports->CountWithin(PortRange{s.range_low, s.range_high});
  }
  if (sysctls.tcp_tw_reuse) s.tw_reuse = static_cast<int>(*sysctls.tcp_tw_reuse);
  if (sysctls.tcp_timestamps) s.timestamps = *sysctls.tcp_timestamps != 0;
  if (sysctls.tcp_tw_reuse_delay_ms) {
    s.tw_reuse_delay_seconds = static_cast<double>(*sysctls.tcp_tw_reuse_delay_ms) / 1000.0;
  }
  return s;
}

uint32_t PortBudgetSettings::RangeSize() const {
  if (range_high < range_low) return 0;
  const uint32_t all = uint32_t{range_high} - range_low + 1;
  return all > reserved_in_range ? all - reserved_in_range : 0;
}

size_t PortUsageBuilder::KeyHash::operator()(const Key& k) const {
  return Fold(k.local) * 31 + Fold(k.remote) * 17 + k.remote_port;
}

PortUsageBuilder::PortUsageBuilder(PortBudgetSettings settings, std::set<uint16_t> listening_ports,
                                   double rate_window_seconds)
    : settings_(settings),
      listening_ports_(std::move(listening_ports)),
      rate_window_seconds_(std::clamp(rate_window_seconds, 1.0, kTimeWaitSeconds)) {}

void PortUsageBuilder::Add(const SocketRecord& r) {
  if (r.state == TcpState::kListen || !settings_.InRange(r.local_port)) return;
  if (listening_ports_.count(r.local_port) != 0) return;  // an accepted connection
  Tally& t = tallies_[Key{r.local, r.remote, r.remote_port}];
  ++t.in_use;
  if (r.state == TcpState::kTimeWait) {
    ++t.time_wait;
    // A TIME_WAIT timer starts at 60 s: what is left tells how long ago the close was.
    const double age = kTimeWaitSeconds - r.timer_expires_ms / 1000.0;
    if (age <= rate_window_seconds_) ++t.recent_time_wait;
  }
  // connect() prefers ports of the range start's parity, bind(addr, 0) the other one.
  if ((r.local_port & 1) != (settings_.range_low & 1)) ++t.bind_parity;
}

std::vector<DestinationPorts> PortUsageBuilder::Take() const {
  std::vector<DestinationPorts> out;
  out.reserve(tallies_.size());
  const uint32_t range = settings_.RangeSize();
  for (const auto& [key, tally] : tallies_) {
    DestinationPorts d;
    d.local = key.local;
    d.remote = key.remote;
    d.remote_port = key.remote_port;
    d.in_use = tally.in_use;
    d.time_wait = tally.time_wait;
    d.range_size = range;
    d.bind_parity = tally.bind_parity;
    d.rate_per_second = static_cast<double>(tally.recent_time_wait) / rate_window_seconds_;
    // tcp_twsk_unique(): with 2, reuse applies when either end is a loopback address.
    const bool loopback = IsLoopback(key.remote) || IsLoopback(key.local);
    d.time_wait_reusable =
        settings_.timestamps && (settings_.tw_reuse == 1 || (settings_.tw_reuse == 2 && loopback));
    const double active = static_cast<double>(tally.in_use - tally.time_wait);
    const double free_for_cycling = std::max(0.0, static_cast<double>(range) - active);
    const double hold = d.time_wait_reusable ? settings_.tw_reuse_delay_seconds : kTimeWaitSeconds;
    d.sustainable_rate_per_second = free_for_cycling / hold;
    out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const DestinationPorts& a, const DestinationPorts& b) {
    if (a.in_use != b.in_use) return a.in_use > b.in_use;
    if (a.remote_port != b.remote_port) return a.remote_port < b.remote_port;
    if (a.remote.family != b.remote.family) return a.remote.family < b.remote.family;
    if (a.remote.bytes != b.remote.bytes) return a.remote.bytes < b.remote.bytes;
    return a.local.bytes < b.local.bytes;  // same family as remote
  });
  return out;
}

void AddGrowth(std::vector<DestinationPorts>& later, const std::vector<DestinationPorts>& earlier,
               double seconds) {
  if (seconds <= 0) return;
  using Id = std::tuple<Family, std::array<uint8_t, 16>, std::array<uint8_t, 16>, uint16_t>;
  std::map<Id, uint64_t> before_by_id;
  for (const DestinationPorts& e : earlier) {
    before_by_id[Id{e.remote.family, e.local.bytes, e.remote.bytes, e.remote_port}] = e.in_use;
  }
  for (DestinationPorts& d : later) {
    const auto found =
        before_by_id.find(Id{d.remote.family, d.local.bytes, d.remote.bytes, d.remote_port});
    const uint64_t before = found == before_by_id.end() ? 0 : found->second;
    const double growth = (static_cast<double>(d.in_use) - static_cast<double>(before)) / seconds;
    d.net_growth_per_second = growth;
    if (growth > 0) {
      const double free = static_cast<double>(d.range_size) - static_cast<double>(d.in_use);
      d.seconds_to_exhaustion = std::max(0.0, free) / growth;
    }
  }
}

}  // namespace tcpdoctor
