// Kernel protocol counters (/proc/net/netstat and /proc/net/snmp) and socket totals
// (/proc/net/sockstat{,6}) as plain data: every field the kernel printed, in its order, with
// lookup by name and the change between two samples.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpdoctor {

// One field of a "Section: names" / "Section: values" pair, e.g. TcpExt ListenOverflows.
// The kernel prints unsigned longs, except a few signed levels: Tcp MaxConn is -1 ("no
// limit"). A negative field keeps its sign in `negative` and its two's complement in `value`.
struct Counter {
  std::string section;  // "TcpExt", "IpExt", "Tcp", "Ip", "Udp", "IcmpMsg" ...
  std::string name;     // "ListenOverflows"
  uint64_t value = 0;
  bool negative = false;

  int64_t AsSigned() const { return static_cast<int64_t>(value); }
  std::string Key() const { return section + "." + name; }
};

// Fields that are levels or settings rather than event counts: Delta() does not subtract them
// (Tcp.CurrEstab going down is normal, not a reset).
bool IsGaugeCounter(std::string_view section, std::string_view name);

// How a counter changed between two samples.
enum class DeltaStatus {
  kKnown,          // in both samples and not smaller: `delta` is the increase
  kWentBackwards,  // smaller than before: a reset (new netns, reboot) or a wrap; unknown
  kNew,            // not in the earlier sample (another kernel, or its file was missing)
  kGauge,          // a level (IsGaugeCounter or negative): compare the values instead
};

struct CounterDelta {
  std::string section;
  std::string name;
  DeltaStatus status = DeltaStatus::kKnown;
  uint64_t delta = 0;  // meaningful only when status == kKnown

  // The increase, or nullopt when it is unknown or meaningless.
  std::optional<uint64_t> Increase() const {
    return status == DeltaStatus::kKnown ? std::optional<uint64_t>(delta) : std::nullopt;
  }
};

// Keys accepted by Find(): "TcpExt.ListenOverflows", or a bare "ListenOverflows" which is
// looked up in TcpExt, then in Tcp.
using CounterIndex = std::map<std::string, size_t, std::less<>>;

class CounterDeltas {
 public:
  void Add(CounterDelta d);
  const std::vector<CounterDelta>& entries() const { return entries_; }
  const CounterDelta* Find(std::string_view key) const;
  // The increase of `key`; nullopt when absent, gone backwards, new or a gauge.
  std::optional<uint64_t> Increase(std::string_view key) const;

 private:
  std::vector<CounterDelta> entries_;
  CounterIndex index_;
};

class KernelCounters {
 public:
  // Appends a counter, or replaces the value of one with the same section and name (which then
  // keeps its first position).
  void Set(Counter c);
  // Set() for every counter of `other`, in its order; its missing files are added to ours.
  void Merge(const KernelCounters& other);

  const std::vector<Counter>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  const Counter* Find(std::string_view key) const;
  // The value of `key`; nullopt when absent or negative (see GetSigned).
  std::optional<uint64_t> Get(std::string_view key) const;
  std::optional<int64_t> GetSigned(std::string_view key) const;

  // Files that were looked for and not found (full paths), when the rest could still be read:
  // a partial view the user should be told about.
  const std::vector<std::string>& missing_files() const { return missing_files_; }
  void AddMissingFile(std::string path) { missing_files_.push_back(std::move(path)); }

  // What changed since `earlier`, one entry per counter of this (the later) sample, in order.
  // Counters only in `earlier` are left out.
  CounterDeltas Delta(const KernelCounters& earlier) const;

 private:
  std::vector<Counter> entries_;
  CounterIndex index_;
  std::vector<std::string> missing_files_;
};

// /proc/net/sockstat{,6}: one line per protocol, "TCP: inuse 5 orphan 0 tw 2 alloc 8 mem 1".
// Pages for "mem", counts for the rest. Per netns: sockets used, TCP inuse and tw (which counts
// IPv4 and IPv6 TIME_WAIT); global: TCP orphan, alloc and mem.
struct SockstatField {
  std::string name;
  uint64_t value = 0;
};

struct SockstatLine {
  std::string protocol;               // "sockets", "TCP", "UDP", "FRAG", "TCP6" ...
  std::vector<SockstatField> fields;  // in file order, unknown ones (a future "pressure") kept

  std::optional<uint64_t> Get(std::string_view field) const;
};

struct Sockstat {
  std::vector<SockstatLine> lines;  // sockstat's lines, then sockstat6's

  const SockstatLine* Find(std::string_view protocol) const;
  // Get("TCP", "tw"), Get("sockets", "used"), Get("TCP6", "inuse").
  std::optional<uint64_t> Get(std::string_view protocol, std::string_view field) const;
  // sockstat6 was there (IPv6 is on).
  bool HasIpv6() const { return Find("TCP6") != nullptr; }
};

}  // namespace tcpdoctor
