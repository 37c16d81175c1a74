// Runs `tcpdoctor lab SCENARIO --json` and checks what every lab run owes its caller: it exits 0
// with one JSON document within 30 s, and leaves nothing behind: none of the helper processes
// it reports is alive, no process is in the namespace it reports, and the caller's namespace
// (a netns sandbox: call it from RunInNetns) has no socket, as `ss -tan` sees it there.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/background_process.h"  // ProcessExists
#include "support/run_command.h"

namespace tcpdoctor::itest {

inline constexpr double kLabSecondsAllowed = 30;

struct LabRun {
  CommandResult run;
  nlohmann::json doc;  // null when the output was not JSON
  double seconds = 0;  // wall time of the whole command
};

// `tcpdoctor lab NAME ARGS... --json`, with the checks above as test failures.
LabRun RunLabScenario(const std::string& name, const std::vector<std::string>& args = {});

// The value of observation `key` (doc["observed"][key]); a test failure and null if absent.
nlohmann::json Observed(const nlohmann::json& doc, const std::string& key);

// The value the run reports for sysctl `key` (doc["namespace"]["sysctls"]), "" if it lists none.
std::string LabSysctlValue(const nlohmann::json& doc, const std::string& key);

// The finding of rule `rule` about `subject` in the run's checkup; null if there is none.
nlohmann::json LabFinding(const nlohmann::json& doc, const std::string& rule,
                          const std::string& subject);

// The checkup reported `rule` about `subject`, and the run lists it as expected and found.
void ExpectLabFinding(const nlohmann::json& doc, const std::string& rule,
                      const std::string& subject);

}  // namespace tcpdoctor::itest
