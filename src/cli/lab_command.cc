// `tcpdoctor lab`: reproduce a problem for real in a private network namespace on loopback,
// narrate what the kernel did, and run the checkup on that namespace.
#include <unistd.h>

#include <map>
#include <memory>

#include "analyze/doctor.h"
#include "cli/checkup_snapshot.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "core/suggest.h"
#include "lab/interrupt.h"
#include "lab/lab_run.h"
#include "lab/scenario_registry.h"
#include "present/lab_view.h"

namespace tcpdoctor {
namespace {

struct LabOptions {
  bool list = false;
  std::string scenario;
  std::map<std::string, std::string> given;  // scale option -> the text given
};

Error Usage(std::string message, std::string context, std::string hint) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), 0, std::move(context),
               std::move(hint)};
}

// The lab makes and reports its own namespace: options that pick another, or select sockets,
// or read something other than the live kernel, do not apply.
Status RejectOtherTargets(const GlobalOptions& options) {
  constexpr const char* kOwn = "the lab reports the namespace it creates";
  if (options.netns_given)
    return Usage("--netns does not apply: " + std::string(kOwn), "lab", "drop --netns");
  if (options.all_netns)
    return Usage("--all-netns does not apply: " + std::string(kOwn), "lab", "drop --all-netns");
  if (!options.replay_path.empty() || !options.record_path.empty() || !options.source.empty() ||
      options.proc_root != "/proc") {
    return Usage("--replay, --record, --source and --proc-root do not apply: " + std::string(kOwn),
                 "lab", "drop them");
  }
  if (Status filters = RejectSocketFilters(options, "lab"); !filters) {
    Error e = filters.TakeError();
    e.hint = "drop it: " + std::string(kOwn) + ", all of it";
    return e;
  }
  return Ok{};
}

std::vector<LabScenarioInfo> ScenarioInfos() {
  std::vector<LabScenarioInfo> infos;
  for (const Scenario& s : AllScenarios()) infos.push_back(s.info);
  return infos;
}

// Marks each expected finding the checkup reported, with its severity.
void MarkFound(LabOutcome& outcome, const std::vector<Finding>& findings) {
  for (LabExpectedFinding& e : outcome.expected_findings) {
    for (const Finding& f : findings) {
      if (f.id == e.rule && f.subject == e.subject) {
        e.found = true;
        e.severity = std::string(SeverityName(f.severity));
        break;
      }
    }
  }
}

// The scenario in a new namespace; the checkup's report in `report`. Returns to the
// original namespace before it returns, whatever happened.
Result<LabOutcome> RunInNewNamespace(const Scenario& scenario, const ScenarioParams& params,
                                     CommandIo& io, CheckupReport& report) {
  auto ns = LabNamespace::Create();
  if (!ns) return ns.TakeError();
  // Opened inside the lab namespace: its sockets, counters and sysctls are the lab's.
  auto session = Session::Open(GlobalOptions{}, io);
  if (!session) return session.TakeError();
  // At the scenario's start, so that counter rates and CLOSE_WAIT growth cover the run.
  auto earlier = TakeEarlierSample(**session, io.warn);
  if (!earlier) return earlier.TakeError();
  const std::string label = "lab " + (*ns)->Id();
  const CheckupHook checkup = [&]() -> Status {
    SnapshotOptions snapshot_options;
    snapshot_options.netns_label = label;  // no sysctl files: they are the host's
    auto snapshot = TakeSnapshot(**session, io.owners, &*earlier, snapshot_options, io.warn);
    if (!snapshot) return snapshot.TakeError();
    report.netns = snapshot->netns_label;
    report.interval_seconds = snapshot->interval_seconds;
    report.states = snapshot->states;
    report.findings = RunDoctor(*snapshot, DoctorSettings{});
    report.rules_checked = AllRules().size();
    return Ok{};
  };
  return RunScenario(scenario, params, **ns, checkup, io.warn);
}

Status RunLab(const LabOptions& opts, const GlobalOptions& options, CommandIo& io) {
  if (Status applies = RejectOtherTargets(options); !applies) return applies;
  if (opts.list) {
    if (!opts.scenario.empty() || !opts.given.empty()) {
      return Usage("--list takes no scenario or options", "lab", "drop them, or drop --list");
    }
    io.out << (options.json ? LabListJson(ScenarioInfos()).dump(2) + "\n"
                            : LabListText(ScenarioInfos()));
    return Ok{};
  }
  if (opts.scenario.empty()) {
    return Usage("which scenario?", "lab", "`tcpdoctor lab --list` shows them");
  }
  const Scenario* scenario = FindScenario(opts.scenario);
  if (scenario == nullptr) {
    return Usage(
        "unknown scenario '" + opts.scenario + "'" + DidYouMean(opts.scenario, ScenarioNames()),
        "lab", "`tcpdoctor lab --list` shows them");
  }
  auto params = ResolveParams(*scenario, opts.given);
  if (!params) return params.TakeError();
  if (::geteuid() != 0) {
    return Error{ErrorCode::kPermission, "lab needs root to create a private network namespace", 0,
                 "lab " + scenario->info.name, "run it with sudo"};
  }
  const InterruptScope interrupts;  // Ctrl-C: the run stops at its next check and cleans up
  CheckupReport report;
  auto outcome = RunInNewNamespace(*scenario, *params, io, report);
  if (!outcome) return outcome.TakeError();
  MarkFound(*outcome, report.findings);
  io.out << (options.json ? LabJson(*outcome, report).dump(2) + "\n" : LabText(*outcome, report));
  return Ok{};
}

}  // namespace

Command LabCommand() {
  return Command{
      "lab",
      "Reproduce a problem for real in a private network namespace on loopback (TIME_WAIT, "
      "CLOSE_WAIT, full listen queues, port exhaustion ...), show what the kernel did, and run "
      "the checkup on it (root)",
      "  tcpdoctor lab --list                        # the scenarios and their options\n"
      "  sudo tcpdoctor lab time-wait-client         # who gets TIME_WAIT? the side that closes "
      "first\n"
      "  sudo tcpdoctor lab time-wait-server --connections 1500 --rate 500\n"
      "  sudo tcpdoctor lab backlog-overflow --rate 10   # a server that accepts 10 a second\n"
      "  sudo tcpdoctor lab time-wait-client --json  # what was observed, and the findings",
      [](CLI::App& sub) {
        auto opts = std::make_shared<LabOptions>();
        sub.add_option("scenario", opts->scenario, "The scenario to run (see --list)");
        sub.add_flag("--list", opts->list, "List the scenarios, their options and bounds");
        for (std::string_view option : {kConnections, kRate, kDuration}) {
          const std::string name(option);
          sub.add_option_function<std::string>(
              "--" + name, [opts, name](const std::string& v) { opts->given[name] = v; },
              name == kConnections ? "How many connections the scenario makes (see --list)"
              : name == kRate      ? "How many a second (see --list)"
                                   : "How long, in seconds (see --list)");
        }
        return [opts](const GlobalOptions& options, CommandIo& io) {
          return RunLab(*opts, options, io);
        };
      },
      /*sums_namespaces=*/true,  // --all-netns is refused, not run once per namespace
      /*nagios_exit_codes=*/false};
}

}  // namespace tcpdoctor
