// Turns the user's filter flags into a SocketFilter, with an error naming the bad value.
#include <charconv>
#include <string>

#include "cli/command.h"
#include "core/suggest.h"

namespace tcpdoctor {
namespace {

Error BadValue(const std::string& flag, const std::string& message, std::string hint) {
  return Error{ErrorCode::kInvalidArgument, message, 0, flag, std::move(hint)};
}

Result<std::optional<uint16_t>> ParsePort(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::optional<uint16_t>{};
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return BadValue(flag, "bad port '" + text + "'", "expected a number from 1 to 65535");
  }
  return std::optional<uint16_t>(static_cast<uint16_t>(value));
}

std::vector<std::string> StateChoices() {
  std::vector<std::string> out;
  for (std::string_view s : StateNameChoices()) out.emplace_back(s);
  return out;
}

Result<StateMask> ParseStates(const std::vector<std::string>& lists) {
  if (lists.empty()) return kAllStates;
  StateMask mask = 0;
  for (const std::string& list : lists) {
    size_t start = 0;
    while (start <= list.size()) {
      const size_t comma = std::min(list.find(',', start), list.size());
      const std::string name = list.substr(start, comma - start);
      start = comma + 1;
      if (name.empty()) continue;
      const auto parsed = ParseStateName(name);
      if (!parsed) {
        std::string choices;
        for (std::string_view c : StateNameChoices())
          choices += (choices.empty() ? "" : ", ") + std::string(c);
        return BadValue("--state",
                        "unknown state '" + name + "'" + DidYouMean(name, StateChoices()),
                        "one of " + choices);
      }
      mask |= *parsed;
    }
  }
  if (mask == 0) return BadValue("--state", "no state given", "e.g. --state time-wait,close-wait");
  return mask;
}

}  // namespace

Result<SocketFilter> BuildFilter(const GlobalOptions& options) {
  SocketFilter filter;
  if (options.only_ipv4 && options.only_ipv6) {
    return BadValue("-4/-6", "-4 and -6 exclude each other", "give neither to see both families");
  }
  filter.ipv4 = !options.only_ipv6;
  filter.ipv6 = !options.only_ipv4;
  auto states = ParseStates(options.states);
  if (!states) return states.TakeError();
  filter.states = *states;
  auto sport = ParsePort("--sport", options.sport);
  if (!sport) return sport.TakeError();
  filter.local_port = *sport;
  auto dport = ParsePort("--dport", options.dport);
  if (!dport) return dport.TakeError();
  filter.remote_port = *dport;
  auto port = ParsePort("--port", options.port);
  if (!port) return port.TakeError();
  filter.any_port = *port;
  if (!options.addr.empty()) {
    filter.any_address = Cidr::Parse(options.addr);
    if (!filter.any_address) {
      return BadValue("--addr", "bad address or prefix '" + options.addr + "'",
                      "expected an address or CIDR such as 10.0.0.0/8, 127.0.0.1 or ::1/128");
    }
  }
  return filter;
}

Status RejectSocketFilters(const GlobalOptions& options, const std::string& command) {
  const std::pair<bool, const char*> given[] = {{!options.states.empty(), "--state"},
                                                {!options.sport.empty(), "--sport"},
                                                {!options.dport.empty(), "--dport"},
                                                {!options.port.empty(), "--port"},
                                                {!options.addr.empty(), "--addr"},
                                                {!options.pid.empty(), "--pid"},
                                                {!options.comm.empty(), "--comm"},
                                                {options.only_ipv4, "-4"},
                                                {options.only_ipv6, "-6"}};
  for (const auto& [is_given, flag] : given) {
    if (is_given) {
      return BadValue(flag,
                      "'" + command + "' reports the whole namespace; " + flag +
                          " selects sockets and does not apply",
                      "drop it, or use --netns to choose the namespace");
    }
  }
  return Ok{};
}

Result<OwnerFilter> BuildOwnerFilter(const GlobalOptions& options) {
  OwnerFilter filter;
  if (!options.pid.empty()) {
    int32_t pid = 0;
    const std::string& text = options.pid;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc{} || end != text.data() + text.size() || pid <= 0) {
      return BadValue("--pid", "bad process id '" + text + "'", "expected a positive number");
    }
    filter.pid = pid;
  }
  if (!options.comm.empty()) filter.comm = options.comm.substr(0, kCommLength);
  return filter;
}

}  // namespace tcpdoctor
