// An IP address and port as the tests see them, independent of tcpdoctor's own model so that
// expectations are not computed by the code under test.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpdoctor::itest {

struct Endpoint {
  int family = AF_INET;            // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};  // network order; IPv4 uses the first 4 bytes
  uint16_t port = 0;               // host order

  // "127.0.0.1", "::1", "[::1]", "::ffff:127.0.0.9"; nullopt if it is not an address.
  static std::optional<Endpoint> Parse(std::string_view address, uint16_t port = 0);
  static Endpoint FromSockaddr(const sockaddr_storage& sa);
  // The wildcard of a family with port 0: what the kernel reports as a listener's peer.
  static Endpoint Any(int family);

  socklen_t ToSockaddr(sockaddr_storage& sa) const;
  // ::ffff:a.b.c.d for an IPv4 endpoint; itself otherwise.
  Endpoint ToV4Mapped() const;
  bool IsV4Mapped() const;

  std::string Address() const;   // "127.0.0.1", "::1"
  std::string WithPort() const;  // "127.0.0.1:80", "[::1]:80"

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// An address prefix: "127.0.1.0/24", "::1/128", or a bare address.
struct Prefix {
  Endpoint base;
  int length = 0;

  static std::optional<Prefix> Parse(std::string_view text);
  // Same-family prefix match; an IPv4 prefix also matches IPv4-mapped IPv6 addresses, which is
  // what tcpdoctor documents for --addr.
  bool Contains(const Endpoint& e) const;
};

// The local and peer address of a socket (getsockname, getpeername).
Endpoint LocalOf(int fd);
Endpoint PeerOf(int fd);

}  // namespace tcpdoctor::itest
