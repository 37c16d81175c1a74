// The kernel settings a TCP diagnosis needs, from /proc/sys. Each is optional: a key missing
// from /proc/sys is not on this kernel (tcp_tw_reuse_delay before 6.14) or not in this network
// namespace (tcp_max_orphans and tcp_mem are global and absent in a child netns).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tcpdoctor {

// Ports first..last, both included.
struct PortRange {
  uint32_t first = 0;
  uint32_t last = 0;

  uint32_t size() const { return last >= first ? last - first + 1 : 0; }
  bool Contains(uint32_t port) const { return port >= first && port <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// A set of ports kept as sorted, disjoint, non-touching ranges, e.g. ip_local_reserved_ports
// "8080,9000-9010".
class PortSet {
 public:
  // Adds the ports of `r`, merging with ranges it overlaps or touches.
  void Add(PortRange r) {
    if (r.size() == 0) return;
    std::vector<PortRange> merged;
    bool placed = false;
    for (const PortRange& have : ranges_) {
      if (have.last + 1 < r.first) {
        merged.push_back(have);
      } else if (r.last + 1 < have.first) {
        if (!placed) merged.push_back(r);
        placed = true;
        merged.push_back(have);
      } else {
        r.first = std::min(r.first, have.first);
        r.last = std::max(r.last, have.last);
      }
    }
    if (!placed) merged.push_back(r);
    ranges_ = std::move(merged);
  }

  const std::vector<PortRange>& ranges() const { return ranges_; }
  bool empty() const { return ranges_.empty(); }

  bool Contains(uint32_t port) const {
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [port](const PortRange& r) { return r.Contains(port); });
  }

  // How many ports of the set lie in `within`: the reserved ports that connect()'s autobind
  // cannot use out of ip_local_port_range.
  uint32_t CountWithin(PortRange within) const {
    uint32_t count = 0;
    for (const PortRange& r : ranges_) {
      const PortRange overlap{std::max(r.first, within.first), std::min(r.last, within.last)};
      count += overlap.size();
    }
    return count;
  }

  uint32_t size() const { return CountWithin(PortRange{0, 65535}); }

 private:
  std::vector<PortRange> ranges_;
};

// net.ipv4.tcp_mem, in pages (4 KiB on most hosts): below min no pressure, above pressure the
// stack moderates buffers, above max allocations fail and orphans are aborted.
struct TcpMem {
  int64_t min_pages = 0;
  int64_t pressure_pages = 0;
  int64_t max_pages = 0;
};

// fs.file-nr: allocated file handles, a field that is always 0 since 2.6, and fs.file-max.
struct FileNr {
  int64_t allocated = 0;
  int64_t unused = 0;
  int64_t max = 0;
};

struct Sysctls {
  std::optional<int64_t> somaxconn;            // net.core.somaxconn, per netns
  std::optional<int64_t> tcp_max_syn_backlog;  // net.ipv4.*, per netns unless said otherwise
  std::optional<int64_t> tcp_syncookies;       // 0 off, 1 on overflow, 2 always
  std::optional<PortRange> ip_local_port_range;
  std::optional<PortSet> ip_local_reserved_ports;
  std::optional<int64_t> tcp_tw_reuse;           // 0 off, 1 on, 2 loopback only (>= 4.19)
  std::optional<int64_t> tcp_tw_reuse_delay_ms;  // 6.14+
  std::optional<int64_t> tcp_max_tw_buckets;
  std::optional<int64_t> tcp_timestamps;
  std::optional<int64_t> tcp_fin_timeout_s;
  std::optional<int64_t> tcp_max_orphans;  // global: absent in a child netns
  std::optional<TcpMem> tcp_mem;           // global: absent in a child netns
  std::optional<int64_t> file_max;         // fs.*: not namespaced, the host's values
  std::optional<FileNr> file_nr;
  std::optional<int64_t> nr_open;
  std::optional<int64_t> tcp_abort_on_overflow;
  std::optional<int64_t> tcp_orphan_retries;  // 0 means 8

  // Keys that were looked for and have no file, e.g. "net.ipv4.tcp_mem".
  std::vector<std::string> missing;
};

}  // namespace tcpdoctor
