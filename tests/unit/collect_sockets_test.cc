// CollectSockets and PlanQueries with a scripted source: what is asked of the kernel, what
// is filtered here, and the retry when a dump comes back flagged NLM_F_DUMP_INTR.
#include "collect/collect_sockets.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace tcpdoctor {
namespace {

SocketRecord Record(Family family, TcpState state, const char* local, uint16_t lport,
                    const char* remote, uint16_t rport) {
  SocketRecord r;
  r.state = state;
  r.local = *IpAddress::Parse(local);
  r.remote = *IpAddress::Parse(remote);
  r.local_port = lport;
  r.remote_port = rport;
  EXPECT_EQ(r.local.family, family);
  return r;
}

// Behaves like the kernel on a fixed socket table (applies the query), records every query,
// and flags the first `interrupted_dumps` dumps as interrupted.
class FakeSource : public SocketSource {
 public:
  explicit FakeSource(std::vector<SocketRecord> table) : table_(std::move(table)) {}

  Result<DumpStats> Dump(const DumpQuery& query, const RecordSink& sink) override {
    queries.push_back(query);
    events->push_back("dump");
    if (fail_with) return *fail_with;
    DumpStats stats;
    for (const SocketRecord& r : table_) {
      ++stats.messages;
      if (!MatchesQuery(query, r)) continue;
      ++stats.records;
      sink(r);
    }
    stats.bytes = 100;
    stats.skipped = 1;
    if (interrupted_dumps > 0) {
      --interrupted_dumps;
      stats.interrupted = true;
    }
    return stats;
  }
  std::string_view Name() const override { return "fake"; }

  std::vector<DumpQuery> queries;
  int interrupted_dumps = 0;
  std::optional<Error> fail_with;
  std::vector<std::string>* events = &own_events_;

 private:
  std::vector<SocketRecord> table_;
  std::vector<std::string> own_events_;
};

std::vector<SocketRecord> Table() {
  return {
      Record(Family::kIpv4, TcpState::kListen, "0.0.0.0", 80, "0.0.0.0", 0),
      Record(Family::kIpv4, TcpState::kEstablished, "10.0.0.1", 80, "10.0.0.9", 50000),
      Record(Family::kIpv4, TcpState::kTimeWait, "10.0.0.1", 50001, "192.168.1.1", 443),
      Record(Family::kIpv6, TcpState::kListen, "::", 443, "::", 0),
      Record(Family::kIpv6, TcpState::kEstablished, "2001:db8::1", 443, "2001:db8::2", 40000),
      Record(Family::kIpv6, TcpState::kEstablished, "::ffff:10.0.0.1", 8080, "::ffff:10.0.0.7",
             41000),
  };
}

TEST(PlanQueriesTest, OneQueryPerAllowedFamily) {
  SocketFilter both;
  const auto queries = PlanQueries(both);
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].family, Family::kIpv4);
  EXPECT_EQ(queries[1].family, Family::kIpv6);
  for (const DumpQuery& q : queries) {
    EXPECT_EQ(q.states, kAllStates);
    EXPECT_EQ(q.local_port, 0);
    EXPECT_EQ(q.remote_port, 0);
    EXPECT_EQ(q.extensions, 0);
  }
  SocketFilter v6_only;
  v6_only.ipv4 = false;
  const auto v6 = PlanQueries(v6_only);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].family, Family::kIpv6);
  SocketFilter v4_only;
  v4_only.ipv6 = false;
  const auto v4 = PlanQueries(v4_only);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].family, Family::kIpv4);
}

TEST(PlanQueriesTest, StatesExactPortsAndExtensionsGoToTheKernel) {
  SocketFilter f;
  f.states = StateBit(TcpState::kTimeWait) | StateBit(TcpState::kCloseWait);
  f.local_port = 8080;
  f.remote_port = 443;
  f.any_port = 22;                                        // either side: the kernel cannot do that
  f.any_address = Cidr::Parse("10.0.0.0/8");              // not pushed down either
  const auto queries = PlanQueries(f, /*extensions=*/2);  // 1 << (INET_DIAG_INFO - 1)
  ASSERT_EQ(queries.size(), 2u);
  for (const DumpQuery& q : queries) {
    EXPECT_EQ(q.states, (1u << 6) | (1u << 8));
    EXPECT_EQ(q.local_port, 8080);
    EXPECT_EQ(q.remote_port, 443);
    EXPECT_EQ(q.extensions, 2);
  }
}

TEST(CollectSocketsTest, StreamsBothFamiliesAndSumsStats) {
  FakeSource source(Table());
  std::vector<SocketRecord> got;
  int warnings = 0;
  auto stats = CollectSockets(
      source, SocketFilter{}, [&](const SocketRecord& r) { got.push_back(r); }, [] {},
      [&](const std::string&) { ++warnings; });
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(got.size(), 6u);
  EXPECT_EQ(source.queries.size(), 2u);
  EXPECT_EQ(stats->records, 6u);
  EXPECT_EQ(stats->messages, 12u);  // the fake counts the whole table per family
  EXPECT_EQ(stats->bytes, 200u);
  EXPECT_EQ(stats->skipped, 2u);
  EXPECT_FALSE(stats->interrupted);
  EXPECT_EQ(warnings, 0);
}

