#include "model/counters.h"

#include <array>
#include <utility>

namespace tcpdoctor {
namespace {

std::string JoinKey(std::string_view section, std::string_view name) {
  std::string key(section);
  key += '.';
  key += name;
  return key;
}

// Resolves "Section.Name" directly, and a bare name in TcpExt, then Tcp: the two sections a
// TCP diagnosis asks about, and names there do not collide.
std::optional<size_t> Lookup(const CounterIndex& index, std::string_view key) {
  if (key.find('.') != std::string_view::npos) {
    const auto it = index.find(key);
    if (it == index.end()) return std::nullopt;
    return it->second;
  }
  for (std::string_view section : {"TcpExt", "Tcp"}) {
    const auto it = index.find(JoinKey(section, key));
    if (it != index.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace

bool IsGaugeCounter(std::string_view section, std::string_view name) {
  struct Gauge {
    std::string_view section;
    std::string_view name;
  };
  static constexpr std::array<Gauge, 8> kGauges = {{
      {"Tcp", "RtoAlgorithm"},
      {"Tcp", "RtoMin"},
      {"Tcp", "RtoMax"},
      {"Tcp", "MaxConn"},
      {"Tcp", "CurrEstab"},
      {"Ip", "Forwarding"},
      {"Ip", "DefaultTTL"},
      {"MPTcpExt", "MPCurrEstab"},
  }};
  for (const Gauge& g : kGauges) {
    if (g.section == section && g.name == name) return true;
  }
  return false;
}

void CounterDeltas::Add(CounterDelta d) {
  std::string key = JoinKey(d.section, d.name);
  const auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second] = std::move(d);
    return;
  }
  index_.emplace(std::move(key), entries_.size());
  entries_.push_back(std::move(d));
}

const CounterDelta* CounterDeltas::Find(std::string_view key) const {
  const auto at = Lookup(index_, key);
  return at ? &entries_[*at] : nullptr;
}

std::optional<uint64_t> CounterDeltas::Increase(std::string_view key) const {
  const CounterDelta* d = Find(key);
  return d ? d->Increase() : std::nullopt;
}

void KernelCounters::Set(Counter c) {
  std::string key = c.Key();
  const auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second] = std::move(c);
    return;
  }
  index_.emplace(std::move(key), entries_.size());
  entries_.push_back(std::move(c));
}

void KernelCounters::Merge(const KernelCounters& other) {
  for (const Counter& c : other.entries_) Set(c);
  for (const std::string& f : other.missing_files_) missing_files_.push_back(f);
}

const Counter* KernelCounters::Find(std::string_view key) const {
  const auto at = Lookup(index_, key);
  return at ? &entries_[*at] : nullptr;
}

std::optional<uint64_t> KernelCounters::Get(std::string_view key) const {
  const Counter* c = Find(key);
  if (c == nullptr || c->negative) return std::nullopt;
  return c->value;
}

std::optional<int64_t> KernelCounters::GetSigned(std::string_view key) const {
  const Counter* c = Find(key);
  if (c == nullptr) return std::nullopt;
  return c->AsSigned();
}

CounterDeltas KernelCounters::Delta(const KernelCounters& earlier) const {
  CounterDeltas out;
  for (const Counter& now : entries_) {
    CounterDelta d{now.section, now.name, DeltaStatus::kKnown, 0};
    const auto before_at = earlier.index_.find(now.Key());
    const Counter* before =
        before_at == earlier.index_.end() ? nullptr : &earlier.entries_[before_at->second];
    if (IsGaugeCounter(now.section, now.name) || now.negative ||
        (before != nullptr && before->negative)) {
      d.status = DeltaStatus::kGauge;
    } else if (before == nullptr) {
      d.status = DeltaStatus::kNew;
    } else if (now.value < before->value) {
      // A reset or a wrap: the increase cannot be known, and now - before would be huge.
      d.status = DeltaStatus::kWentBackwards;
    } else {
      d.delta = now.value - before->value;
    }
    out.Add(std::move(d));
  }
  return out;
}

std::optional<uint64_t> SockstatLine::Get(std::string_view field) const {
  for (const SockstatField& f : fields) {
    if (f.name == field) return f.value;
  }
  return std::nullopt;
}

const SockstatLine* Sockstat::Find(std::string_view protocol) const {
  for (const SockstatLine& line : lines) {
    if (line.protocol == protocol) return &line;
  }
  return nullptr;
}

std::optional<uint64_t> Sockstat::Get(std::string_view protocol, std::string_view field) const {
  const SockstatLine* line = Find(protocol);
  return line ? line->Get(field) : std::nullopt;
}

}  // namespace tcpdoctor
