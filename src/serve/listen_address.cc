#include "serve/listen_address.h"

#include <charconv>

#include "analyze/port_usage.h"
#include "model/ip_address.h"

namespace tcpdoctor {
namespace {

Error BadAddress(std::string_view text, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument,
               "bad listen address '" + std::string(text) + "': " + why, 0, "--listen",
               "expected ADDR:PORT, e.g. 127.0.0.1:9947, [::1]:9947 or 0.0.0.0:9947"};
}

}  // namespace

std::string ListenAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool ListenAddress::IsLoopback() const {
  const auto address = IpAddress::Parse(host);
  return address && tcpdoctor::IsLoopback(*address);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress out;
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return BadAddress(text, "an IPv6 address goes in brackets, followed by :PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return BadAddress(text, "no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return BadAddress(text, "an IPv6 address goes in brackets");
    }
  }
  const auto address = IpAddress::Parse(host);
  if (!address) return BadAddress(text, "'" + std::string(host) + "' is not a numeric IP address");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return BadAddress(text, "the port must be a number from 1 to 65535");
  }
  out.host = address->ToString();
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace tcpdoctor
