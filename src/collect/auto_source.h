// The source a command uses: sock_diag when the kernel has it, /proc/net/tcp{,6} otherwise.
#pragma once

#include <memory>

#include "collect/netlink_source.h"
#include "collect/proc_net_tcp.h"
#include "core/warning_sink.h"

namespace tcpdoctor {

class AutoSource : public SocketSource {
 public:
  // Opens netlink now (in the current network namespace); if that fails because the kernel
  // lacks sock_diag, or the first dump is refused for that reason, switches to /proc for good
  // and says so once through `warn`.
  AutoSource(const ProcFs& proc, WarningSink warn);

  // For --record FILE: the raw netlink bytes go to `file` (ignored on the /proc path).
  void RecordTo(std::FILE* file);

  Result<DumpStats> Dump(const DumpQuery& query, const RecordSink& sink) override;
  std::string_view Name() const override;

 private:
  void FallBack(const Error& why);

  ProcNetTcpSource proc_source_;
  WarningSink warn_;
  std::unique_ptr<NetlinkSource> netlink_;
};

}  // namespace tcpdoctor
