#include "support/ss_table.h"

#include <sstream>

#include "support/run_command.h"

namespace tcpdoctor::itest {
namespace {

// "127.0.0.1:8080", "[::1]:8080", "[::ffff:127.0.0.1]:80", "0.0.0.0:*", "[::]:*", and "*:*"
// (ss's wildcard for a dual-stack socket), which takes `wildcard_family`.
std::optional<Endpoint> ParseSsEndpoint(const std::string& text, int wildcard_family) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string address = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (const size_t percent = address.find('%'); percent != std::string::npos) {
    address.erase(percent, address.find(']') == std::string::npos ? std::string::npos
                                                                  : address.find(']') - percent);
  }
  const uint16_t number = port == "*" ? 0 : static_cast<uint16_t>(std::stoul(port));
  if (address == "*") {
    Endpoint any = Endpoint::Any(wildcard_family);
    any.port = number;
    return any;
  }
  return Endpoint::Parse(address, number);
}

}  // namespace

SsResult RunSs(const std::vector<std::string>& args, std::optional<State> implied) {
  std::vector<std::string> argv = {"ss", "-tan"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult run = RunCommand(argv);
  SsResult result;
  if (run.exit_code != 0) {
    result.error = "ss failed: " + run.Describe();
    return result;
  }
  std::istringstream lines(run.out);
  std::string header;
  std::getline(lines, header);
  const bool has_state = header.rfind("State", 0) == 0;
  if (!has_state && !implied) {
    result.error = "ss printed no State column and no state was implied: " + header;
    return result;
  }
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string state, recv_q, send_q, local, peer;
    if (has_state) fields >> state;
    if (!(fields >> recv_q >> send_q >> local >> peer)) {
      result.error = "unexpected ss line: " + line;
      return result;
    }
    SocketTuple t;
    const auto parsed_state = has_state ? StateFromSsName(state) : implied;
    const auto l = ParseSsEndpoint(local, AF_INET6);
    const auto p = ParseSsEndpoint(peer, l ? l->family : AF_INET6);
    if (!parsed_state || !l || !p) {
      result.error = "cannot parse ss line: " + line;
      return result;
    }
    t.state = *parsed_state;
    t.local = *l;
    t.remote = *p;
    result.rows.push_back(t);
  }
  return result;
}

}  // namespace tcpdoctor::itest
