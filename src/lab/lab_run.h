// One run of a scenario: what the scenario's code works with (its parameters, the lab
// namespace, helper processes, the census of sockets and the counters, the time budget and
// Ctrl-C) and the outcome it narrates into. Destroying the run kills and reaps its helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "collect/socket_source.h"
#include "core/result.h"
#include "core/warning_sink.h"
#include "lab/lab_namespace.h"
#include "lab/lab_process.h"
#include "lab/lab_socket.h"
#include "lab/scenario.h"
#include "lab/socket_census.h"
#include "model/counters.h"
#include "model/lab_outcome.h"

namespace tcpdoctor {

// Takes the checkup of the lab namespace now (the caller's snapshot and doctor).
using CheckupHook = std::function<Status()>;

// Every run ends within this, whatever its options (Continue() fails after it).
inline constexpr std::chrono::seconds kRunBudget{27};

class LabRun {
 public:
  // Opens the socket source in the lab namespace (the caller must be in it).
  static Result<std::unique_ptr<LabRun>> Open(const Scenario& scenario, ScenarioParams params,
                                              LabNamespace& ns, CheckupHook checkup,
                                              WarningSink warn);
  ~LabRun();  // kills and reaps the helpers, newest first
  LabRun(const LabRun&) = delete;
  LabRun& operator=(const LabRun&) = delete;

  const ScenarioParams& params() const { return params_; }
  LabNamespace& ns() { return ns_; }
  LabOutcome& outcome() { return outcome_; }
  const WarningSink& warn() const { return warn_; }

  // Sets a sysctl of the lab namespace and records the value the kernel then holds, and why.
  Status SetSysctl(std::string_view key, std::string_view value, std::string why);
  // Records a sysctl as the fresh namespace has it (its compiled-in default), and why it
  // matters here.
  Status NoteSysctl(std::string_view key, std::string why);

  // Starts a helper (in the lab namespace) that lives until the run ends; its pid goes into
  // the outcome.
  Result<LabProcess*> StartHelper(const HelperSpec& spec, const HelperBody& body);

  // The sockets of the lab namespace now (those `filter` selects).
  Result<SocketCensus> Census(const SocketFilter& filter = SocketFilter{});
  // A census once `settled` holds for it (connections still closing have closed, say), or
  // the last one taken when `within` has passed: the scenario then reports what it saw.
  Result<SocketCensus> CensusWhen(const std::function<bool(const SocketCensus&)>& settled,
                                  std::chrono::milliseconds within);
  // The namespace's counters now (/proc/net/netstat and snmp).
  Result<KernelCounters> Counters() const;

  // Ok while the run may go on; kInterrupted after Ctrl-C or SIGTERM, kIo past its budget.
  Status Continue() const;
  LabClock::time_point deadline() const { return deadline_; }
  // Waits until `when` (at most the deadline), in short slices that look at Continue().
  Status WaitUntil(LabClock::time_point when) const;

  // The narrative. Observe() adds to the latest Step(); keys are unique within a run.
  void Step(std::string did);
  template <typename T>
  void Observe(std::string key, T value, std::string text) {
    if constexpr (std::is_integral_v<T>) {
      AddObservation({std::move(key), static_cast<int64_t>(value)}, std::move(text));
    } else if constexpr (std::is_floating_point_v<T>) {
      AddObservation({std::move(key), static_cast<double>(value)}, std::move(text));
    } else {
      AddObservation({std::move(key), std::string(value)}, std::move(text));
    }
  }
  void Conclude(std::string text) { outcome_.conclusions.push_back(std::move(text)); }
  // Something the kernel did that the scenario did not expect.
  void Surprise(std::string text) { outcome_.surprises.push_back(std::move(text)); }
  void Expect(std::string rule, std::string subject, std::string why);

  // Takes the checkup now; once per run.
  Status Checkup();
  bool checkup_taken() const { return checkup_taken_; }

 private:
  LabRun(ScenarioParams params, LabNamespace& ns, CheckupHook checkup, WarningSink warn,
         std::unique_ptr<SocketSource> source);
  void AddObservation(Fact fact, std::string text);

  ScenarioParams params_;
  LabNamespace& ns_;
  CheckupHook checkup_;
  WarningSink warn_;
  std::unique_ptr<SocketSource> source_;
  LabOutcome outcome_;
  std::vector<std::unique_ptr<LabProcess>> helpers_;
  LabClock::time_point start_;
  LabClock::time_point deadline_;
  bool checkup_taken_ = false;

  friend Result<LabOutcome> RunScenario(const Scenario&, ScenarioParams, LabNamespace&, CheckupHook,
                                        WarningSink);
};

// Runs `scenario` in `ns` (which the caller is in): the scenario's code, then the checkup if it
// did not take it, then its helpers are stopped. The outcome says what happened; an error
// means the run could not finish (kInterrupted after Ctrl-C), and everything was cleaned up
// either way.
Result<LabOutcome> RunScenario(const Scenario& scenario, ScenarioParams params, LabNamespace& ns,
                               CheckupHook checkup, WarningSink warn);

// The default of a rule's threshold (analyze/doctor.h), so that a scenario states when its
// load is large enough for the rule to fire without copying the number.
double RuleThreshold(std::string_view rule, std::string_view key);

}  // namespace tcpdoctor
