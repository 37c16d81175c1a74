#include "cli/session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "collect/auto_source.h"
#include "collect/collect_sockets.h"
#include "collect/replay_source.h"
#include "core/suggest.h"

namespace tcpdoctor {

Session::Session(const GlobalOptions& options, CommandIo& io, SocketFilter filter,
                 OwnerFilter owner_filter)
    : io_(io), filter_(filter), owner_filter_(std::move(owner_filter)), proc_(options.proc_root) {}

Session::~Session() {
  source_.reset();
  if (record_ != nullptr) std::fclose(record_);
}

Result<std::unique_ptr<Session>> Session::Open(const GlobalOptions& options, CommandIo& io) {
  auto filter = BuildFilter(options);
  if (!filter) return filter.TakeError();
  if (!options.source.empty() && options.source != "netlink" && options.source != "proc") {
    return Error{ErrorCode::kInvalidArgument, "unknown source '" + options.source + "'", 0,
                 "--source", "netlink or proc"};
  }
  auto owner_filter = BuildOwnerFilter(options);
  if (!owner_filter) return owner_filter.TakeError();
  if (owner_filter->pid) {
    const std::string dir = ProcFs(options.proc_root).Path(std::to_string(*owner_filter->pid));
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      return Error{ErrorCode::kNotFound,
                   "no process " + options.pid + " (it does not exist or has exited)", 0, "--pid",
                   "find it with `pgrep NAME` or `tcpdoctor procs`"};
    }
  }
  std::unique_ptr<Session> session(new Session(options, io, *filter, std::move(*owner_filter)));

  if (options.netns_given) {
    auto path = ResolveNetnsPath(options.netns);
    if (!path) return path.TakeError();
    auto entered = NetnsGuard::Enter(*path);
    if (!entered) return entered.TakeError();
    session->netns_.emplace(std::move(*entered));
  }
  // Sources are opened inside the namespace: a netlink socket belongs to the namespace it
  // was created in.
  if (!options.replay_path.empty()) {
    session->source_ = std::make_unique<ReplaySource>(options.replay_path);
  } else if (options.source == "proc") {
    session->source_ = std::make_unique<ProcNetTcpSource>(session->proc_);
  } else {
    auto live = std::make_unique<AutoSource>(session->proc_, io.warn);
    if (!options.record_path.empty()) {
      session->record_ = std::fopen(options.record_path.c_str(), "wb");
      if (session->record_ == nullptr) {
        return Error::FromErrno(errno, "cannot create", options.record_path);
      }
      live->RecordTo(session->record_);
    }
    session->source_ = std::move(live);
  }
  return session;
}

bool Session::backlog_known() const { return source_->Name() != "proc"; }

Result<DumpStats> Session::ReadSockets(StateMask states, const RecordSink& sink,
                                       const std::function<void()>& restart) {
  SocketFilter filter = filter_;
  filter.states &= states;
  if (filter.states == 0) return DumpStats{};
  auto filtered = FilteredSink(sink);
  if (!filtered) return filtered.TakeError();
  return CollectSockets(*source_, filter, *filtered, restart, io_.warn);
}

Result<RecordSink> Session::FilteredSink(const RecordSink& sink) {
  if (!owner_filter_.active()) return sink;
  auto owners = io_.owners.Get();
  if (!owners) return owners.TakeError();
  const SocketOwners& map = **owners;
  std::vector<std::string> names;
  bool any = false;
  for (const ProcessInfo& p : map.processes()) {
    any = any || owner_filter_.Matches(p);
    names.push_back(p.comm);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (!any && owner_filter_.pid) {
    // It exists (checked at Open) but holds no socket we saw: say so if we could not look.
    const std::string fd_dir = proc_.Path(std::to_string(*owner_filter_.pid) + "/fd");
    if (::access(fd_dir.c_str(), R_OK) != 0 && (errno == EACCES || errno == EPERM)) {
      return Error{ErrorCode::kPermission,
                   "cannot read the open files of process " + std::to_string(*owner_filter_.pid),
                   EACCES, "--pid", "run as root or as the process's user"};
    }
  } else if (!any && owner_filter_.comm) {
    io_.warn("no process named '" + *owner_filter_.comm + "' holds a socket" +
             DidYouMean(*owner_filter_.comm, names));
  }
  return RecordSink([&map, this, sink](const SocketRecord& r) {
    if (owner_filter_.Matches(map.HoldersOf(r.inode), map)) sink(r);
  });
}

}  // namespace tcpdoctor

namespace tcpdoctor {

Result<DumpStats> Session::ReadAllSockets(StateMask states, const RecordSink& sink,
                                          const std::function<void()>& restart,
                                          uint8_t extensions) {
  SocketFilter filter;
  filter.states = states;
  return CollectSockets(*source_, filter, sink, restart, io_.warn, extensions);
}

Result<std::set<uint16_t>> Session::ListeningPorts() {
  std::set<uint16_t> ports;
  auto read = ReadAllSockets(
      StateBit(TcpState::kListen), [&](const SocketRecord& r) { ports.insert(r.local_port); },
      [&] { ports.clear(); });
  if (!read) return read.TakeError();
  return ports;
}

}  // namespace tcpdoctor
