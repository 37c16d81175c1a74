// `tcpdoctor checkup` (and `tcpdoctor` alone): one snapshot of the namespace, every rule, the
// findings most severe first, and a Nagios exit code.
#include <linux/inet_diag.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>

#include "analyze/doctor.h"
#include "analyze/snapshot_builder.h"
#include "cli/commands.h"
#include "cli/interval.h"
#include "cli/session.h"
#include "collect/proc_net_counters.h"
#include "collect/sysctl_config.h"
#include "collect/sysctl_reader.h"
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

constexpr uint8_t kTcpInfo = 1 << (INET_DIAG_INFO - 1);

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

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

// The inodes of the CLOSE_WAIT sockets now: the earlier sample, to tell growth from old ones.
Result<std::vector<uint64_t>> CloseWaitInodes(Session& session) {
  std::vector<uint64_t> inodes;
  auto read = session.ReadAllSockets(
      StateBit(TcpState::kCloseWait), [&](const SocketRecord& r) { inodes.push_back(r.inode); },
      [&] { inodes.clear(); });
  if (!read) return read.TakeError();
  return inodes;
}

// The sysctl files and whether this kernel has each key. They apply to the host's namespace at
// boot, so they are audited for the current namespace only (or when --sysctl-root says where).
Status ReadConfiguredSysctls(const CheckupOptions& opts, const GlobalOptions& options,
                             const ProcFs& proc, CommandIo& io, Snapshot& snapshot) {
  if (opts.sysctl_root.empty() && (options.netns_given || options.all_netns)) return Ok{};
  auto config = ReadSysctlConfig(opts.sysctl_root.empty() ? "/" : opts.sysctl_root);
  if (!config) {
    io.warn(config.error().ToString() + "; sysctl files not audited");
    return Ok{};
  }
  for (const std::string& problem : config->problems) io.warn(problem);
  for (SysctlSetting& s : config->settings) {
    const bool exists = KeyExists(proc, s.key);
    snapshot.sysctl_config.push_back({std::move(s), exists});
  }
  return Ok{};
}

Result<Snapshot> TakeSnapshot(const CheckupOptions& opts, std::optional<double> interval,
                              const GlobalOptions& options, CommandIo& io) {
  auto opened = Session::Open(options, io);
  if (!opened) return opened.TakeError();
  Session& session = **opened;
  Snapshot snapshot;
  snapshot.netns_label = options.netns_given ? options.netns : "current";
  snapshot.page_size = ::sysconf(_SC_PAGESIZE);

  auto sysctls = ReadSysctls(session.proc());
  if (!sysctls) return sysctls.TakeError();
  snapshot.sysctls = std::move(*sysctls);
  auto earlier = ReadKernelCounters(session.proc());
  if (!earlier) return earlier.TakeError();
  for (const std::string& missing : earlier->missing_files()) {
    io.warn(missing + " is missing: rules that need its counters cannot fire");
  }

  std::vector<uint64_t> earlier_close_wait;
  if (interval) {
    const auto start = std::chrono::steady_clock::now();
    auto inodes = CloseWaitInodes(session);
    if (!inodes) return inodes.TakeError();
    earlier_close_wait = std::move(*inodes);
    SleepSeconds(*interval);
    auto later = ReadKernelCounters(session.proc());
    if (!later) return later.TakeError();
    snapshot.interval_seconds = SecondsSince(start);
    snapshot.deltas = later->Delta(*earlier);
    snapshot.counters = std::move(*later);
  } else {
    snapshot.counters = std::move(*earlier);
  }

  // The owner scan runs while the kernel dumps the sockets.
  io.owners.Prefetch();
  auto listening = session.ListeningPorts();
  if (!listening) return listening.TakeError();
  SnapshotBuilder builder(PortBudgetSettings::From(snapshot.sysctls), std::move(*listening),
                          session.backlog_known());
  if (interval) builder.SetEarlierCloseWait(std::move(earlier_close_wait));
  auto read = session.ReadAllSockets(
      kAllStates, [&](const SocketRecord& r) { builder.Add(r); }, [&] { builder.Reset(); },
      kTcpInfo);
  if (!read) return read.TakeError();
  auto sockstat = ReadSockstat(session.proc());
  if (!sockstat) return sockstat.TakeError();
  snapshot.sockstat = std::move(*sockstat);

  auto owners = io.owners.Get();
  if (!owners) {
    io.warn(owners.error().ToString() + "; rules about processes are skipped");
  }
  builder.Finish(
      owners ? *owners : nullptr,
      [&io](uint32_t index) -> const ProcessInfo& { return io.owners.Details(index); }, snapshot);
  if (auto config = ReadConfiguredSysctls(opts, options, session.proc(), io, snapshot); !config) {
    return config.TakeError();
  }
  return snapshot;
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
  auto snapshot = TakeSnapshot(opts, interval, options, io);
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
