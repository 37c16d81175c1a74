#include "collect/process_limits.h"

#include <charconv>
#include <cstddef>
#include <string>
#include <utility>

namespace tcpdoctor {
namespace {

constexpr std::string_view kName = "Max open files";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The next blank-separated word of `rest`, which it consumes; "" at the end.
std::string_view NextWord(std::string_view& rest) {
  size_t i = 0;
  while (i < rest.size() && IsBlank(rest[i])) ++i;
  const size_t start = i;
  while (i < rest.size() && !IsBlank(rest[i])) ++i;
  const std::string_view word = rest.substr(start, i - start);
  rest.remove_prefix(i);
  return word;
}

bool ParseLimit(std::string_view word, uint64_t& out) {
  if (word == "unlimited") {
    out = kUnlimited;
    return true;
  }
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out, 10);
  return !word.empty() && ec == std::errc{} && end == word.data() + word.size();
}

Error Malformed(std::string_view source, std::string message) {
  return Error{ErrorCode::kParse, std::move(message), 0, std::string(source), {}};
}

}  // namespace

Result<NofileLimits> ParseNofileLimits(std::string_view source, std::string_view text) {
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    // The name is padded to 25 columns; "Max open filesystems" would not be this line.
    if (!line.starts_with(kName) || (line.size() > kName.size() && !IsBlank(line[kName.size()]))) {
      continue;
    }
    std::string_view values = line.substr(kName.size());
    NofileLimits limits;
    if (!ParseLimit(NextWord(values), limits.soft) || !ParseLimit(NextWord(values), limits.hard)) {
      return Malformed(source, "malformed \"" + std::string(kName) +
                                   "\" line: expected a soft and a hard limit, got \"" +
                                   std::string(line) + "\"");
    }
    return limits;
  }
  return Malformed(source, "no \"" + std::string(kName) + "\" line");
}

}  // namespace tcpdoctor
