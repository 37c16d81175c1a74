#include "support/tcpdoctor_runner.h"

#include <gtest/gtest.h>

namespace tcpdoctor::itest {

std::string CommandLine(const std::vector<std::string>& args) {
  std::string s = "tcpdoctor";
  for (const std::string& a : args) s += " " + a;
  return s;
}

CommandResult RunTcpdoctor(const std::vector<std::string>& args, const CommandOptions& options) {
  std::vector<std::string> argv = {TCPDOCTOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, options);
}

std::optional<nlohmann::json> TcpdoctorJson(const std::vector<std::string>& args,
                                            const CommandOptions& options) {
  std::vector<std::string> with_json = args;
  with_json.push_back("--json");
  const CommandResult run = RunTcpdoctor(with_json, options);
  if (run.exit_code != 0 || !run.err.empty()) {
    ADD_FAILURE() << CommandLine(with_json) << ": " << run.Describe();
    return std::nullopt;
  }
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    ADD_FAILURE() << CommandLine(with_json) << " printed invalid JSON:\n" << run.out;
    return std::nullopt;
  }
  return doc;
}

}  // namespace tcpdoctor::itest
