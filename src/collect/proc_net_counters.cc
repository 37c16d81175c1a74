#include "collect/proc_net_counters.h"

#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tcpdoctor {
namespace {

// Calls on_line(line_number, line) for each line, without "\n" or a trailing "\r"; stops at
// the first error it returns.
template <typename OnLine>
Status ForEachTextLine(std::string_view text, OnLine on_line) {
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Status status = on_line(++number, line);
    if (!status) return status;
  }
  return Ok{};
}

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

bool IsBlank(std::string_view line) { return SplitWords(line).empty(); }

// "TcpExt: a b c" -> {"TcpExt", "a b c"}; nullopt when there is no non-empty "Section:".
std::optional<std::pair<std::string_view, std::string_view>> SplitSection(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view section = line.substr(0, colon);
  while (!section.empty() && (section.front() == ' ' || section.front() == '\t')) {
    section.remove_prefix(1);
  }
  if (section.empty() || section.find_first_of(" \t") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{section, line.substr(colon + 1)};
}

template <typename T>
bool ParseDecimal(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

// A counter value: unsigned, or signed when it starts with '-'.
bool ParseCounterValue(std::string_view text, Counter& c) {
  if (!text.empty() && text.front() == '-') {
    int64_t v = 0;
    if (!ParseDecimal(text, v)) return false;
    c.value = static_cast<uint64_t>(v);
    c.negative = v < 0;
    return true;
  }
  c.negative = false;
  return ParseDecimal(text, c.value);
}

bool LooksNumeric(std::string_view word) {
  return !word.empty() && (word.front() == '-' || (word.front() >= '0' && word.front() <= '9'));
}

Error ParseError(std::string message, size_t line) {
  return Error{ErrorCode::kParse, std::move(message), 0, "line " + std::to_string(line), {}};
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Adds the file's path in front of a parser's "line N" context.
Error InFile(Error e, const std::string& path) {
  e.context = e.context.empty() ? path : path + " " + e.context;
  return e;
}

struct Header {
  std::string_view section;
  std::vector<std::string_view> names;
  size_t line = 0;
};

}  // namespace

Result<KernelCounters> ParseNetstatPairs(std::string_view text) {
  KernelCounters out;
  std::optional<Header> header;  // a names line waiting for its values line
  Status status = ForEachTextLine(text, [&](size_t number, std::string_view line) -> Status {
    if (IsBlank(line)) return Ok{};
    const auto split = SplitSection(line);
    if (!split) {
      return ParseError("expected \"Section: ...\", got " + Quote(line), number);
    }
    const auto [section, rest] = *split;
    std::vector<std::string_view> words = SplitWords(rest);
    if (!header) {
      if (!words.empty() && LooksNumeric(words.front())) {
        return ParseError(
            "section " + std::string(section) + ": a values line without a header line before it",
            number);
      }
      header = Header{section, std::move(words), number};
      return Ok{};
    }
    if (section != header->section || (!words.empty() && !LooksNumeric(words.front()))) {
      return ParseError("section " + std::string(header->section) + ": header on line " +
                            std::to_string(header->line) + " has no values line (line " +
                            std::to_string(number) + " is another header, of section " +
                            std::string(section) + ")",
                        number);
    }
    if (words.size() != header->names.size()) {
      return ParseError("section " + std::string(section) + ": " +
                            std::to_string(header->names.size()) + " names on line " +
                            std::to_string(header->line) + " but " + std::to_string(words.size()) +
                            " values",
                        number);
    }
    for (size_t i = 0; i < words.size(); ++i) {
      Counter c{std::string(section), std::string(header->names[i]), 0, false};
      if (!ParseCounterValue(words[i], c)) {
        return ParseError("section " + std::string(section) + ": value " + Quote(words[i]) +
                              " of " + c.name + " is not a decimal number",
                          number);
      }
      out.Set(std::move(c));
    }
    header.reset();
    return Ok{};
  });
  if (!status) return status.TakeError();
  if (header) {
    return ParseError("section " + std::string(header->section) + ": header has no values line",
                      header->line);
  }
  return out;
}

Result<Sockstat> ParseSockstat(std::string_view text) {
  Sockstat out;
  Status status = ForEachTextLine(text, [&](size_t number, std::string_view line) -> Status {
    if (IsBlank(line)) return Ok{};
    const auto split = SplitSection(line);
    if (!split) return ParseError("expected \"PROTO: name value ...\", got " + Quote(line), number);
    const auto [protocol, rest] = *split;
    const std::vector<std::string_view> words = SplitWords(rest);
    SockstatLine parsed{std::string(protocol), {}};
    for (size_t i = 0; i < words.size(); i += 2) {
      if (i + 1 == words.size()) {
        return ParseError(std::string(protocol) + ": field " + Quote(words[i]) + " has no value",
                          number);
      }
      SockstatField field{std::string(words[i]), 0};
      if (!ParseDecimal(words[i + 1], field.value)) {
        return ParseError(std::string(protocol) + ": value " + Quote(words[i + 1]) + " of " +
                              field.name + " is not an unsigned decimal number",
                          number);
      }
      parsed.fields.push_back(std::move(field));
    }
    out.lines.push_back(std::move(parsed));
    return Ok{};
  });
  if (!status) return status.TakeError();
  return out;
}

Result<KernelCounters> ReadKernelCounters(const ProcFs& proc) {
  KernelCounters out;
  std::vector<std::string> missing;
  for (std::string_view file : {"net/netstat", "net/snmp"}) {
    auto text = proc.ReadFile(file);
    if (!text) {
      if (text.error().code != ErrorCode::kNotFound) return text.TakeError();
      missing.push_back(proc.Path(file));
      continue;
    }
    auto parsed = ParseNetstatPairs(*text);
    if (!parsed) return InFile(parsed.TakeError(), proc.Path(file));
    out.Merge(*parsed);
  }
  if (missing.size() == 2) {
    return Error{ErrorCode::kNotFound, "no kernel counters: neither file exists", ENOENT,
                 missing[0] + " and " + missing[1], "check --proc-root"};
  }
  for (std::string& path : missing) out.AddMissingFile(std::move(path));
  return out;
}

Result<Sockstat> ReadSockstat(const ProcFs& proc) {
  auto text = proc.ReadFile("net/sockstat");
  if (!text) return text.TakeError();
  auto out = ParseSockstat(*text);
  if (!out) return InFile(out.TakeError(), proc.Path("net/sockstat"));
  auto text6 = proc.ReadFile("net/sockstat6");
  if (!text6) {
    if (text6.error().code == ErrorCode::kNotFound) return out;  // IPv6 is off
    return text6.TakeError();
  }
  auto parsed6 = ParseSockstat(*text6);
  if (!parsed6) return InFile(parsed6.TakeError(), proc.Path("net/sockstat6"));
  for (SockstatLine& line : parsed6->lines) out->lines.push_back(std::move(line));
  return out;
}

}  // namespace tcpdoctor
