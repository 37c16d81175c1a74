#include "collect/proc_net_tcp.h"

#include <unistd.h>

#include <charconv>
#include <cstring>
#include <string>

namespace tcpdoctor {
namespace {

// Splits on runs of spaces; returns at most `max` fields.
template <size_t N>
size_t SplitFields(std::string_view line, std::array<std::string_view, N>& out) {
  size_t count = 0;
  size_t i = 0;
  while (i < line.size() && count < N) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out[count++] = line.substr(start, i - start);
  }
  return count;
}

template <typename T>
bool ParseNumber(std::string_view text, T& out, int base) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc{} && end == text.data() + text.size();
}

// "0100007F:1F90": the address as the kernel's %08X of each 32-bit word (native byte order),
// then the port in hex.
bool ParseEndpoint(std::string_view text, Family family, IpAddress& addr, uint16_t& port) {
  const size_t words = family == Family::kIpv4 ? 1 : 4;
  if (text.size() != words * 8 + 5 || text[words * 8] != ':') return false;
  uint8_t bytes[16] = {};
  for (size_t w = 0; w < words; ++w) {
    uint32_t word = 0;
    if (!ParseNumber(text.substr(w * 8, 8), word, 16)) return false;
    std::memcpy(bytes + w * 4, &word, 4);
  }
  addr = family == Family::kIpv4 ? IpAddress::V4(bytes) : IpAddress::V6(bytes);
  return ParseNumber(text.substr(words * 8 + 1), port, 16);
}

// "00000000:00000000": tx_queue:rx_queue, or "00:00000000": timer:jiffies.
bool ParsePair(std::string_view text, uint32_t& first, uint32_t& second) {
  const size_t colon = text.find(':');
  return colon != std::string_view::npos && ParseNumber(text.substr(0, colon), first, 16) &&
         ParseNumber(text.substr(colon + 1), second, 16);
}

Error Malformed(std::string_view line, std::string_view what) {
  return Error{ErrorCode::kParse,
               "malformed line (" + std::string(what) + "): " + std::string(line),
               0,
               "/proc/net/tcp",
               {}};
}

}  // namespace

Result<std::optional<SocketRecord>> ParseProcNetTcpLine(std::string_view line, Family family) {
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
  std::array<std::string_view, 10> f;
  const size_t n = SplitFields(line, f);
  if (n == 0) return std::optional<SocketRecord>{};
  if (f[0] == "sl") return std::optional<SocketRecord>{};  // the header
  if (n < 10) return Malformed(line, "too few fields");
  SocketRecord r;
  if (!ParseEndpoint(f[1], family, r.local, r.local_port)) return Malformed(line, "local address");
  if (!ParseEndpoint(f[2], family, r.remote, r.remote_port))
    return Malformed(line, "remote address");
  int state_number = 0;
  if (!ParseNumber(f[3], state_number, 16)) return Malformed(line, "state");
  if (state_number == 12) state_number = 3;  // NEW_SYN_RECV
  const auto state = StateFromKernel(state_number);
  if (!state) return Malformed(line, "unknown state");
  r.state = *state;
  if (!ParsePair(f[4], r.send_queue, r.recv_queue)) return Malformed(line, "queues");
  uint32_t timer = 0;
  uint32_t jiffies = 0;
  if (!ParsePair(f[5], timer, jiffies)) return Malformed(line, "timer");
  r.timer = timer <= 4 ? static_cast<SocketTimer>(timer) : SocketTimer::kNone;
  static const long kTicksPerSecond = ::sysconf(_SC_CLK_TCK);  // USER_HZ, constant
  r.timer_expires_ms =
      static_cast<uint32_t>(uint64_t{jiffies} * 1000 / static_cast<uint64_t>(kTicksPerSecond));
  uint32_t retransmits = 0;
  if (!ParseNumber(f[6], retransmits, 16)) return Malformed(line, "retransmits");
  r.retransmits = static_cast<uint8_t>(retransmits > 255 ? 255 : retransmits);
  if (!ParseNumber(f[7], r.uid, 10)) return Malformed(line, "uid");
  if (!ParseNumber(f[9], r.inode, 10)) return Malformed(line, "inode");
  if (r.state == TcpState::kListen) r.send_queue = 0;  // /proc does not show the backlog
  return std::optional<SocketRecord>(r);
}

Result<DumpStats> ProcNetTcpSource::Dump(const DumpQuery& query, const RecordSink& sink) {
  const char* file = query.family == Family::kIpv4 ? "net/tcp" : "net/tcp6";
  DumpStats stats;
  std::optional<Error> failure;
  auto read = proc_.ForEachLine(file, [&](std::string_view line) {
    ++stats.messages;
    stats.bytes += line.size() + 1;
    auto parsed = ParseProcNetTcpLine(line, query.family);
    if (!parsed) {
      failure = parsed.TakeError();
      failure->context = proc_.Path(file) + " line " + std::to_string(stats.messages);
      return false;
    }
    if (*parsed && MatchesQuery(query, **parsed)) {
      ++stats.records;
      sink(**parsed);
    }
    return true;
  });
  if (!read) {
    // No tcp6 file means IPv6 is off: no IPv6 sockets, not an error.
    if (read.error().code == ErrorCode::kNotFound && query.family == Family::kIpv6) return stats;
    return read.TakeError();
  }
  if (failure) return *failure;
  return stats;
}

}  // namespace tcpdoctor
