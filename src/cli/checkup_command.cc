// `tcpdoctor checkup` (and `tcpdoctor` alone): one snapshot of the namespace, every rule, the
// findings most severe first, and a Nagios exit code.
#include <cerrno>
#include <fstream>
#include <iterator>

#include "analyze/doctor.h"
#include "cli/checkup_snapshot.h"
#include "cli/commands.h"
#include "cli/interval.h"
#include "cli/session.h"
#include "present/checkup_view.h"

namespace tcpdoctor {
namespace {

struct CheckupOptions {
  std::string interval = "1";
  std::vector<std::string> sets;
  std::string config_path;
  bool list_rules = false;
  bool all = false;         // every finding in full, in text
  std::string sysctl_root;  // hidden: where /etc/sysctl.d etc. are read from ("" = "/")
};

Result<DoctorSettings> BuildSettings(const CheckupOptions& opts) {
  DoctorSettings settings;
  if (!opts.config_path.empty()) {
    std::ifstream in(opts.config_path);
    if (!in) {
      const int err = errno;
      return Error{err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kPermission,
                   "cannot read " + opts.config_path, err, "--config",
                   "give a readable file of RULE.KEY=VALUE lines"};
    }
    const std::string text(std::istreambuf_iterator<char>(in), {});
    if (auto loaded = settings.Load(text, opts.config_path); !loaded) return loaded.TakeError();
  }
  for (const std::string& s : opts.sets) {
    if (auto set = settings.Set(s); !set) return set.TakeError();
  }
  return settings;
}

Result<Snapshot> TakeCheckupSnapshot(const CheckupOptions& opts, std::optional<double> interval,
                                     const GlobalOptions& options, CommandIo& io) {
  auto opened = Session::Open(options, io);
  if (!opened) return opened.TakeError();
  Session& session = **opened;
  SnapshotOptions snapshot_options;
  snapshot_options.netns_label = options.netns_given ? options.netns : "current";
  // The sysctl files apply to the host's namespace at boot: audited for the current namespace
  // only (or where --sysctl-root says).
  if (!opts.sysctl_root.empty()) {
    snapshot_options.sysctl_root = opts.sysctl_root;
  } else if (!options.netns_given && !options.all_netns) {
    snapshot_options.sysctl_root = "/";
  }
  std::optional<EarlierSample> earlier;
  if (interval) {
    auto sample = TakeEarlierSample(session, io.warn);
    if (!sample) return sample.TakeError();
    earlier = std::move(*sample);
    SleepSeconds(*interval);
  }
  return TakeSnapshot(session, io.owners, earlier ? &*earlier : nullptr, snapshot_options, io.warn);
}

Status RunCheckup(const CheckupOptions& opts, const GlobalOptions& options, CommandIo& io) {
  if (opts.list_rules) {
    io.out << (options.json ? RulesJson(AllRules()).dump(2) + "\n" : RulesText(AllRules()));
    return Ok{};
  }
  if (auto applies = RejectSocketFilters(options, "checkup"); !applies) return applies;
  std::optional<double> interval;
  if (opts.interval != "0") {
    auto parsed = ParseInterval(opts.interval);
    if (!parsed) return parsed.TakeError();
    interval = *parsed;
  }
  auto settings = BuildSettings(opts);
  if (!settings) return settings.TakeError();
  auto snapshot = TakeCheckupSnapshot(opts, interval, options, io);
  if (!snapshot) return snapshot.TakeError();

  CheckupReport report;
  report.netns = snapshot->netns_label;
  report.interval_seconds = snapshot->interval_seconds;
  report.states = snapshot->states;
  report.findings = RunDoctor(*snapshot, *settings);
  report.rules_checked = AllRules().size();
  if (opts.all) report.shown_per_rule = 0;
  io.out << (options.json ? CheckupJson(report).dump(2) + "\n" : CheckupText(report));

  const auto worst = WorstSeverity(report.findings);
  const int code = !worst || *worst == Severity::kInfo ? kCheckupOk
                   : *worst == Severity::kWarning      ? kCheckupWarning
                                                       : kCheckupCritical;
  io.exit_code = std::max(io.exit_code, code);
  return Ok{};
}

}  // namespace

Command CheckupCommand() {
  return Command{
      "checkup",
      "Is this host's TCP healthy? State summary, then findings with evidence, why and fix "
      "(the default command). Exit 0 ok, 1 warning, 2 critical, 3 could not check",
      "  tcpdoctor                                  # the same as tcpdoctor checkup\n"
      "  tcpdoctor checkup -i 5                     # sample the counters over 5 s\n"
      "  tcpdoctor checkup --set close-wait-leak.min_sockets=50\n"
      "  tcpdoctor checkup --list-rules             # rules and their thresholds\n"
      "  tcpdoctor checkup --netns pid:1234 --json  # a container's namespace, for programs",
      [](CLI::App& sub) {
        auto opts = std::make_shared<CheckupOptions>();
        sub.add_option("-i,--interval", opts->interval,
                       "Sample the counters SECONDS apart, for rates and growth (default 1; 0: "
                       "one sample, no rates)");
        sub.add_option("--set", opts->sets,
                       "Override a rule threshold: RULE.KEY=VALUE (may repeat; see --list-rules)");
        sub.add_option("--config", opts->config_path,
                       "Read threshold overrides from FILE: one RULE.KEY=VALUE per line");
        sub.add_flag("--list-rules", opts->list_rules, "List the rules and their thresholds");
        sub.add_flag("--all", opts->all,
                     "Show every finding in full (by default 3 per rule and severity, then a "
                     "count)");
        sub.add_option("--sysctl-root", opts->sysctl_root,
                       "Read /etc/sysctl.d and friends under DIR")
            ->group("");
        return [opts](const GlobalOptions& options, CommandIo& io) {
          return RunCheckup(*opts, options, io);
        };
      },
      /*sums_namespaces=*/false,
      /*nagios_exit_codes=*/true};
}

}  // namespace tcpdoctor
