#include "cli/session.h"

#include <cerrno>

#include "collect/auto_source.h"
#include "collect/collect_sockets.h"
#include "collect/replay_source.h"

namespace tcpdoctor {

Session::Session(const GlobalOptions& options, CommandIo& io, SocketFilter filter)
    : io_(io), filter_(filter), proc_(options.proc_root) {}

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
  std::unique_ptr<Session> session(new Session(options, io, *filter));

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
  return CollectSockets(*source_, filter, sink, restart, io_.warn);
}

}  // namespace tcpdoctor

namespace tcpdoctor {

Result<DumpStats> Session::ReadAllSockets(StateMask states, const RecordSink& sink,
                                          const std::function<void()>& restart) {
  SocketFilter filter;
  filter.states = states;
  return CollectSockets(*source_, filter, sink, restart, io_.warn);
}

}  // namespace tcpdoctor
