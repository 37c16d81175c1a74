// `tcpdoctor listeners` and `counters` on listeners whose accept queue the test fills on
// loopback in a private namespace: a listener that never accepts, flooded by non-blocking
// connects, must show a full queue (backlog+1 entries), its SYN_RECV count as ss sees it,
// ListenOverflows that rise while connects keep arriving, and a sampled peak. The figures are
// checked against what the kernel did to the test's own sockets, `ss -ltn`, `ss -tan`,
// /proc/net/netstat and `nstat`, never against numbers written into the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

constexpr int kExtraClients = 4;  // connects beyond what the queue holds: left in SYN_SENT

Endpoint Loopback(uint16_t port = 0) { return *Endpoint::Parse("127.0.0.1", port); }

// The row of `listeners --json` for the listener bound to `at`, or null.
nlohmann::json ListenerRow(const nlohmann::json& doc, const Endpoint& at) {
  for (const nlohmann::json& row : doc["listeners"]) {
    if (row["port"] == at.port && row["address"] == at.Address()) return row;
  }
  return nullptr;
}

const SsListener* FindSsListener(const SsListeners& ss, const Endpoint& at) {
  for (const SsListener& row : ss.rows) {
    if (row.local == at) return &row;
  }
  return nullptr;
}

// How many SYN_RECV request sockets `ss -tan` lists on the listener at `at`.
size_t SsSynRecv(const Endpoint& at) {
  const SsResult ss = RunSs({"state", "syn-recv"}, State::kSynRecv);
  EXPECT_EQ(ss.error, "");
  size_t n = 0;
  for (const SocketTuple& s : ss.rows) n += s.local == at ? 1 : 0;
  return n;
}

// `run` of `tcpdoctor ARGS --json` (made in another thread) as JSON, in the test's thread.
std::optional<nlohmann::json> JsonOf(const CommandResult& run,
                                     const std::vector<std::string>& args) {
  if (run.exit_code != 0 || !run.err.empty()) {
    ADD_FAILURE() << CommandLine(args) << ": " << run.Describe();
    return std::nullopt;
  }
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  if (doc.is_discarded()) {
    ADD_FAILURE() << CommandLine(args) << " printed invalid JSON:\n" << run.out;
    return std::nullopt;
  }
  return doc;
}

// `tcpdoctor ARGS --json` in a thread of its own, so that the test can act meanwhile. (No
// gtest assertions off the test's thread: the sandbox forwards only that thread's failures.)
std::future<CommandResult> StartTcpdoctor(std::vector<std::string> args) {
  args.push_back("--json");
  return std::async(std::launch::async, [args] { return RunTcpdoctor(args); });
}

// Keeps connecting to `to`, one non-blocking connect every 20 ms, until destroyed: each SYN
// meets a full accept queue. The sockets stay open (SYN_SENT) until then.
class ConnectStorm {
 public:
  explicit ConnectStorm(const Endpoint& to)
      : thread_([this, to](std::stop_token stop) { Run(stop, to); }) {}
  ~ConnectStorm() { Stop(); }

  void Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  size_t connects() {
    std::lock_guard lock(mutex_);
    return fds_.size();
  }
  int first_error() {
    std::lock_guard lock(mutex_);
    return first_error_;
  }

