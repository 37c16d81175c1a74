#include "collect/collect_sockets.h"

namespace tcpdoctor {
namespace {

constexpr int kAttempts = 3;

Result<DumpStats> CollectOnce(SocketSource& source, const SocketFilter& filter,
                              const RecordSink& sink, uint8_t extensions) {
  DumpStats total;
  // The kernel filtered by state and exact ports; the rest of the filter is applied here, and
  // `records` counts what reached the sink.
  const RecordSink filtered = [&](const SocketRecord& r) {
    if (!filter.Matches(r)) return;
    ++total.records;
    sink(r);
  };
  for (const DumpQuery& query : PlanQueries(filter, extensions)) {
    auto stats = source.Dump(query, filtered);
    if (!stats) return stats.TakeError();
    total.messages += stats->messages;
    total.bytes += stats->bytes;
    total.skipped += stats->skipped;
    total.interrupted = total.interrupted || stats->interrupted;
  }
  return total;
}

}  // namespace

std::vector<DumpQuery> PlanQueries(const SocketFilter& filter, uint8_t extensions) {
  std::vector<DumpQuery> queries;
  for (Family family : {Family::kIpv4, Family::kIpv6}) {
    if (family == Family::kIpv4 ? !filter.ipv4 : !filter.ipv6) continue;
    DumpQuery q;
    q.family = family;
    q.states = filter.states;
    q.local_port = filter.local_port.value_or(0);
    q.remote_port = filter.remote_port.value_or(0);
    q.extensions = extensions;
    queries.push_back(q);
  }
  return queries;
}

Result<DumpStats> CollectSockets(SocketSource& source, const SocketFilter& filter,
                                 const RecordSink& sink, const std::function<void()>& restart,
                                 const WarningSink& warn, uint8_t extensions) {
  for (int attempt = 1;; ++attempt) {
    auto stats = CollectOnce(source, filter, sink, extensions);
    if (!stats || !stats->interrupted) return stats;
    if (attempt == kAttempts) {
      if (warn) {
        warn("the socket table kept changing during the dump (NLM_F_DUMP_INTR " +
             std::to_string(kAttempts) + " times); counts may be slightly off");
      }
      return stats;
    }
    if (restart) restart();
  }
}

}  // namespace tcpdoctor
