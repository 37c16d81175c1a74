#include "analyze/top_groups.h"

#include <algorithm>
#include <cstring>

namespace tcpdoctor {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer: spreads nearby keys over the table
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string V4Text(uint32_t host_order) {
  uint8_t bytes[4] = {static_cast<uint8_t>(host_order >> 24),
                      static_cast<uint8_t>(host_order >> 16), static_cast<uint8_t>(host_order >> 8),
                      static_cast<uint8_t>(host_order)};
  return IpAddress::V4(bytes).ToString();
}

std::string V6Text(const std::array<uint8_t, 16>& bytes, bool for_port) {
  const IpAddress a = IpAddress::V6(bytes.data());
  return for_port ? a.ToStringForPort() : a.ToString();
}

std::string NarrowText(GroupBy by, const TopGroups::NarrowKey& k) {
  switch (by) {
    case GroupBy::kLocalPort:
    case GroupBy::kRemotePort:
      return std::to_string(k.a);
    case GroupBy::kState:
      return std::string(StateName(static_cast<TcpState>(k.a)));
    case GroupBy::kRemoteAddress:
      return V4Text(static_cast<uint32_t>(k.a));
    case GroupBy::kLocalAddress:
    case GroupBy::kPeer:
      return V4Text(static_cast<uint32_t>(k.a >> 16)) + ":" + std::to_string(k.a & 0xffff);
    case GroupBy::kDestination:
      return V4Text(static_cast<uint32_t>(k.a >> 32)) + " -> " +
             V4Text(static_cast<uint32_t>(k.a)) + ":" + std::to_string(k.b);
  }
  return {};
}

std::string WideText(GroupBy by, const TopGroups::WideKey& k) {
  switch (by) {
    case GroupBy::kRemoteAddress:
      return V6Text(k.first, false);
    case GroupBy::kLocalAddress:
    case GroupBy::kPeer:
      return V6Text(k.first, true) + ":" + std::to_string(k.port);
    case GroupBy::kDestination:
      return V6Text(k.first, false) + " -> " + V6Text(k.second, true) + ":" +
             std::to_string(k.port);
    default:
      return {};  // keys without an address are never wide
  }
}

// One group, wherever it is stored, for ranking.
struct Candidate {
  uint32_t count;
  bool wide;
  const void* slot;
};

}  // namespace

size_t TopGroups::NarrowHash::operator()(const NarrowKey& k) const { return Mix(k.a ^ Mix(k.b)); }

size_t TopGroups::WideHash::operator()(const WideKey& k) const {
  uint64_t h = Mix(Load64(k.first.data()) ^ k.port);
  h = Mix(h ^ Load64(k.first.data() + 8));
  h = Mix(h ^ Load64(k.second.data()));
  return Mix(h ^ Load64(k.second.data() + 8));
}

void TopGroups::Add(const SocketRecord& r) {
  ++total_;
  const bool v4 = r.family() == Family::kIpv4;
  switch (by_) {
    case GroupBy::kLocalPort:
      narrow_.Add({r.local_port, 0}, r.state);
      return;
    case GroupBy::kRemotePort:
      narrow_.Add({r.remote_port, 0}, r.state);
      return;
    case GroupBy::kState:
      narrow_.Add({static_cast<uint64_t>(r.state), 0}, r.state);
      return;
    case GroupBy::kLocalAddress:
      if (v4)
        return narrow_.Add({uint64_t{r.local.V4HostOrder()} << 16 | r.local_port, 0}, r.state);
      return wide_.Add({r.local.bytes, {}, r.local_port}, r.state);
    case GroupBy::kRemoteAddress:
      if (v4) return narrow_.Add({r.remote.V4HostOrder(), 0}, r.state);
      return wide_.Add({r.remote.bytes, {}, 0}, r.state);
    case GroupBy::kPeer:
      if (v4) {
        return narrow_.Add({uint64_t{r.remote.V4HostOrder()} << 16 | r.remote_port, 0}, r.state);
      }
      return wide_.Add({r.remote.bytes, {}, r.remote_port}, r.state);
    case GroupBy::kDestination:
      if (v4) {
        return narrow_.Add(
            {uint64_t{r.local.V4HostOrder()} << 32 | r.remote.V4HostOrder(), r.remote_port},
            r.state);
      }
      return wide_.Add({r.local.bytes, r.remote.bytes, r.remote_port}, r.state);
  }
}

void TopGroups::Reset() {
  total_ = 0;
  narrow_.Clear();
  wide_.Clear();
}

TopGroupsResult TopGroups::Take(size_t n) const {
  using NarrowSlot = GroupTable<NarrowKey, NarrowHash>::Slot;
  using WideSlot = GroupTable<WideKey, WideHash>::Slot;
  std::vector<Candidate> all;
  all.reserve(narrow_.size() + wide_.size());
  narrow_.ForEach([&](const NarrowSlot& s) { all.push_back({s.total, false, &s}); });
  wide_.ForEach([&](const WideSlot& s) { all.push_back({s.total, true, &s}); });

  // Largest first; among equals, narrow (IPv4) before wide, then by key, so output is stable.
  const auto before = [](const Candidate& x, const Candidate& y) {
    if (x.count != y.count) return x.count > y.count;
    if (x.wide != y.wide) return !x.wide;
    if (!x.wide) {
      const auto& a = static_cast<const NarrowSlot*>(x.slot)->key;
      const auto& b = static_cast<const NarrowSlot*>(y.slot)->key;
      return a.a != b.a ? a.a < b.a : a.b < b.b;
    }
    const auto& a = static_cast<const WideSlot*>(x.slot)->key;
    const auto& b = static_cast<const WideSlot*>(y.slot)->key;
    if (a.first != b.first) return a.first < b.first;
    if (a.second != b.second) return a.second < b.second;
    return a.port < b.port;
  };
  const size_t shown = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<long>(shown), all.end(), before);

  TopGroupsResult result;
  result.by = by_;
  result.total = total_;
  result.other.key = "other";
  for (size_t i = 0; i < all.size(); ++i) {
    const Candidate& c = all[i];
    Group g;
    g.count = c.count;
    if (c.wide) {
      const auto* slot = static_cast<const WideSlot*>(c.slot);
      g.states = wide_.Split(*slot);
      if (i < shown) g.key = WideText(by_, slot->key);
    } else {
      const auto* slot = static_cast<const NarrowSlot*>(c.slot);
      g.states = narrow_.Split(*slot);
      if (i < shown) g.key = NarrowText(by_, slot->key);
    }
    if (i < shown) {
      result.groups.push_back(std::move(g));
      continue;
    }
    ++result.other_groups;
    result.other.count += g.count;
    for (int s = 0; s < kTcpStateCount; ++s) result.other.states[s] += g.states[s];
  }
  return result;
}

}  // namespace tcpdoctor
