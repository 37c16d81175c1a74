#include "collect/auto_source.h"

namespace tcpdoctor {
namespace {

// Errors that mean "this kernel cannot answer sock_diag for TCP", as opposed to a failure of
// this particular dump: no NETLINK_SOCK_DIAG, or no tcp_diag module (ENOENT from the kernel).
bool MeansNoSockDiag(const Error& e) {
  return e.code == ErrorCode::kUnsupported || e.code == ErrorCode::kNotFound;
}

}  // namespace

AutoSource::AutoSource(const ProcFs& proc, WarningSink warn)
    : proc_source_(proc), warn_(std::move(warn)) {
  auto opened = NetlinkSource::Open();
  if (opened) {
    netlink_ = std::move(*opened);
  } else {
    FallBack(opened.error());
  }
}

void AutoSource::RecordTo(std::FILE* file) {
  if (netlink_) netlink_->RecordTo(file);
}

void AutoSource::FallBack(const Error& why) {
  netlink_.reset();
  if (warn_) {
    warn_("sock_diag unavailable (" + why.ToString() +
          "); reading /proc/net/tcp{,6} instead, which is slower and shows no accept-queue "
          "maximum (load the tcp_diag and inet_diag modules for the fast path)");
  }
}

Result<DumpStats> AutoSource::Dump(const DumpQuery& query, const RecordSink& sink) {
  if (netlink_) {
    auto result = netlink_->Dump(query, sink);
    if (result || !MeansNoSockDiag(result.error()) || result.error().sys_errno == 0) {
      return result;
    }
    FallBack(result.error());
  }
  return proc_source_.Dump(query, sink);
}

std::string_view AutoSource::Name() const { return netlink_ ? "netlink" : "proc"; }

}  // namespace tcpdoctor
