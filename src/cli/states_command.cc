#include "analyze/state_counts.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "present/states_view.h"

namespace tcpdoctor {

Command StatesCommand() {
  return Command{
      "states", "Count TCP sockets in each state (IPv4 and IPv6), in RFC order, with the total",
      "  tcpdoctor states\n"
      "  tcpdoctor states --all-states -6\n"
      "  tcpdoctor states --port 443 --json\n"
      "  tcpdoctor states --netns blue",
      [](CLI::App& sub) {
        auto all_states = std::make_shared<bool>(false);
        sub.add_flag("--all-states", *all_states, "Show states with a zero count too");
        return [all_states](const GlobalOptions& options, CommandIo& io) -> Status {
          StateCounts counts;
          auto session = Session::Open(options, io);
          if (!session) return session.TakeError();
          auto read = (*session)->ReadSockets(
              kAllStates, [&](const SocketRecord& r) { counts.Add(r); }, [&] { counts.Reset(); });
          if (!read) return read.TakeError();
          if (options.json) {
            io.out << StatesJson(counts).dump(2) << "\n";
          } else {
            io.out << StatesText(counts, *all_states);
          }
          return Ok{};
        };
      }};
}

}  // namespace tcpdoctor
