#include "analyze/top_groups.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "core/suggest.h"
#include "present/top_view.h"

namespace tcpdoctor {

Command TopCommand() {
  return Command{
      "top", "The largest groups of sockets by port, address, peer, destination or state",
      "  tcpdoctor top --by lport\n"
      "  tcpdoctor top --by laddr --state time-wait -n 3   # netstat -nat | grep TIME_WAIT | ...\n"
      "  tcpdoctor top --by peer --state close-wait\n"
      "  tcpdoctor top --by dst --addr 10.0.0.0/8 --json\n"
      "  keys: lport, laddr (address:port), raddr, rport, peer (raddr:rport),\n"
      "        dst (local address -> remote address:port), state",
      [](CLI::App& sub) {
        struct Options {
          std::string by;
          int limit = 10;
        };
        auto opts = std::make_shared<Options>();
        sub.add_option("--by", opts->by, "Group by: lport, laddr, raddr, rport, peer, dst, state")
            ->required();
        sub.add_option("-n,--limit", opts->limit, "How many groups to show (default 10)");
        return [opts](const GlobalOptions& options, CommandIo& io) -> Status {
          const auto by = ParseGroupBy(opts->by);
          if (!by) {
            const std::vector<std::string> names(kGroupByNames.begin(), kGroupByNames.end());
            return Error{ErrorCode::kInvalidArgument,
                         "unknown key '" + opts->by + "'" + DidYouMean(opts->by, names), 0, "--by",
                         "one of lport, laddr, raddr, rport, peer, dst, state"};
          }
          if (opts->limit < 1) {
            return Error{ErrorCode::kInvalidArgument, "-n must be at least 1", 0, "-n", {}};
          }
          TopGroups top(*by);
          auto session = Session::Open(options, io);
          if (!session) return session.TakeError();
          auto read = (*session)->ReadSockets(
              kAllStates, [&](const SocketRecord& r) { top.Add(r); }, [&] { top.Reset(); });
          if (!read) return read.TakeError();
          const TopGroupsResult result = top.Take(static_cast<size_t>(opts->limit));
          if (options.json) {
            io.out << TopJson(result).dump(2) << "\n";
          } else {
            io.out << TopText(result);
          }
          return Ok{};
        };
      }};
}

}  // namespace tcpdoctor
