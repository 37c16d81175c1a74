#include "analyze/state_counts.h"
#include "cli/commands.h"
#include "cli/netns_targets.h"
#include "cli/session.h"
#include "present/netns_view.h"
#include "present/states_view.h"

namespace tcpdoctor {
namespace {

Result<StateCounts> CountStates(const GlobalOptions& options, CommandIo& io) {
  StateCounts counts;
  auto session = Session::Open(options, io);
  if (!session) return session.TakeError();
  auto read = (*session)->ReadSockets(
      kAllStates, [&](const SocketRecord& r) { counts.Add(r); }, [&] { counts.Reset(); });
  if (!read) return read.TakeError();
  return counts;
}

Status RunStates(bool all_states, const GlobalOptions& options, CommandIo& io) {
  auto targets = ResolveTargets(options, io);
  if (!targets) return targets.TakeError();
  std::vector<NamespaceStates> namespaces;
  nlohmann::ordered_json namespaces_json = nlohmann::ordered_json::array();
  StateCounts total;
  Status status =
      ForEachTarget(*targets, options, io, [&](const NetnsTarget& t, const GlobalOptions& here) {
        auto counts = CountStates(here, io);
        if (!counts) return Status(counts.TakeError());
        total.Merge(*counts);
        nlohmann::ordered_json one = {{"netns", NetnsJson(t.label, t.entry)}};
        one.update(StatesJson(*counts));
        namespaces_json.push_back(std::move(one));
        namespaces.push_back({t.label, *counts});
        return Status(Ok{});
      });
  if (!status) return status;
  if (options.json) {
    nlohmann::ordered_json out = StatesJson(total);
    if (options.all_netns) out["namespaces"] = std::move(namespaces_json);
    io.out << out.dump(2) << "\n";
  } else if (options.all_netns) {
    io.out << StatesByNetnsText(namespaces, total, all_states);
  } else {
    io.out << StatesText(total, all_states);
  }
  return Ok{};
}

}  // namespace

Command StatesCommand() {
  return Command{
      "states", "Count TCP sockets in each state (IPv4 and IPv6), in RFC order, with the total",
      "  tcpdoctor states\n"
      "  tcpdoctor states --all-states -6\n"
      "  tcpdoctor states --port 443 --json\n"
      "  tcpdoctor states --netns blue\n"
      "  tcpdoctor states --all-netns              # one row per namespace, and the sum\n"
      "  tcpdoctor states --comm nginx             # the sockets nginx processes hold",
      [](CLI::App& sub) {
        auto all_states = std::make_shared<bool>(false);
        sub.add_flag("--all-states", *all_states, "Show states with a zero count too");
        return [all_states](const GlobalOptions& options, CommandIo& io) -> Status {
          return RunStates(*all_states, options, io);
        };
      },
      /*sums_namespaces=*/true};
}

}  // namespace tcpdoctor
