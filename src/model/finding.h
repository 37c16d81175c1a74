// What the doctor concludes: one problem, with the numbers that show it, why it happens and what
// to do. Plain data; rules (analyze/rules/) make them, present/ renders them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tcpdoctor {

enum class Severity : uint8_t { kInfo = 0, kWarning = 1, kCritical = 2 };

// "info", "warning", "critical".
std::string_view SeverityName(Severity s);

// One number or name behind a finding, for programs: {"close_wait", 812},
// {"process", "nginx"}, {"fd_percent", 96.5}.
struct Fact {
  std::string name;  // snake_case, stable per rule (documented in docs/json.md)
  std::variant<int64_t, double, std::string> value;
};

struct Finding {
  std::string id;  // the rule's stable id: "close-wait-leak"
  Severity severity = Severity::kInfo;
  std::string subject;  // what it is about, unique within the rule: "nginx[1234]", "0.0.0.0:80"
  std::string title;    // one line: "nginx[1234] is leaking CLOSE_WAIT sockets"
  std::vector<std::string> evidence;  // lines with the numbers, for people
  std::vector<Fact> facts;            // the same numbers, for programs
  std::string why;                    // one or two sentences
  std::vector<std::string> fix;       // steps: the application first, then sysctls (exact lines)
  std::vector<std::string> topics;    // `tcpdoctor explain` topics: "CLOSE_WAIT", "ListenOverflows"
};

}  // namespace tcpdoctor
