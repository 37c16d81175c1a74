#include "analyze/process_sockets.h"
#include "cli/commands.h"
#include "cli/netns_targets.h"
#include "cli/owned_dump.h"
#include "cli/session.h"
#include "collect/sysctl_reader.h"
#include "present/procs_view.h"

namespace tcpdoctor {
namespace {

Status RunProcs(int limit, const GlobalOptions& options, CommandIo& io) {
  if (limit < 0)
    return Error{ErrorCode::kInvalidArgument, "-n must be 0 (all) or more", 0, "-n", {}};
  auto targets = ResolveTargets(options, io);
  if (!targets) return targets.TakeError();
  const SocketOwners* owners = nullptr;
  ProcsReport report;
  report.show_netns = options.all_netns;
  std::vector<std::string> labels;
  std::vector<ProcessRow> rows;
  Status status =
      ForEachTarget(*targets, options, io, [&](const NetnsTarget& t, const GlobalOptions& here) {
        auto session = Session::Open(here, io);
        if (!session) return Status(session.TakeError());
        if (!report.file_nr) {  // fs.* are not per namespace: read them once
          auto sysctls = ReadSysctls((*session)->proc());
          if (!sysctls) return Status(sysctls.TakeError());
          report.file_nr = sysctls->file_nr;
          report.nr_open = sysctls->nr_open;
        }
        auto dump = OwnedDump::Take(**session, io.owners);
        if (!dump) return Status(dump.TakeError());
        owners = &dump->owners();
        report.unreadable = owners->unreadable;
        ProcessSocketTable table(*owners);
        dump->ForEach([&](const SocketRecord& r) { table.Add(r); });
        ProcessSockets sockets = table.Take();
        for (ProcessRow& row : sockets.rows) {
          row.netns = static_cast<uint32_t>(labels.size());
          rows.push_back(row);
        }
        for (int i = 0; i < kNoOwnerCount; ++i) report.no_owner[i] += sockets.no_owner[i];
        report.total += sockets.total;
        labels.push_back(t.label);
        return Status(Ok{});
      });
  if (!status) return status;

  // Ranking needs the limits, so details are read for every process that holds a socket.
  for (const ProcessRow& row : rows) io.owners.Details(row.process);
  if (owners != nullptr) SortByRisk(rows, *owners);
  const size_t shown = limit == 0 ? rows.size() : std::min(rows.size(), size_t(limit));
  for (size_t i = 0; i < shown; ++i) {
    report.rows.push_back(
        {labels[rows[i].netns], &owners->processes()[rows[i].process], rows[i].states});
  }
  if (options.json) {
    io.out << ProcsJson(report).dump(2) << "\n";
  } else {
    io.out << ProcsText(report);
  }
  return Ok{};
}

}  // namespace

Command ProcsCommand() {
  return Command{
      "procs",
      "Each process holding TCP sockets: sockets by state, open fds against its nofile limit, "
      "riskiest first",
      "  tcpdoctor procs\n"
      "  tcpdoctor procs --state close-wait       # who holds CLOSE_WAIT, and how many fds left\n"
      "  tcpdoctor procs --all-netns --json       # every container's processes\n"
      "  order: >= 80 % of the soft nofile limit, then holding CLOSE_WAIT, then the rest;\n"
      "  within each, by fd use, CLOSE_WAIT and sockets",
      [](CLI::App& sub) {
        auto limit = std::make_shared<int>(0);
        sub.add_option("-n,--limit", *limit, "How many processes to show (default 0: all)");
        return [limit](const GlobalOptions& options, CommandIo& io) {
          return RunProcs(*limit, options, io);
        };
      },
      /*sums_namespaces=*/true};
}

}  // namespace tcpdoctor