TEST(CollectSocketsTest, AppliesWhatTheKernelCannot) {
  FakeSource source(Table());
  SocketFilter f;
  f.any_address = Cidr::Parse("10.0.0.0/8");  // v4, and v4-mapped v6
  f.any_port = 80;
  std::vector<SocketRecord> got;
  auto stats = CollectSockets(
      source, f, [&](const SocketRecord& r) { got.push_back(r); }, [] {}, {});
  ASSERT_TRUE(stats.ok());
  // 10.0.0.1:80 <- 10.0.0.9 only: the listener is 0.0.0.0, the TIME_WAIT uses port 443, the
  // mapped socket uses 8080.
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, TcpState::kEstablished);
  EXPECT_EQ(got[0].remote.ToString(), "10.0.0.9");

  FakeSource source2(Table());
  SocketFilter mapped;
  mapped.any_address = Cidr::Parse("10.0.0.7/32");
  got.clear();
  ASSERT_TRUE(CollectSockets(
      source2, mapped, [&](const SocketRecord& r) { got.push_back(r); }, [] {}, {}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].family(), Family::kIpv6);
  EXPECT_EQ(got[0].local_port, 8080);
}

TEST(CollectSocketsTest, StateAndPortFiltersReachTheSource) {
  FakeSource source(Table());
  SocketFilter f;
  f.states = StateBit(TcpState::kEstablished);
  f.local_port = 443;
  f.ipv4 = false;
  std::vector<SocketRecord> got;
  ASSERT_TRUE(CollectSockets(
      source, f, [&](const SocketRecord& r) { got.push_back(r); }, [] {}, {}));
  ASSERT_EQ(source.queries.size(), 1u);
  EXPECT_EQ(source.queries[0].family, Family::kIpv6);
  EXPECT_EQ(source.queries[0].states, StateBit(TcpState::kEstablished));
  EXPECT_EQ(source.queries[0].local_port, 443);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].remote.ToString(), "2001:db8::2");
}

// "the whole collection runs again ... after that the last result stands, with a warning":
// an interrupted dump restarts the consumer and collects again.
TEST(CollectSocketsTest, RetriesOnceWhenTheFirstDumpIsInterrupted) {
  std::vector<std::string> events;
  FakeSource source(Table());
  source.events = &events;
  source.interrupted_dumps = 1;  // the IPv4 dump of the first attempt
  int warnings = 0;
  auto stats = CollectSockets(
      source, SocketFilter{}, [&](const SocketRecord&) { events.push_back("record"); },
      [&] { events.push_back("restart"); }, [&](const std::string&) { ++warnings; });
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->interrupted);
  EXPECT_EQ(stats->records, 6u);  // the second attempt's, not a sum of both
  EXPECT_EQ(warnings, 0);
  const std::vector<std::string> expected = {
      "dump", "record", "record", "record",             // attempt 1, IPv4 (interrupted)
      "dump", "record", "record", "record", "restart",  // attempt 1, IPv6; then start over
      "dump", "record", "record", "record",             // attempt 2
      "dump", "record", "record", "record"};
  EXPECT_EQ(events, expected);
}

TEST(CollectSocketsTest, GivesUpAfterThreeInterruptedAttemptsWithOneWarning) {
  FakeSource source(Table());
  source.interrupted_dumps = 1000;
  int restarts = 0;
  int records = 0;
  std::vector<std::string> warnings;
  auto stats = CollectSockets(
      source, SocketFilter{}, [&](const SocketRecord&) { ++records; }, [&] { ++restarts; },
      [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_TRUE(stats.ok()) << "an inconsistent dump is still a result";
  EXPECT_TRUE(stats->interrupted);
  EXPECT_EQ(source.queries.size(), 6u);  // 3 attempts x 2 families
  EXPECT_EQ(restarts, 2);                // between attempts, not after the last
  EXPECT_EQ(records, 18);                // the consumer was told to forget twice
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("NLM_F_DUMP_INTR"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("3 times"), std::string::npos) << warnings[0];
}

TEST(CollectSocketsTest, ThirdAttemptCleanMeansNoWarning) {
  FakeSource source(Table());
  source.interrupted_dumps = 2;  // attempts 1 and 2 (IPv4 only)
  int restarts = 0;
  int warnings = 0;
  SocketFilter v4;
  v4.ipv6 = false;
  auto stats = CollectSockets(
      source, v4, [](const SocketRecord&) {}, [&] { ++restarts; },
      [&](const std::string&) { ++warnings; });
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->interrupted);
  EXPECT_EQ(source.queries.size(), 3u);
  EXPECT_EQ(restarts, 2);
  EXPECT_EQ(warnings, 0);
}

TEST(CollectSocketsTest, NullCallbacksAreAllowed) {
  FakeSource source(Table());
  source.interrupted_dumps = 1000;
  auto stats = CollectSockets(source, SocketFilter{}, [](const SocketRecord&) {}, {}, {});
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->interrupted);
}

TEST(CollectSocketsTest, SourceErrorStopsAtOnceWithoutRetry) {
  FakeSource source(Table());
  source.fail_with = Error{ErrorCode::kPermission, "no", EPERM, "sock_diag", {}};
  int restarts = 0;
  auto stats = CollectSockets(
      source, SocketFilter{}, [](const SocketRecord&) {}, [&] { ++restarts; }, {});
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code, ErrorCode::kPermission);
  EXPECT_EQ(source.queries.size(), 1u);  // IPv6 not even asked
  EXPECT_EQ(restarts, 0);
}

// DumpStats::records is "records handed to the sink". What CollectSockets returns should
// then count what reached the caller's sink, as ReplaySource and ProcNetTcpSource count only
// the records that passed their query.
TEST(CollectSocketsTest, RecordsCountWhatPassedTheFilter) {
  FakeSource source(Table());
  SocketFilter f;
  f.any_port = 443;  // applied here, not by the source
  int delivered = 0;
  auto stats = CollectSockets(
      source, f, [&](const SocketRecord&) { ++delivered; }, [] {}, {});
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(delivered, 3);  // the TIME_WAIT to :443, the [::]:443 listener and 2001:db8::1:443
  EXPECT_EQ(stats->records, 3u) << "counts records before the filter";
}

}  // namespace
}  // namespace tcpdoctor
