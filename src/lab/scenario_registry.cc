#include "lab/scenario_registry.h"

#include "lab/scenarios/backlog_overflow.h"
#include "lab/scenarios/close_wait_leak.h"
#include "lab/scenarios/fin_timeout_myth.h"
#include "lab/scenarios/keepalive_vs_close.h"
#include "lab/scenarios/linger_reset.h"
#include "lab/scenarios/port_exhaustion.h"
#include "lab/scenarios/syn_flood.h"
#include "lab/scenarios/time_wait.h"

namespace tcpdoctor {

const std::vector<Scenario>& AllScenarios() {
  static const std::vector<Scenario> kScenarios = {
      TimeWaitClientScenario(),  TimeWaitServerScenario(), KeepaliveVsCloseScenario(),
      LingerResetScenario(),     FinTimeoutMythScenario(), CloseWaitLeakScenario(),
      BacklogOverflowScenario(), SynFloodScenario(),       PortExhaustionScenario(),
  };
  return kScenarios;
}

const Scenario* FindScenario(std::string_view name) {
  for (const Scenario& s : AllScenarios()) {
    if (s.info.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const Scenario& s : AllScenarios()) names.push_back(s.info.name);
  return names;
}

}  // namespace tcpdoctor
