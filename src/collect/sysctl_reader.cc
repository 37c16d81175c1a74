#include "collect/sysctl_reader.h"

#include <array>
#include <charconv>
#include <iterator>
#include <optional>
#include <utility>

namespace tcpdoctor {
namespace {

std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

template <typename T>
bool ParseDecimal(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

Error Malformed(std::string_view key, std::string_view expected, std::string_view text) {
  return Error{ErrorCode::kParse,
               "malformed value of " + std::string(key) + ": expected " + std::string(expected) +
                   ", got \"" + std::string(Trim(text)) + "\"",
               0,
               std::string(key),
               {}};
}

// A port number 0..65535.
std::optional<uint32_t> ParsePort(std::string_view text) {
  uint32_t port = 0;
  if (!ParseDecimal(Trim(text), port) || port > 65535) return std::nullopt;
  return port;
}

// Setters for ApplySysctl's table, one per value shape.
using Setter = Status (*)(std::string_view key, std::string_view text, Sysctls& out);

template <std::optional<int64_t> Sysctls::*Field>
Status SetInt(std::string_view key, std::string_view text, Sysctls& out) {
  auto v = ParseSysctlInt(key, text);
  if (!v) return v.TakeError();
  out.*Field = *v;
  return Ok{};
}

Status SetPortRange(std::string_view key, std::string_view text, Sysctls& out) {
  auto v = ParsePortRange(key, text);
  if (!v) return v.TakeError();
  out.ip_local_port_range = *v;
  return Ok{};
}

Status SetReservedPorts(std::string_view key, std::string_view text, Sysctls& out) {
  auto v = ParsePortList(key, text);
  if (!v) return v.TakeError();
  out.ip_local_reserved_ports = std::move(*v);
  return Ok{};
}

Status SetTcpMem(std::string_view key, std::string_view text, Sysctls& out) {
  auto v = ParseSysctlInts(key, text, 3);
  if (!v) return v.TakeError();
  out.tcp_mem = TcpMem{(*v)[0], (*v)[1], (*v)[2]};
  return Ok{};
}

Status SetFileNr(std::string_view key, std::string_view text, Sysctls& out) {
  auto v = ParseSysctlInts(key, text, 3);
  if (!v) return v.TakeError();
  out.file_nr = FileNr{(*v)[0], (*v)[1], (*v)[2]};
  return Ok{};
}

struct SysctlSpec {
  std::string_view key;
  Setter set;
};

constexpr std::array<SysctlSpec, 17> kSpecs = {{
    {"net.core.somaxconn", &SetInt<&Sysctls::somaxconn>},
    {"net.ipv4.tcp_max_syn_backlog", &SetInt<&Sysctls::tcp_max_syn_backlog>},
    {"net.ipv4.tcp_syncookies", &SetInt<&Sysctls::tcp_syncookies>},
    {"net.ipv4.ip_local_port_range", &SetPortRange},
    {"net.ipv4.ip_local_reserved_ports", &SetReservedPorts},
    {"net.ipv4.tcp_tw_reuse", &SetInt<&Sysctls::tcp_tw_reuse>},
    {"net.ipv4.tcp_tw_reuse_delay", &SetInt<&Sysctls::tcp_tw_reuse_delay_ms>},
    {"net.ipv4.tcp_max_tw_buckets", &SetInt<&Sysctls::tcp_max_tw_buckets>},
    {"net.ipv4.tcp_timestamps", &SetInt<&Sysctls::tcp_timestamps>},
    {"net.ipv4.tcp_fin_timeout", &SetInt<&Sysctls::tcp_fin_timeout_s>},
    {"net.ipv4.tcp_max_orphans", &SetInt<&Sysctls::tcp_max_orphans>},
    {"net.ipv4.tcp_mem", &SetTcpMem},
    {"fs.file-max", &SetInt<&Sysctls::file_max>},
    {"fs.file-nr", &SetFileNr},
    {"fs.nr_open", &SetInt<&Sysctls::nr_open>},
    {"net.ipv4.tcp_abort_on_overflow", &SetInt<&Sysctls::tcp_abort_on_overflow>},
    {"net.ipv4.tcp_orphan_retries", &SetInt<&Sysctls::tcp_orphan_retries>},
}};

}  // namespace

std::string SysctlPath(std::string_view key) {
  std::string path = "sys/";
  for (char c : key) path += c == '.' ? '/' : c;
  return path;
}

std::vector<std::string_view> SysctlKeys() {
  std::vector<std::string_view> keys;
  keys.reserve(std::size(kSpecs));
  for (const SysctlSpec& spec : kSpecs) keys.push_back(spec.key);
  return keys;
}

Result<int64_t> ParseSysctlInt(std::string_view key, std::string_view text) {
  int64_t value = 0;
  if (!ParseDecimal(Trim(text), value)) return Malformed(key, "an integer", text);
  return value;
}

Result<std::vector<int64_t>> ParseSysctlInts(std::string_view key, std::string_view text,
                                             size_t count) {
  const std::vector<std::string_view> words = SplitWords(text);
  const std::string expected = std::to_string(count) + " integers";
  if (words.size() != count) return Malformed(key, expected, text);
  std::vector<int64_t> values(count);
  for (size_t i = 0; i < count; ++i) {
    if (!ParseDecimal(words[i], values[i])) return Malformed(key, expected, text);
  }
  return values;
}

Result<PortRange> ParsePortRange(std::string_view key, std::string_view text) {
  constexpr std::string_view kExpected = "two ports \"first last\", first <= last";
  const std::vector<std::string_view> words = SplitWords(text);
  if (words.size() != 2) return Malformed(key, kExpected, text);
  const auto first = ParsePort(words[0]);
  const auto last = ParsePort(words[1]);
  if (!first || !last || *first > *last) return Malformed(key, kExpected, text);
  return PortRange{*first, *last};
}

Result<PortSet> ParsePortList(std::string_view key, std::string_view text) {
  constexpr std::string_view kExpected = "ports and ranges like \"8080,9000-9010\"";
  PortSet ports;
  std::string_view rest = Trim(text);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) return Malformed(key, kExpected, text);
    const size_t dash = item.find('-');
    const auto first = ParsePort(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : ParsePort(item.substr(dash + 1));
    if (!first || !last || *first > *last) return Malformed(key, kExpected, text);
    ports.Add(PortRange{*first, *last});
  }
  return ports;
}

Status ApplySysctl(std::string_view key, std::string_view text, Sysctls& out) {
  for (const SysctlSpec& spec : kSpecs) {
    if (spec.key == key) return spec.set(key, text, out);
  }
  return Error{
      ErrorCode::kInvalidArgument, "not a sysctl tcpdoctor reads", 0, std::string(key), {}};
}

Result<Sysctls> ReadSysctls(const ProcFs& proc) {
  Sysctls out;
  for (const SysctlSpec& spec : kSpecs) {
    const std::string relative = SysctlPath(spec.key);
    auto text = proc.ReadFile(relative);
    if (!text) {
      if (text.error().code == ErrorCode::kNotFound) {
        out.missing.emplace_back(spec.key);
        continue;
      }
      return text.TakeError();  // its context is the path
    }
    Status applied = spec.set(spec.key, *text, out);
    if (!applied) {
      Error e = applied.TakeError();
      e.context = proc.Path(relative);
      return e;
    }
  }
  return out;
}

}  // namespace tcpdoctor
