// `promtool check metrics` on exposition text: Prometheus's own parser and linter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fixture_util.h"
#include "support/run_command.h"

namespace tcpdoctor::test_util {

// What promtool objects to in `text` (a parse error or a lint problem, with its exit code), or
// "" when it accepts it silently.
inline std::string PromtoolProblems(const std::string& text, const std::string& name) {
  const std::string path = WriteTempFile(name, std::vector<uint8_t>(text.begin(), text.end()));
  const itest::CommandResult r =
      itest::RunCommand({"sh", "-c", "promtool check metrics < " + path});
  if (r.exit_code == 0 && r.out.empty() && r.err.empty()) return "";
  return r.Describe();
}

}  // namespace tcpdoctor::test_util