 private:
  void Run(const std::stop_token& stop, const Endpoint& to) {
    while (!stop.stop_requested()) {
      Connection c = ConnectNoWait(to);
      {
        std::lock_guard lock(mutex_);
        if (c.fd) {
          fds_.push_back(std::move(c.fd));
        } else if (first_error_ == 0) {
          first_error_ = c.error;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::mutex mutex_;
  std::vector<UniqueFd> fds_;
  int first_error_ = 0;
  std::jthread thread_;  // last: it starts once the members above exist
};

// A listener that never accepts, and the clients that connected to it.
struct FloodedListener {
  UniqueFd fd;
  Endpoint at;
  std::vector<UniqueFd> established;  // in the accept queue
  std::vector<UniqueFd> syn_sent;     // their SYNs were dropped
};

// listen(backlog) on 127.0.0.1 and backlog + 1 + `extra` non-blocking connects; waits until
// the kernel has completed the handshakes it is going to complete.
void Flood(int backlog, int extra, FloodedListener& out) {
  out.fd = Listen(Loopback(), backlog, &out.at);
  ASSERT_TRUE(out.fd);
  std::vector<UniqueFd> clients;
  for (int i = 0; i < backlog + 1 + extra; ++i) {
    Connection c = ConnectNoWait(out.at);
    ASSERT_TRUE(c.fd) << "connect " << i << ": " << std::strerror(c.error);
    clients.push_back(std::move(c.fd));
  }
  const auto count = [&clients](State s) {
    return std::count_if(clients.begin(), clients.end(),
                         [s](const UniqueFd& fd) { return StateOf(fd.get()) == s; });
  };
  // The queue takes backlog+1 (sk_acceptq_is_full tests '>'); the other SYNs are dropped.
  WaitUntil([&] { return count(State::kEstablished) >= backlog + 1; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // no late completions
  for (UniqueFd& fd : clients) {
    const auto state = StateOf(fd.get());
    ASSERT_TRUE(state == State::kEstablished || state == State::kSynSent)
        << "client in state " << (state ? StateName(*state) : "?");
    (state == State::kEstablished ? out.established : out.syn_sent).push_back(std::move(fd));
  }
  ASSERT_EQ(out.established.size(), static_cast<size_t>(backlog + 1))
      << "listen(" << backlog << ") should let the kernel complete backlog+1 handshakes";
}

// Reads `key` from nstat, tcpdoctor and /proc/net/netstat while nothing changes it, and
// expects all three to agree; returns the value.
int64_t ExpectSameEverywhere(const std::string& key, const nlohmann::json& counters_doc) {
  std::string error;
  const CounterValues proc = ReadProcCounters(error);
  EXPECT_EQ(error, "");
  const CounterValues nstat = RunNstat(error);
  EXPECT_EQ(error, "");
  const nlohmann::json row = CounterRow(counters_doc, key);
  EXPECT_FALSE(row.is_null()) << "`counters` has no " << key << ": " << counters_doc.dump();
  if (row.is_null() || !proc.contains(key) || !nstat.contains(NstatName(key))) {
    ADD_FAILURE() << key << " is missing from /proc/net/netstat or nstat";
    return -1;
  }
  EXPECT_EQ(row["value"].get<int64_t>(), proc.at(key)) << key << " vs /proc/net/netstat";
  EXPECT_EQ(row["value"].get<int64_t>(), nstat.at(NstatName(key))) << key << " vs nstat -asz";
  return proc.at(key);
}

class ListenersQueueTest : public ::testing::TestWithParam<int> {};

TEST_P(ListenersQueueTest, FullQueueSynRecvAndOverflowsAgreeWithTheKernel) {
  const int backlog = GetParam();
  RunInNetns([backlog] {
    const auto somaxconn = ReadSysctl("net/core/somaxconn");
    ASSERT_TRUE(somaxconn.has_value());

    // A second listener, with TCP_DEFER_ACCEPT, holds data-less clients as SYN_RECV.
    Endpoint deferred_at;
    const UniqueFd deferred = Listen(Loopback(), backlog, &deferred_at, /*defer_accept=*/true);
    ASSERT_TRUE(deferred);
    std::vector<UniqueFd> deferred_clients;
    for (int i = 0; i < backlog; ++i) {
      Connection c = ConnectAndWait(deferred_at);
      ASSERT_TRUE(c.fd) << std::strerror(c.error);
      deferred_clients.push_back(std::move(c.fd));
    }

    FloodedListener flooded;
    ASSERT_NO_FATAL_FAILURE(Flood(backlog, kExtraClients, flooded));
    ASSERT_EQ(flooded.syn_sent.size(), static_cast<size_t>(kExtraClients));

    // Now: a full queue.
    const auto doc = TcpdoctorJson({"listeners"});
    ASSERT_TRUE(doc.has_value());
    ASSERT_EQ((*doc)["listeners"].size(), 2u) << doc->dump(2);
    const nlohmann::json full = ListenerRow(*doc, flooded.at);
    ASSERT_FALSE(full.is_null()) << flooded.at.WithPort() << " missing: " << doc->dump(2);
    EXPECT_EQ(full["accept_queue"], flooded.established.size()) << full.dump();
    EXPECT_EQ(full["backlog"], backlog) << full.dump();
    EXPECT_EQ(full["full"], true) << full.dump();
    EXPECT_DOUBLE_EQ(full["fill_percent"].get<double>(), 100.0) << full.dump();
    EXPECT_EQ(full["capped_by_somaxconn"], false) << full.dump();
    EXPECT_EQ(full["syn_recv"], SsSynRecv(flooded.at)) << "SYN_RECV on the flooded listener";
    EXPECT_FALSE(full.contains("peak_accept_queue")) << "only with -i: " << full.dump();

    const nlohmann::json half_open = ListenerRow(*doc, deferred_at);
    ASSERT_FALSE(half_open.is_null()) << deferred_at.WithPort() << " missing: " << doc->dump(2);
    const size_t ss_syn_recv = SsSynRecv(deferred_at);
    EXPECT_GT(ss_syn_recv, 0u) << "TCP_DEFER_ACCEPT should hold the clients as SYN_RECV";
    EXPECT_EQ(half_open["syn_recv"], ss_syn_recv) << half_open.dump();
    EXPECT_EQ(half_open["accept_queue"], 0) << half_open.dump();
    EXPECT_EQ(half_open["backlog"], backlog) << half_open.dump();
    EXPECT_EQ(half_open["full"], false) << half_open.dump();

    EXPECT_EQ((*doc)["somaxconn"], std::stoll(*somaxconn));
    EXPECT_TRUE((*doc)["interval_seconds"].is_null());
    EXPECT_TRUE((*doc)["listen_overflows_delta"].is_null());
    // Every SYN that met the full queue was dropped and counted at least once.
    EXPECT_GE((*doc)["listen_overflows"].get<int64_t>(), kExtraClients) << doc->dump(2);
    EXPECT_GE((*doc)["listen_drops"].get<int64_t>(), (*doc)["listen_overflows"].get<int64_t>());

    // ss -ltn: Recv-Q is the accept queue, Send-Q the backlog.
    const SsListeners ss = RunSsListeners();
    ASSERT_EQ(ss.error, "");
    ASSERT_EQ(ss.rows.size(), 2u);
    for (const auto& [at, row] : {std::pair{flooded.at, full}, std::pair{deferred_at, half_open}}) {
      const SsListener* s = FindSsListener(ss, at);
      ASSERT_NE(s, nullptr) << "ss -ltn has no " << at.WithPort();
      EXPECT_EQ(row["accept_queue"], s->recv_q) << at.WithPort() << " vs ss Recv-Q";
      EXPECT_EQ(row["backlog"], s->send_q) << at.WithPort() << " vs ss Send-Q";
    }

    // The text form marks the full queue.
    const CommandResult text = RunTcpdoctor({"listeners"});
    ASSERT_EQ(text.exit_code, 0) << text.Describe();
    bool marked = false;
    std::istringstream lines(text.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(flooded.at.WithPort() + " ", 0) == 0) {
        marked = line.find("FULL") != std::string::npos;
      }
    }
    EXPECT_TRUE(marked) << "no FULL note on " << flooded.at.WithPort() << ":\n" << text.out;

    // Without SYN_SENT clients retransmitting, the overflow count holds still: tcpdoctor,
    // /proc/net/netstat and nstat must give the same figure.
    flooded.syn_sent.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto counters = TcpdoctorJson({"counters"});
    ASSERT_TRUE(counters.has_value());
    const int64_t overflows = ExpectSameEverywhere("TcpExt.ListenOverflows", *counters);
    ExpectSameEverywhere("TcpExt.ListenDrops", *counters);
    const auto again = TcpdoctorJson({"listeners"});
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ((*again)["listen_overflows"], overflows);

    // With connects still arriving during the interval, -i shows them as a rate.
    ConnectStorm storm(flooded.at);
    const std::vector<std::string> counters_args = {"counters", "-i", "1"};
    const std::vector<std::string> listeners_args = {"listeners", "-i", "1"};
    auto counters_run = StartTcpdoctor(counters_args);
    auto listeners_run = StartTcpdoctor(listeners_args);
    const CommandResult counters_result = counters_run.get();
    const CommandResult listeners_result = listeners_run.get();
    storm.Stop();
    EXPECT_GT(storm.connects(), 0u);
    EXPECT_EQ(storm.first_error(), 0) << std::strerror(storm.first_error());

    const auto rates = JsonOf(counters_result, counters_args);
    ASSERT_TRUE(rates.has_value());
    EXPECT_EQ((*rates)["interval_seconds"], 1.0);
    const nlohmann::json lo = CounterRow(*rates, "TcpExt.ListenOverflows");
    ASSERT_FALSE(lo.is_null()) << rates->dump(2);
    ASSERT_TRUE(lo["delta"].is_number()) << lo.dump();
    EXPECT_GT(lo["delta"].get<int64_t>(), 0) << lo.dump();
    EXPECT_GT(lo["rate_per_second"].get<double>(), 0.0) << lo.dump();
    EXPECT_DOUBLE_EQ(lo["rate_per_second"].get<double>(), lo["delta"].get<double>()) << lo.dump();
    EXPECT_GT(lo["value"].get<int64_t>(), overflows) << lo.dump();
    const nlohmann::json ld = CounterRow(*rates, "TcpExt.ListenDrops");
    ASSERT_FALSE(ld.is_null());
    EXPECT_GE(ld["delta"].get<int64_t>(), lo["delta"].get<int64_t>());

    const auto sampled = JsonOf(listeners_result, listeners_args);
    ASSERT_TRUE(sampled.has_value());
    EXPECT_EQ((*sampled)["interval_seconds"], 1.0);
    EXPECT_GT((*sampled)["listen_overflows_delta"].get<int64_t>(), 0) << sampled->dump(2);
    EXPECT_GE((*sampled)["listen_drops_delta"].get<int64_t>(),
              (*sampled)["listen_overflows_delta"].get<int64_t>());
    const nlohmann::json peak = ListenerRow(*sampled, flooded.at);
    ASSERT_FALSE(peak.is_null()) << sampled->dump(2);
    EXPECT_EQ(peak["accept_queue"], flooded.established.size()) << peak.dump();
    EXPECT_EQ(peak["peak_accept_queue"], flooded.established.size()) << peak.dump();
    EXPECT_GE(peak["samples"].get<int>(), 2) << peak.dump();
    EXPECT_EQ(peak["samples_full"], peak["samples"]) << "full all along: " << peak.dump();
    const nlohmann::json calm = ListenerRow(*sampled, deferred_at);
    ASSERT_FALSE(calm.is_null()) << sampled->dump(2);
    EXPECT_EQ(calm["peak_accept_queue"], 0) << calm.dump();
    EXPECT_EQ(calm["samples_full"], 0) << calm.dump();
    EXPECT_EQ(calm["samples"], peak["samples"]) << calm.dump();
  });
}

INSTANTIATE_TEST_SUITE_P(ListenersBacklogs, ListenersQueueTest, ::testing::Values(1, 3, 7));

// A queue that is full when sampling starts and drained by accept() halfway through: the peak
// and the count of full samples remember it, the last sample does not.
TEST(ListenersSampledTest, PeakOutlivesAQueueDrainedDuringTheInterval) {
  RunInNetns([] {
    constexpr int kBacklog = 3;
    FloodedListener listener;
    ASSERT_NO_FATAL_FAILURE(Flood(kBacklog, /*extra=*/0, listener));
    const std::vector<std::string> args = {"listeners", "-i", "2"};
    auto run = StartTcpdoctor(args);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::vector<UniqueFd> accepted;
    for (size_t i = 0; i < listener.established.size(); ++i) {
      accepted.push_back(AcceptOne(listener.fd.get()));
      ASSERT_TRUE(accepted.back());
    }
    const auto doc = JsonOf(run.get(), args);
    ASSERT_TRUE(doc.has_value());
    const nlohmann::json row = ListenerRow(*doc, listener.at);
    ASSERT_FALSE(row.is_null()) << doc->dump(2);
    EXPECT_EQ(row["accept_queue"], 0) << row.dump();
    EXPECT_EQ(row["full"], false) << row.dump();
    EXPECT_EQ(row["peak_accept_queue"], listener.established.size()) << row.dump();
    EXPECT_GE(row["samples_full"].get<int>(), 1) << row.dump();
    EXPECT_LT(row["samples_full"].get<int>(), row["samples"].get<int>()) << row.dump();
    // Exactly backlog+1 clients: nothing was ever dropped here.
    EXPECT_EQ((*doc)["listen_overflows"], 0) << doc->dump(2);
    EXPECT_EQ((*doc)["listen_overflows_delta"], 0) << doc->dump(2);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
