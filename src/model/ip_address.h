// An IPv4 or IPv6 address in network byte order, and CIDR prefixes over them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpdoctor {

enum class Family : uint8_t { kIpv4 = 4, kIpv6 = 6 };

struct IpAddress {
  Family family = Family::kIpv4;
  // IPv4 uses bytes[0..3]; the rest stays zero so that equal addresses compare equal.
  std::array<uint8_t, 16> bytes{};

  static IpAddress V4(const void* four_bytes);
  static IpAddress V6(const void* sixteen_bytes);
  static std::optional<IpAddress> Parse(std::string_view text);

  // "127.0.0.1" or "::1" (inet_ntop form).
  std::string ToString() const;
  // As above, IPv6 in brackets: what goes before ":port".
  std::string ToStringForPort() const;

  // The first four bytes as a host-order integer; IPv4 only.
  uint32_t V4HostOrder() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// "127.0.0.0/8", "::1/128", or a bare address (a full-length prefix).
struct Cidr {
  IpAddress base;
  int prefix_len = 0;

  static std::optional<Cidr> Parse(std::string_view text);
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches an IPv4 prefix, as a user expects.
  bool Contains(const IpAddress& addr) const;
};

}  // namespace tcpdoctor
