#include "support/endpoint.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace tcpdoctor::itest {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool PrefixEqual(const uint8_t* a, const uint8_t* b, int bits) {
  for (int i = 0; i < bits / 8; ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (a[bits / 8] & mask) == (b[bits / 8] & mask);
}

}  // namespace

std::optional<Endpoint> Endpoint::Parse(std::string_view address, uint16_t port) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  const std::string text(address);
  Endpoint e;
  e.port = port;
  if (inet_pton(AF_INET, text.c_str(), e.addr.data()) == 1) {
    e.family = AF_INET;
    return e;
  }
  if (inet_pton(AF_INET6, text.c_str(), e.addr.data()) == 1) {
    e.family = AF_INET6;
    return e;
  }
  return std::nullopt;
}

Endpoint Endpoint::FromSockaddr(const sockaddr_storage& sa) {
  Endpoint e;
  e.family = sa.ss_family;
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    std::memcpy(e.addr.data(), &in.sin_addr, 4);
    e.port = ntohs(in.sin_port);
  } else {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    std::memcpy(e.addr.data(), &in6.sin6_addr, 16);
    e.port = ntohs(in6.sin6_port);
  }
  return e;
}

Endpoint Endpoint::Any(int family) {
  Endpoint e;
  e.family = family;
  return e;
}

socklen_t Endpoint::ToSockaddr(sockaddr_storage& sa) const {
  sa = {};
  if (family == AF_INET) {
    auto& in = reinterpret_cast<sockaddr_in&>(sa);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, addr.data(), 4);
    return sizeof in;
  }
  auto& in6 = reinterpret_cast<sockaddr_in6&>(sa);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  std::memcpy(&in6.sin6_addr, addr.data(), 16);
  return sizeof in6;
}

Endpoint Endpoint::ToV4Mapped() const {
  if (family != AF_INET) return *this;
  Endpoint e;
  e.family = AF_INET6;
  e.port = port;
  std::memcpy(e.addr.data(), kMappedPrefix, 12);
  std::memcpy(e.addr.data() + 12, addr.data(), 4);
  return e;
}

bool Endpoint::IsV4Mapped() const {
  return family == AF_INET6 && std::memcmp(addr.data(), kMappedPrefix, 12) == 0;
}

std::string Endpoint::Address() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr.data(), buf, sizeof buf);
  return buf;
}

std::string Endpoint::WithPort() const {
  const std::string a = family == AF_INET ? Address() : "[" + Address() + "]";
  return a + ":" + std::to_string(port);
}

std::optional<Prefix> Prefix::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  const auto base = Endpoint::Parse(text.substr(0, slash));
  if (!base) return std::nullopt;
  const int max_length = base->family == AF_INET ? 32 : 128;
  int length = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc{} || end != digits.data() + digits.size() || length < 0 ||
        length > max_length) {
      return std::nullopt;
    }
  }
  return Prefix{*base, length};
}

bool Prefix::Contains(const Endpoint& e) const {
  if (e.family == base.family) return PrefixEqual(e.addr.data(), base.addr.data(), length);
  if (base.family == AF_INET && e.IsV4Mapped()) {
    return PrefixEqual(e.addr.data() + 12, base.addr.data(), length);
  }
  return false;
}

Endpoint LocalOf(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return Endpoint::FromSockaddr(sa);
}

Endpoint PeerOf(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return Endpoint::FromSockaddr(sa);
}

}  // namespace tcpdoctor::itest
