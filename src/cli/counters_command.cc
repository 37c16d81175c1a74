#include <unistd.h>

#include "analyze/counter_report.h"
#include "cli/commands.h"
#include "cli/interval.h"
#include "cli/session.h"
#include "collect/proc_net_counters.h"
#include "present/counters_view.h"

namespace tcpdoctor {
namespace {

struct CountersOptions {
  std::string interval;
  bool all = false;
  std::vector<std::string> names;
};

Status RunCounters(const CountersOptions& opts, const GlobalOptions& options, CommandIo& io) {
  auto interval = ParseInterval(opts.interval);
  if (!interval) return interval.TakeError();
  Status applies = RejectSocketFilters(options, "counters");
  if (!applies) return applies;
  auto session = Session::Open(options, io);
  if (!session) return session.TakeError();
  const ProcFs& proc = (*session)->proc();

  auto first = ReadKernelCounters(proc);
  if (!first) return first.TakeError();
  for (const std::string& missing : first->missing_files()) {
    io.warn(missing + " is missing: its counters are not shown");
  }
  const CounterSelection selection{opts.all, opts.names};
  if (auto valid = ValidateCounterSelection(selection, *first); !valid) return valid.TakeError();

  std::optional<KernelCounters> second;
  if (*interval) {
    SleepSeconds(**interval);
    auto again = ReadKernelCounters(proc);
    if (!again) return again.TakeError();
    second = std::move(*again);
  }
  auto sockstat = ReadSockstat(proc);
  if (!sockstat) return sockstat.TakeError();

  const auto rows =
      BuildCounterRows(selection, *first, second ? &*second : nullptr, interval->value_or(0));
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (options.json) {
    io.out << CountersJson(rows, *interval, *sockstat, page_size).dump(2) << "\n";
  } else {
    io.out << CountersText(rows, *interval, *sockstat, page_size);
  }
  return Ok{};
}

}  // namespace

Command CountersCommand() {
  return Command{
      "counters",
      "Kernel TCP counters that matter here (listen overflows, SYN drops, time-wait overflow, "
      "aborts, resets), with deltas and rates over -i",
      "  tcpdoctor counters                       # the important ones, absolute values\n"
      "  tcpdoctor counters -i 5                  # and their change and rate over 5 s\n"
      "  tcpdoctor counters ListenOverflows ListenDrops -i 1\n"
      "  tcpdoctor counters --all --json          # every counter in /proc/net/{netstat,snmp}",
      [](CLI::App& sub) {
        auto opts = std::make_shared<CountersOptions>();
        sub.add_option("-i,--interval", opts->interval,
                       "Sample twice, SECONDS apart, and show deltas and rates");
        sub.add_flag("--all", opts->all, "Every counter, not only the important ones");
        sub.add_option("names", opts->names,
                       "Only these counters (ListenOverflows or TcpExt.ListenOverflows)");
        return [opts](const GlobalOptions& options, CommandIo& io) {
          return RunCounters(*opts, options, io);
        };
      }};
}

}  // namespace tcpdoctor
