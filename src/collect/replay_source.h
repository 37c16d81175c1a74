// Feeds recorded sock_diag reply bytes (from --record FILE) back through the same parser as
// the live dump, so the parser is tested on real kernel output without a kernel.
#pragma once

#include <string>

#include "collect/socket_source.h"

namespace tcpdoctor {

class ReplaySource : public SocketSource {
 public:
  // The file holds one or more dumps (each ended by NLMSG_DONE), as NetlinkSource::RecordTo
  // wrote them. Each Dump() reads the whole file and passes on the records that match the
  // query, so the order of queries need not match the recording.
  explicit ReplaySource(std::string path) : path_(std::move(path)) {}

  Result<DumpStats> Dump(const DumpQuery& query, const RecordSink& sink) override;
  std::string_view Name() const override { return "replay"; }

 private:
  std::string path_;
};

}  // namespace tcpdoctor
