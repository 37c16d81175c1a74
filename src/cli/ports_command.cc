#include <set>

#include "analyze/port_usage.h"
#include "cli/commands.h"
#include "cli/interval.h"
#include "cli/session.h"
#include "collect/sysctl_reader.h"
#include "present/ports_view.h"

namespace tcpdoctor {
namespace {

struct PortsOptions {
  std::string interval;
  int limit = 10;
};

constexpr StateMask kNotListening = kAllStates & ~StateBit(TcpState::kListen);

Result<std::vector<DestinationPorts>> SamplePorts(Session& session, PortUsageBuilder& builder) {
  builder.Reset();
  auto read = session.ReadSockets(
      kNotListening, [&](const SocketRecord& r) { builder.Add(r); }, [&] { builder.Reset(); });
  if (!read) return read.TakeError();
  return builder.Take();
}

Status RunPorts(const PortsOptions& opts, const GlobalOptions& options, CommandIo& io) {
  auto interval = ParseInterval(opts.interval);
  if (!interval) return interval.TakeError();
  if (opts.limit < 1)
    return Error{ErrorCode::kInvalidArgument, "-n must be at least 1", 0, "-n", {}};
  auto opened = Session::Open(options, io);
  if (!opened) return opened.TakeError();
  Session& session = **opened;

  auto sysctls = ReadSysctls(session.proc());
  if (!sysctls) return sysctls.TakeError();
  auto listening = session.ListeningPorts();
  if (!listening) return listening.TakeError();

  PortsReport report;
  report.settings = PortBudgetSettings::From(*sysctls);
  report.shown = static_cast<size_t>(opts.limit);
  report.interval_seconds = *interval;
  report.rate_window_seconds = interval->value_or(60);
  PortUsageBuilder builder(report.settings, *listening, report.rate_window_seconds);
  auto first = SamplePorts(session, builder);
  if (!first) return first.TakeError();
  if (*interval) {
    SleepSeconds(**interval);
    auto second = SamplePorts(session, builder);
    if (!second) return second.TakeError();
    AddGrowth(*second, *first, **interval);
    report.destinations = std::move(*second);
  } else {
    report.destinations = std::move(*first);
  }
  if (options.json) {
    io.out << PortsJson(report).dump(2) << "\n";
  } else {
    io.out << PortsText(report);
  }
  return Ok{};
}

}  // namespace

Command PortsCommand() {
  return Command{
      "ports",
      "Ephemeral port use per destination (local address -> remote address:port): in use, "
      "TIME_WAIT, % of the range, connection rate and headroom",
      "  tcpdoctor ports\n"
      "  tcpdoctor ports -i 5 -n 20        # measure growth over 5 s: when does the range run out\n"
      "  tcpdoctor ports --dport 5432 --json",
      [](CLI::App& sub) {
        auto opts = std::make_shared<PortsOptions>();
        sub.add_option("-i,--interval", opts->interval,
                       "Sample twice, SECONDS apart: growth and time until the range is used up");
        sub.add_option("-n,--limit", opts->limit, "How many destinations to show (default 10)");
        return [opts](const GlobalOptions& options, CommandIo& io) {
          return RunPorts(*opts, options, io);
        };
      }};
}

}  // namespace tcpdoctor
