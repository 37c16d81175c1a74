// The slow path: /proc/net/tcp and /proc/net/tcp6, for kernels without sock_diag.
#pragma once

#include <optional>
#include <string_view>

#include "collect/socket_source.h"
#include "core/proc_fs.h"

namespace tcpdoctor {

// One line of /proc/net/tcp{,6}. The header line gives nullopt; a line that does not have the
// expected fields is a kParse error. Limits of the format: no socket cookie, and for LISTEN
// sockets only the accept queue's length (its maximum is not shown, so send_queue is 0).
Result<std::optional<SocketRecord>> ParseProcNetTcpLine(std::string_view line, Family family);

class ProcNetTcpSource : public SocketSource {
 public:
  explicit ProcNetTcpSource(const ProcFs& proc) : proc_(proc) {}
  Result<DumpStats> Dump(const DumpQuery& query, const RecordSink& sink) override;
  std::string_view Name() const override { return "proc"; }

 private:
  const ProcFs& proc_;
};

}  // namespace tcpdoctor
