// The live source: a NETLINK_SOCK_DIAG dump through libmnl.
#pragma once

#include <cstdio>
#include <memory>

#include "collect/socket_source.h"

struct mnl_socket;

namespace tcpdoctor {

class NetlinkSource : public SocketSource {
 public:
  // Opens and binds the netlink socket in the current network namespace. Fails with
  // kUnsupported when the kernel has no sock_diag (the caller may fall back to /proc).
  static Result<std::unique_ptr<NetlinkSource>> Open();
  ~NetlinkSource() override;

  // Appends every received buffer, as is, to `file` (the --record debug flag). Not owned.
  void RecordTo(std::FILE* file) { record_to_ = file; }

  Result<DumpStats> Dump(const DumpQuery& query, const RecordSink& sink) override;
  std::string_view Name() const override { return "netlink"; }

 private:
  explicit NetlinkSource(mnl_socket* socket);
  mnl_socket* socket_;
  uint32_t next_seq_;
  std::FILE* record_to_ = nullptr;
};

}  // namespace tcpdoctor
