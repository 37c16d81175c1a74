#include <algorithm>

#include "analyze/listener_queues.h"
#include "cli/commands.h"
#include "cli/interval.h"
#include "cli/session.h"
#include "collect/proc_net_counters.h"
#include "collect/sysctl_reader.h"
#include "present/listeners_view.h"

namespace tcpdoctor {
namespace {

// How many times the queues are sampled over -i: often enough to catch a queue that fills
// for a moment, bounded so that a long interval does not mean thousands of dumps.
constexpr int kSamplesPerInterval = 10;

constexpr StateMask kListenAndRequests = StateBit(TcpState::kListen) | StateBit(TcpState::kSynRecv);

Result<std::vector<ListenerQueue>> SampleListeners(Session& session) {
  ListenerQueueBuilder builder(session.backlog_known());
  auto read = session.ReadSockets(
      kListenAndRequests, [&](const SocketRecord& r) { builder.Add(r); }, [&] { builder.Reset(); });
  if (!read) return read.TakeError();
  return builder.Take();
}

Status RunListeners(const std::string& interval_text, const GlobalOptions& options, CommandIo& io) {
  auto interval = ParseInterval(interval_text);
  if (!interval) return interval.TakeError();
  auto opened = Session::Open(options, io);
  if (!opened) return opened.TakeError();
  Session& session = **opened;

  auto sysctls = ReadSysctls(session.proc());
  if (!sysctls) return sysctls.TakeError();
  ListenDropSummary summary;
  summary.somaxconn = sysctls->somaxconn;
  summary.interval_seconds = *interval;

  auto before = ReadKernelCounters(session.proc());
  if (!before) return before.TakeError();
  io.owners.Prefetch();  // scanned while the first sample is dumped
  auto listeners = SampleListeners(session);
  if (!listeners) return listeners.TakeError();
  if (*interval) {
    const double step = **interval / kSamplesPerInterval;
    for (int i = 0; i < kSamplesPerInterval; ++i) {
      SleepSeconds(step);
      auto sample = SampleListeners(session);
      if (!sample) return sample.TakeError();
      MergeListenerSample(*listeners, *sample);
    }
  }
  auto after = ReadKernelCounters(session.proc());
  if (!after) return after.TakeError();
  auto owners = io.owners.Get();
  if (!owners) return owners.TakeError();
  AttributeListeners(*listeners, **owners);
  summary.listen_overflows = after->Get("TcpExt.ListenOverflows");
  summary.listen_drops = after->Get("TcpExt.ListenDrops");
  if (*interval) {
    const CounterDeltas deltas = after->Delta(*before);
    summary.listen_overflows_delta = deltas.Increase("TcpExt.ListenOverflows");
    summary.listen_drops_delta = deltas.Increase("TcpExt.ListenDrops");
  }
  if (options.json) {
    io.out << ListenersJson(*listeners, summary).dump(2) << "\n";
  } else {
    io.out << ListenersText(*listeners, summary);
  }
  return Ok{};
}

}  // namespace

Command ListenersCommand() {
  return Command{
      "listeners",
      "Each listening socket: accept queue now / backlog, fill, SYN_RECV, and the host's "
      "listen overflow and drop counters",
      "  tcpdoctor listeners\n"
      "  tcpdoctor listeners -i 5          # sample the queues 10 times over 5 s, with drop rates\n"
      "  tcpdoctor listeners --sport 8080 --json",
      [](CLI::App& sub) {
        auto interval = std::make_shared<std::string>();
        sub.add_option("-i,--interval", *interval,
                       "Sample the queues over SECONDS and show overflow/drop rates");
        return [interval](const GlobalOptions& options, CommandIo& io) {
          return RunListeners(*interval, options, io);
        };
      }};
}

}  // namespace tcpdoctor
