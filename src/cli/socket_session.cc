#include "cli/socket_session.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>

#include "collect/auto_source.h"
#include "collect/collect_sockets.h"
#include "collect/replay_source.h"
#include "core/netns.h"

namespace tcpdoctor {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<DumpStats> ReadSockets(const GlobalOptions& options, CommandIo& io, const RecordSink& sink,
                              const std::function<void()>& restart) {
  auto filter = BuildFilter(options);
  if (!filter) return filter.TakeError();

  std::optional<NetnsGuard> netns;
  if (!options.netns.empty()) {
    auto path = ResolveNetnsPath(options.netns);
    if (!path) return path.TakeError();
    auto entered = NetnsGuard::Enter(*path);
    if (!entered) return entered.TakeError();
    netns.emplace(std::move(*entered));
  }

  const ProcFs proc(options.proc_root);
  std::unique_ptr<SocketSource> source;
  std::unique_ptr<std::FILE, FileCloser> record;
  if (!options.replay_path.empty()) {
    source = std::make_unique<ReplaySource>(options.replay_path);
  } else if (options.source == "proc") {
    source = std::make_unique<ProcNetTcpSource>(proc);
  } else {
    auto live = std::make_unique<AutoSource>(proc, io.warn);
    if (!options.record_path.empty()) {
      record.reset(std::fopen(options.record_path.c_str(), "wb"));
      if (!record) return Error::FromErrno(errno, "cannot create", options.record_path);
      live->RecordTo(record.get());
    }
    source = std::move(live);
  }
  return CollectSockets(*source, *filter, sink, restart, io.warn);
}

}  // namespace tcpdoctor
