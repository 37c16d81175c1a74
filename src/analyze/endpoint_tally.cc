#include "analyze/endpoint_tally.h"

#include <algorithm>
#include <string_view>

namespace tcpdoctor {

size_t EndpointTally::KeyHash::operator()(const Key& k) const {
  const std::string_view bytes(reinterpret_cast<const char*>(k.address.bytes.data()),
                               k.address.bytes.size());
  return std::hash<std::string_view>{}(bytes)*31 + k.port;
}

void EndpointTally::Add(const IpAddress& address, uint16_t port, uint64_t n) {
  counts_[Key{address, port}] += n;
}

std::vector<EndpointCount> EndpointTally::Top(size_t limit) const {
  std::vector<EndpointCount> all;
  all.reserve(counts_.size());
  for (const auto& [key, count] : counts_) all.push_back({key.address, key.port, count});
  const auto order = [](const EndpointCount& a, const EndpointCount& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.address.family != b.address.family) return a.address.family < b.address.family;
    if (a.address.bytes != b.address.bytes) return a.address.bytes < b.address.bytes;
    return a.port < b.port;
  };
  const size_t n = std::min(limit, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), order);
  all.resize(n);
  return all;
}

}  // namespace tcpdoctor
