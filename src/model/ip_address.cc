#include "model/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace tcpdoctor {
namespace {

bool IsV4Mapped(const IpAddress& a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.family == Family::kIpv6 && std::memcmp(a.bytes.data(), kPrefix, 12) == 0;
}

bool PrefixEqual(const uint8_t* a, const uint8_t* b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

IpAddress IpAddress::V4(const void* four_bytes) {
  IpAddress a;
  a.family = Family::kIpv4;
  std::memcpy(a.bytes.data(), four_bytes, 4);
  return a;
}

IpAddress IpAddress::V6(const void* sixteen_bytes) {
  IpAddress a;
  a.family = Family::kIpv6;
  std::memcpy(a.bytes.data(), sixteen_bytes, 16);
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  const std::string s(text);
  uint8_t buf[16] = {};
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return V4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return V6(buf);
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::kIpv4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string IpAddress::ToStringForPort() const {
  return family == Family::kIpv4 ? ToString() : "[" + ToString() + "]";
}

uint32_t IpAddress::V4HostOrder() const {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const int max_len = addr->family == Family::kIpv4 ? 32 : 128;
  int len = max_len;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || len < 0 ||
        len > max_len) {
      return std::nullopt;
    }
  }
  return Cidr{*addr, len};
}

bool Cidr::Contains(const IpAddress& addr) const {
  if (addr.family == base.family) {
    return PrefixEqual(addr.bytes.data(), base.bytes.data(), prefix_len);
  }
  if (base.family == Family::kIpv4 && IsV4Mapped(addr)) {
    return PrefixEqual(addr.bytes.data() + 12, base.bytes.data(), prefix_len);
  }
  return false;
}

}  // namespace tcpdoctor
