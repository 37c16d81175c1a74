// Where the exporter listens: "127.0.0.1:9947", "[::1]:9947", "0.0.0.0:9947".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tcpdoctor {

struct ListenAddress {
  std::string host;  // a numeric IPv4 or IPv6 address, without brackets
  uint16_t port = 0;

  // "127.0.0.1:9947", "[::1]:9947": as a URL writes it.
  std::string ToString() const;
  bool IsLoopback() const;
};

// Parses ADDR:PORT with a numeric address (IPv6 in brackets) and a port 1..65535. Host names are
// refused: what a name resolves to can change, and the exporter must bind exactly where it was
// told. Errors are kInvalidArgument with context "--listen" and a hint showing the form.
Result<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace tcpdoctor
