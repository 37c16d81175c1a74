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

IpAddress V4FromHostOrder(uint64_t host_order) {
  const uint8_t bytes[4] = {
      static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
      static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
  return IpAddress::V4(bytes);
}

GroupFields DecodeNarrow(GroupBy by, const TopGroups::NarrowKey& k) {
  GroupFields f;
  switch (by) {
    case GroupBy::kLocalPort:
      f.local_port = static_cast<uint16_t>(k.a);
      break;
    case GroupBy::kRemotePort:
      f.remote_port = static_cast<uint16_t>(k.a);
      break;
    case GroupBy::kState:
      f.state = static_cast<TcpState>(k.a);
      break;
    case GroupBy::kProcess:
    case GroupBy::kNetns:
      f.context = k.a;
      break;
    case GroupBy::kRemoteAddress:
      f.remote = V4FromHostOrder(k.a);
      break;
    case GroupBy::kLocalAddress:
      f.local = V4FromHostOrder(k.a >> 16);
      f.local_port = static_cast<uint16_t>(k.a);
      break;
    case GroupBy::kPeer:
      f.remote = V4FromHostOrder(k.a >> 16);
      f.remote_port = static_cast<uint16_t>(k.a);
      break;
    case GroupBy::kDestination:
      f.local = V4FromHostOrder(k.a >> 32);
      f.remote = V4FromHostOrder(k.a & 0xffffffff);
      f.remote_port = static_cast<uint16_t>(k.b);
      break;
  }
  return f;
}

GroupFields DecodeWide(GroupBy by, const TopGroups::WideKey& k) {
  GroupFields f;
  switch (by) {
    case GroupBy::kRemoteAddress:
      f.remote = IpAddress::V6(k.first.data());
      break;
    case GroupBy::kLocalAddress:
      f.local = IpAddress::V6(k.first.data());
      f.local_port = k.port;
      break;
    case GroupBy::kPeer:
      f.remote = IpAddress::V6(k.first.data());
      f.remote_port = k.port;
      break;
    case GroupBy::kDestination:
      f.local = IpAddress::V6(k.first.data());
      f.remote = IpAddress::V6(k.second.data());
      f.remote_port = k.port;
      break;
    default:
      break;  // keys without an address are never wide
  }
  return f;
}

}  // namespace

std::string GroupKeyText(GroupBy by, const GroupFields& f) {
  switch (by) {
    case GroupBy::kLocalPort:
      return std::to_string(f.local_port);
    case GroupBy::kRemotePort:
      return std::to_string(f.remote_port);
    case GroupBy::kState:
      return std::string(StateName(f.state));
    case GroupBy::kProcess:
    case GroupBy::kNetns:
      return std::to_string(f.context);
    case GroupBy::kRemoteAddress:
      return f.remote.ToString();
    case GroupBy::kLocalAddress:
      return f.local.ToStringForPort() + ":" + std::to_string(f.local_port);
    case GroupBy::kPeer:
      return f.remote.ToStringForPort() + ":" + std::to_string(f.remote_port);
    case GroupBy::kDestination:
      return f.local.ToString() + " -> " + f.remote.ToStringForPort() + ":" +
             std::to_string(f.remote_port);
  }
  return {};
}

namespace {

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

void TopGroups::Add(const SocketRecord& r, uint64_t context) {
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
    case GroupBy::kProcess:
    case GroupBy::kNetns:
      narrow_.Add({context, 0}, r.state);
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

void TopGroups::Merge(const TopGroups& other) {
  total_ += other.total_;
  narrow_.Merge(other.narrow_);
  wide_.Merge(other.wide_);
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
      if (i < shown) g.fields = DecodeWide(by_, slot->key);
    } else {
      const auto* slot = static_cast<const NarrowSlot*>(c.slot);
      g.states = narrow_.Split(*slot);
      if (i < shown) g.fields = DecodeNarrow(by_, slot->key);
    }
    if (i < shown) {
      g.key = GroupKeyText(by_, g.fields);
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
