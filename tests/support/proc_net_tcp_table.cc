#include "support/proc_net_tcp_table.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace tcpdoctor::itest {
namespace {

// "0100007F:1F90": each 32-bit word of the address as the kernel's %08X of its in-memory
// value, then the port in hex.
bool ParseEndpoint(const std::string& text, int family, Endpoint& e) {
  const size_t words = family == AF_INET ? 1 : 4;
  if (text.size() != words * 8 + 5 || text[words * 8] != ':') return false;
  e.family = family;
  e.addr = {};
  for (size_t w = 0; w < words; ++w) {
    const auto word = static_cast<uint32_t>(std::stoul(text.substr(w * 8, 8), nullptr, 16));
    std::memcpy(e.addr.data() + w * 4, &word, 4);
  }
  e.port = static_cast<uint16_t>(std::stoul(text.substr(words * 8 + 1), nullptr, 16));
  return true;
}

bool ReadFile(const char* path, int family, std::vector<SocketTuple>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = std::string("cannot open ") + path;
    return false;
  }
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state)) continue;
    SocketTuple t;
    int number = std::stoi(state, nullptr, 16);
    if (number == 12) number = 3;  // TCP_NEW_SYN_RECV: a request socket
    if (!ParseEndpoint(local, family, t.local) || !ParseEndpoint(remote, family, t.remote) ||
        number < 1 || number > 11) {
      error = std::string("unexpected line in ") + path + ": " + line;
      return false;
    }
    t.state = static_cast<State>(number);
    out.push_back(t);
  }
  return true;
}

}  // namespace

std::vector<SocketTuple> ReadProcNetTcp(std::string& error) {
  std::vector<SocketTuple> out;
  error.clear();
  if (!ReadFile("/proc/net/tcp", AF_INET, out, error) ||
      !ReadFile("/proc/net/tcp6", AF_INET6, out, error)) {
    return {};
  }
  return out;
}

}  // namespace tcpdoctor::itest
