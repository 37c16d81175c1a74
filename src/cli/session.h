// What a command reads from: the target network namespace (entered for the session's whole
// life, so sockets, /proc/net counters and /proc/sys/net sysctls all come from it), the
// socket source the options ask for, and the user's filter.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <set>

#include "cli/command.h"
#include "collect/socket_source.h"
#include "core/netns.h"
#include "core/proc_fs.h"

namespace tcpdoctor {

class Session {
 public:
  // Validates the filter, enters --netns, and opens the source: live netlink with /proc
  // fallback, --replay FILE, or --source proc.
  static Result<std::unique_ptr<Session>> Open(const GlobalOptions& options, CommandIo& io);
  ~Session();

  const ProcFs& proc() const { return proc_; }
  const SocketFilter& filter() const { return filter_; }
  const OwnerFilter& owner_filter() const { return owner_filter_; }
  // False on the /proc path, which cannot see a listener's backlog.
  bool backlog_known() const;

  // Streams the sockets that match the user's filter (--pid/--comm included) and `states` to
  // `sink`; `restart` is
  // called if the dump has to be taken again (see CollectSockets).
  Result<DumpStats> ReadSockets(StateMask states, const RecordSink& sink,
                                const std::function<void()>& restart);
  // The same without the user's filter: for context a command needs whatever the user
  // selected. `extensions`: idiag_ext bits to ask for.
  Result<DumpStats> ReadAllSockets(StateMask states, const RecordSink& sink,
                                   const std::function<void()>& restart, uint8_t extensions = 0);
  // The ports with a LISTEN socket, whatever the user's filter: sockets on them are accepted
  // connections, not outgoing ones. Cheap: the kernel walks only its listening table.
  Result<std::set<uint16_t>> ListeningPorts();

 private:
  Session(const GlobalOptions& options, CommandIo& io, SocketFilter filter,
          OwnerFilter owner_filter);
  // The user's filter wrapped around `sink`, with --pid/--comm checked against the owner map.
  Result<RecordSink> FilteredSink(const RecordSink& sink);

  CommandIo& io_;
  SocketFilter filter_;
  OwnerFilter owner_filter_;
  std::optional<NetnsGuard> netns_;
  ProcFs proc_;
  std::unique_ptr<SocketSource> source_;
  std::FILE* record_ = nullptr;
};

}  // namespace tcpdoctor
