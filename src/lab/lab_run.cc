#include "lab/lab_run.h"

#include <algorithm>
#include <thread>

#include "analyze/doctor.h"
#include "collect/auto_source.h"
#include "collect/proc_net_counters.h"
#include "lab/interrupt.h"

namespace tcpdoctor {
namespace {

constexpr auto kSlice = std::chrono::milliseconds(50);

}  // namespace

LabRun::LabRun(ScenarioParams params, LabNamespace& ns, CheckupHook checkup, WarningSink warn,
               std::unique_ptr<SocketSource> source)
    : params_(std::move(params)),
      ns_(ns),
      checkup_(std::move(checkup)),
      warn_(std::move(warn)),
      source_(std::move(source)),
      start_(LabClock::now()),
      deadline_(start_ + kRunBudget) {}

Result<std::unique_ptr<LabRun>> LabRun::Open(const Scenario& scenario, ScenarioParams params,
                                             LabNamespace& ns, CheckupHook checkup,
                                             WarningSink warn) {
  if (auto inside = ns.CheckInside(); !inside) return inside.TakeError();
  // Opened here, inside the lab namespace: a netlink socket belongs to the namespace it was
  // made in.
  auto source = std::make_unique<AutoSource>(ProcFs(), warn);
  std::unique_ptr<LabRun> run(
      new LabRun(std::move(params), ns, std::move(checkup), std::move(warn), std::move(source)));
  LabOutcome& o = run->outcome_;
  o.scenario = scenario.info.name;
  o.summary = scenario.info.summary;
  for (const LabScale& s : scenario.info.scales) {
    o.parameters.push_back({s.option, run->params_.Get(s.option), s.integer, s.meaning});
  }
  o.netns_inode = ns.inode();
  return run;
}

LabRun::~LabRun() {
  while (!helpers_.empty()) helpers_.pop_back();  // each kills and reaps its process
}

Status LabRun::SetSysctl(std::string_view key, std::string_view value, std::string why) {
  auto now = ns_.WriteSysctl(key, value);
  if (!now) return now.TakeError();
  auto it = std::find_if(outcome_.sysctls.begin(), outcome_.sysctls.end(),
                         [key](const LabSysctl& s) { return s.key == key; });
  if (it == outcome_.sysctls.end()) {
    outcome_.sysctls.push_back({std::string(key), *now, true, std::move(why)});
  } else {
    *it = {std::string(key), *now, true, std::move(why)};
  }
  return Ok{};
}

Status LabRun::NoteSysctl(std::string_view key, std::string why) {
  auto now = ns_.ReadSysctl(key);
  if (!now) return now.TakeError();
  outcome_.sysctls.push_back({std::string(key), *now, false, std::move(why)});
  return Ok{};
}

Result<LabProcess*> LabRun::StartHelper(const HelperSpec& spec, const HelperBody& body) {
  if (auto inside = ns_.CheckInside(); !inside) return inside.TakeError();
  auto started = LabProcess::Start(spec, body);
  if (!started) return started.TakeError();
  outcome_.pids.push_back((*started)->pid());
  helpers_.push_back(std::move(*started));
  return helpers_.back().get();
}

Result<SocketCensus> LabRun::Census(const SocketFilter& filter) {
  return SocketCensus::Take(*source_, warn_, filter);
}

Result<SocketCensus> LabRun::CensusWhen(const std::function<bool(const SocketCensus&)>& settled,
                                        std::chrono::milliseconds within) {
  const auto until = std::min(LabClock::now() + within, deadline_);
  for (;;) {
    auto census = Census();
    if (!census || settled(*census) || LabClock::now() >= until) return census;
    if (Status waited = WaitUntil(std::min(LabClock::now() + kSlice, until)); !waited) {
      return waited.TakeError();
    }
  }
}

Result<KernelCounters> LabRun::Counters() const { return ReadKernelCounters(ProcFs()); }

Status LabRun::Continue() const {
  if (auto interrupted = CheckInterrupt(); !interrupted) return interrupted;
  if (LabClock::now() > deadline_) {
    return Error{ErrorCode::kIo,
                 "the run went over its budget of " + std::to_string(kRunBudget.count()) +
                     " s at step " + std::to_string(outcome_.steps.size()),
                 0, "lab " + outcome_.scenario, "try smaller --connections or --duration"};
  }
  return Ok{};
}

Status LabRun::WaitUntil(LabClock::time_point when) const {
  for (;;) {
    if (auto go_on = Continue(); !go_on) return go_on;
    const auto now = LabClock::now();
    if (now >= when) return Ok{};
    std::this_thread::sleep_for(std::min<LabClock::duration>(when - now, kSlice));
  }
}

void LabRun::Step(std::string did) { outcome_.steps.push_back({std::move(did), {}}); }

void LabRun::AddObservation(Fact fact, std::string text) {
  if (outcome_.steps.empty()) Step("");
  outcome_.steps.back().observed.push_back({std::move(fact), std::move(text)});
}

void LabRun::Expect(std::string rule, std::string subject, std::string why) {
  outcome_.expected_findings.push_back(
      {std::move(rule), std::move(subject), std::move(why), false, {}});
}

Status LabRun::Checkup() {
  if (checkup_taken_) {
    return Error{
        ErrorCode::kIo, "the checkup was already taken", 0, "lab " + outcome_.scenario, {}};
  }
  checkup_taken_ = true;
  outcome_.checkup_after_step = outcome_.steps.size();
  return checkup_();
}

namespace {

// A failure while running is never the user's bad usage (exit 2), even when a syscall said
// EINVAL: the options were checked before the run.
Error AsRunFailure(Error e) {
  if (e.code == ErrorCode::kInvalidArgument) e.code = ErrorCode::kIo;
  return e;
}

}  // namespace

Result<LabOutcome> RunScenario(const Scenario& scenario, ScenarioParams params, LabNamespace& ns,
                               CheckupHook checkup, WarningSink warn) {
  const auto start = LabClock::now();
  LabOutcome outcome;
  {
    auto opened =
        LabRun::Open(scenario, std::move(params), ns, std::move(checkup), std::move(warn));
    if (!opened) return AsRunFailure(opened.TakeError());
    LabRun& run = **opened;
    if (Status ran = scenario.run(run); !ran) return AsRunFailure(ran.TakeError());
    if (!run.checkup_taken()) {
      if (Status taken = run.Checkup(); !taken) return AsRunFailure(taken.TakeError());
    }
    outcome = std::move(run.outcome_);
  }  // the helpers are killed and reaped here
  outcome.duration_seconds = std::chrono::duration<double>(LabClock::now() - start).count();
  return outcome;
}

double RuleThreshold(std::string_view rule, std::string_view key) {
  for (const Rule& r : AllRules()) {
    if (r.id == rule) return r.Defaults().Get(key);
  }
  return 0;
}

}  // namespace tcpdoctor
