// Runs the tcpdoctor binary under test.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace tcpdoctor::itest {

// `tcpdoctor ARGS...` (the binary built with the tests).
CommandResult RunTcpdoctor(const std::vector<std::string>& args,
                           const CommandOptions& options = {});

// `tcpdoctor ARGS... --json`, expecting success: exit 0, nothing on stderr, one JSON document on
// stdout. Records a test failure and returns nullopt otherwise.
std::optional<nlohmann::json> TcpdoctorJson(const std::vector<std::string>& args,
                                            const CommandOptions& options = {});

// "tcpdoctor a b c", for messages.
std::string CommandLine(const std::vector<std::string>& args);

}  // namespace tcpdoctor::itest
