#include "collect/replay_source.h"

#include <linux/netlink.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "collect/diag_parser.h"

namespace tcpdoctor {
namespace {

constexpr uint32_t kMaxMessageBytes = 1 << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<DumpStats> ReplaySource::Dump(const DumpQuery& query, const RecordSink& sink) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path_.c_str(), "rb"));
  if (!file) return Error::FromErrno(errno, "cannot open recorded dump", path_);

  DumpStats total;
  DiagDumpState state;
  bool dump_started = false;
  const RecordSink filtered = [&](const SocketRecord& r) {
    if (MatchesQuery(query, r)) {
      ++total.records;
      sink(r);
    }
  };
  // Message by message: each header says how long the message is.
  std::vector<uint8_t> message;
  for (;;) {
    nlmsghdr header{};
    const size_t got = std::fread(&header, 1, sizeof header, file.get());
    if (got == 0) break;
    if (got < sizeof header || header.nlmsg_len < sizeof header) {
      return Error{ErrorCode::kParse, "truncated netlink header", 0, path_, {}};
    }
    // The kernel's dump messages are a few hundred bytes; a length past this is corruption
    // (and would overflow NLMSG_ALIGN near 4 GiB).
    if (header.nlmsg_len > kMaxMessageBytes) {
      return Error{
          ErrorCode::kParse,
          "netlink message length " + std::to_string(header.nlmsg_len) + " is not plausible",
          0,
          path_,
          {}};
    }
    message.resize(NLMSG_ALIGN(header.nlmsg_len));
    std::memcpy(message.data(), &header, sizeof header);
    const size_t body = header.nlmsg_len - sizeof header;
    if (std::fread(message.data() + sizeof header, 1, body, file.get()) != body) {
      return Error{ErrorCode::kParse, "truncated netlink message", 0, path_, {}};
    }
    message.resize(header.nlmsg_len);
    // A new dump starts after each NLMSG_DONE; its sequence number is whatever was recorded.
    if (!dump_started) {
      state = DiagDumpState{};
      state.seq = header.nlmsg_seq;
      dump_started = true;
    }
    if (auto parsed = ParseDiagBuffer(message, state, filtered); !parsed) {
      Error e = parsed.TakeError();
      e.context = path_;
      return e;
    }
    // Skip the padding between messages.
    const size_t pad = NLMSG_ALIGN(header.nlmsg_len) - header.nlmsg_len;
    if (pad > 0) std::fseek(file.get(), static_cast<long>(pad), SEEK_CUR);
    total.messages = total.messages + 1;
    total.bytes += header.nlmsg_len;
    total.interrupted = total.interrupted || state.stats.interrupted;
    total.skipped += state.stats.skipped;
    state.stats.skipped = 0;
    if (state.done) dump_started = false;
  }
  if (dump_started) {
    return Error{ErrorCode::kParse, "recorded dump ends without NLMSG_DONE", 0, path_, {}};
  }
  return total;
}

}  // namespace tcpdoctor
