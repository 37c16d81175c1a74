#include "analyze/owner_groups.h"
#include "analyze/socket_owner.h"
#include "analyze/top_groups.h"
#include "cli/commands.h"
#include "cli/netns_targets.h"
#include "cli/owned_dump.h"
#include "cli/session.h"
#include "core/suggest.h"
#include "present/top_view.h"

namespace tcpdoctor {
namespace {

struct TopOptions {
  std::string by;
  int limit = 10;
};

Result<GroupBy> ParseKey(const std::string& text) {
  const auto by = ParseGroupBy(text);
  if (by) return *by;
  std::string choices;
  for (std::string_view name : kGroupByNames) {
    choices += (choices.empty() ? "" : ", ") + std::string(name);
  }
  const std::vector<std::string> names(kGroupByNames.begin(), kGroupByNames.end());
  return Error{ErrorCode::kInvalidArgument, "unknown key '" + text + "'" + DidYouMean(text, names),
               0, "--by", "one of " + choices};
}

Status RunTop(const TopOptions& opts, const GlobalOptions& options, CommandIo& io) {
  auto by = ParseKey(opts.by);
  if (!by) return by.TakeError();
  if (opts.limit < 1) {
    return Error{ErrorCode::kInvalidArgument, "-n must be at least 1", 0, "-n", {}};
  }
  auto targets = ResolveTargets(options, io);
  if (!targets) return targets.TakeError();
  const SocketOwners* owners = nullptr;

  TopGroups top(*by);
  std::vector<std::string> labels;  // --by netns: the namespace of each index
  Status status =
      ForEachTarget(*targets, options, io, [&](const NetnsTarget& t, const GlobalOptions& here) {
        auto session = Session::Open(here, io);
        if (!session) return Status(session.TakeError());
        // With several namespaces, one table each, so that a dump taken again starts only its
        // namespace over; with one, no copy to merge.
        TopGroups own_table(*by);
        TopGroups& here_top = targets->size() == 1 ? top : own_table;
        if (*by == GroupBy::kProcess) {
          auto dump = OwnedDump::Take(**session, io.owners);
          if (!dump) return Status(dump.TakeError());
          owners = &dump->owners();
          dump->ForEach([&](const SocketRecord& r) { here_top.Add(r, OwnerOf(r, *owners).Key()); });
        } else {
          const uint64_t netns_index = labels.size();
          auto read = (*session)->ReadSockets(
              kAllStates, [&](const SocketRecord& r) { here_top.Add(r, netns_index); },
              [&] { here_top.Reset(); });
          if (!read) return Status(read.TakeError());
        }
        if (&here_top != &top) top.Merge(here_top);
        labels.push_back(t.label);
        return Status(Ok{});
      });
  if (!status) return status;

  TopGroupsResult result = top.Take(static_cast<size_t>(opts.limit));
  if (owners != nullptr) {
    for (const Group& g : result.groups) {  // details (user, container) only for those shown
      if (const auto index = owners->IndexOfPid(static_cast<int64_t>(g.fields.context))) {
        io.owners.Details(*index);
      }
    }
    NameOwnerGroups(result, *owners);
  } else if (*by == GroupBy::kNetns) {
    for (Group& g : result.groups) g.key = labels.at(g.fields.context);
  }
  if (options.json) {
    io.out << TopJson(result).dump(2) << "\n";
  } else {
    io.out << TopText(result);
  }
  return Ok{};
}

}  // namespace

Command TopCommand() {
  return Command{
      "top",
      "The largest groups of sockets by port, address, peer, destination, state, process or "
      "namespace",
      "  tcpdoctor top --by lport\n"
      "  tcpdoctor top --by laddr --state time-wait -n 3   # netstat -nat | grep TIME_WAIT | ...\n"
      "  tcpdoctor top --by peer --state close-wait\n"
      "  tcpdoctor top --by process --state close-wait    # who leaks CLOSE_WAIT\n"
      "  tcpdoctor top --by netns --all-netns             # which container has the sockets\n"
      "  tcpdoctor top --by dst --addr 10.0.0.0/8 --json\n"
      "  keys: lport, laddr (address:port), raddr, rport, peer (raddr:rport),\n"
      "        dst (local address -> remote address:port), state,\n"
      "        process (the lowest pid holding the socket; TIME_WAIT, request sockets and\n"
      "        orphans have none and are grouped by that reason), netns",
      [](CLI::App& sub) {
        auto opts = std::make_shared<TopOptions>();
        sub.add_option("--by", opts->by,
                       "Group by: lport, laddr, raddr, rport, peer, dst, state, process, netns")
            ->required();
        sub.add_option("-n,--limit", opts->limit, "How many groups to show (default 10)");
        return [opts](const GlobalOptions& options, CommandIo& io) {
          return RunTop(*opts, options, io);
        };
      },
      /*sums_namespaces=*/true};
}

}  // namespace tcpdoctor
