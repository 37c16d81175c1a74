// What one run of `tcpdoctor lab SCENARIO` did and what the kernel did in return: plain data,
// filled by src/lab and rendered by present/lab_view (text, and JSON per docs/json.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/finding.h"

namespace tcpdoctor {

// One option that scales a scenario (--connections, --rate, --duration) and its bounds.
struct LabScale {
  std::string option;  // "connections", "rate", "duration" (the flag without "--")
  double default_value = 0;
  double min = 0;
  double max = 0;
  bool integer = true;  // whole numbers only (connections); rate and duration may be fractional
  std::string meaning;  // what it scales in this scenario: "connections made, one request each"
};

// A scenario as `lab --list` shows it.
struct LabScenarioInfo {
  std::string name;     // "time-wait-client"
  std::string summary;  // one line
  std::vector<LabScale> scales;
};

// The value a run used for one of its scales.
struct LabParameter {
  std::string option;
  double value = 0;
  bool integer = true;
  std::string meaning;
};

// A sysctl of the lab namespace as the run used it. A fresh namespace starts from the kernel's
// compiled-in defaults, not the host's values (kernel-facts §8), so the narrative shows them.
struct LabSysctl {
  std::string key;          // "net.ipv4.tcp_tw_reuse"
  std::string value;        // as read back from the kernel, whitespace folded: "32768 35767"
  bool set_by_lab = false;  // false: the fresh namespace's default, left as it was
  std::string why;          // why the run set it, or why it matters here
};

// One thing the kernel did, as measured (a sock_diag dump, a counter delta, an errno).
struct LabObservation {
  Fact fact;         // the stable key (unique within a run) and the value, for programs
  std::string text;  // the same for people: "TIME_WAIT on the client's ports: 2000"
};

// One step of the narrative: what the lab did, then what it saw.
struct LabStep {
  std::string did;
  std::vector<LabObservation> observed;
};

// A finding the scenario builds the situation for: rule id and subject as the checkup reports
// them. `found` and `severity` are filled once the checkup has run.
struct LabExpectedFinding {
  std::string rule;     // "server-active-close"
  std::string subject;  // "port 8080"
  std::string why;      // why this run should produce it
  bool found = false;
  std::string severity;  // "info", "warning", "critical" when found
};

struct LabOutcome {
  std::string scenario;
  std::string summary;
  std::vector<LabParameter> parameters;
  std::vector<LabSysctl> sysctls;
  std::vector<LabStep> steps;
  // What the observations mean, each stated from what was measured.
  std::vector<std::string> conclusions;
  // Where the kernel did not do what the scenario expected: said, never hidden.
  std::vector<std::string> surprises;
  std::vector<LabExpectedFinding> expected_findings;
  // How many steps had been taken when the checkup's snapshot was taken (its counters cover
  // the run from before step 1 up to then).
  size_t checkup_after_step = 0;
  // The lab namespace's identity (the inode of /proc/self/ns/net in it) and the helper
  // processes the run started: what "nothing left behind" is checked against.
  uint64_t netns_inode = 0;
  std::vector<int32_t> pids;
  double duration_seconds = 0;
};

}  // namespace tcpdoctor
