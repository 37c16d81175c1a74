// A real Prometheus server scrapes `tcpdoctor serve`, and what it stored is the population the
// test built: the count of every state and a listener's accept queue and backlog, as the test
// made them and as `ss` sees them. The population lives in a namespace of its own; the exporter
// (`--netns /proc/PID/ns/net`) and Prometheus in another, so that their sockets are not counted.
// `promtool check metrics` accepts a real scrape of that exporter.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "support/exporter_process.h"
#include "support/holder_process.h"
#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/observer_netns.h"
#include "support/population.h"
#include "support/prometheus_server.h"
#include "support/ss_table.h"
#include "unit/promtool_check.h"

namespace tcpdoctor::itest {
namespace {

constexpr const char* kQueueOwner = "queue-holder";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Per state, lower case as the exporter labels them ("time_wait"), every state included.
std::map<std::string, int> CountByState(const std::vector<SocketTuple>& sockets) {
  std::map<std::string, int> counts;
  for (State s : kAllStates) counts[Lower(StateName(s))] = 0;
  for (const SocketTuple& s : sockets) ++counts[Lower(StateName(s.state))];
  return counts;
}

// In the population namespace: a RandomPlan population, plus a listener that `kQueueOwner`
// holds with `queued` connections waiting in its accept queue (never accepted) and a backlog of
// `backlog`. Facts() is what the observer must find, ss's view included.
class QueuedPopulation {
 public:
  void Build(uint32_t seed, int backlog, int queued);
  const nlohmann::json& facts() const { return facts_; }

 private:
  Population population_;
  std::optional<HolderProcess> holder_;
  nlohmann::json facts_;
};

void QueuedPopulation::Build(uint32_t seed, int backlog, int queued) {
  ASSERT_NO_FATAL_FAILURE(population_.Build(RandomPlan(seed)));
  ASSERT_NO_FATAL_FAILURE(population_.Settle());

  std::vector<SocketTuple> expected = population_.expected();
  Endpoint at;
  UniqueFd listener = Listen(*Endpoint::Parse("127.0.0.77"), backlog, &at);
  ASSERT_TRUE(listener);
  std::vector<UniqueFd> clients;
  std::vector<int> keep = {listener.get()};
  for (int i = 0; i < queued; ++i) {
    Connection c = ConnectAndWait(at);
    ASSERT_TRUE(c.fd) << "connect " << at.WithPort() << ": " << std::strerror(c.error);
    const Endpoint client = LocalOf(c.fd.get());
    expected.push_back({State::kEstablished, client, at});
    expected.push_back({State::kEstablished, at, client});  // the child in the accept queue
    keep.push_back(c.fd.get());
    clients.push_back(std::move(c.fd));
  }
  expected.push_back({State::kListen, at, Endpoint::Any(AF_INET)});
  holder_.emplace(HolderSpec{kQueueOwner, {}, {}, {}, {}, keep}, [] { return std::string(); });
  ASSERT_TRUE(holder_->ok());
  listener.Reset();  // from now on only the holder has them
  clients.clear();

  // ss in this namespace sees exactly the sockets the test made.
  SsResult ss;
  const bool same = WaitUntil([&] {
    ss = RunSs();
    return ss.error.empty() && Sorted(ss.rows) == Sorted(expected);
  });
  ASSERT_TRUE(same) << "ss -tan differs from the population: " << ss.error;
  const SsListeners ss_listeners = RunSsListeners();
  ASSERT_EQ(ss_listeners.error, "");
  facts_["states"] = CountByState(expected);
  facts_["ss_states"] = CountByState(ss.rows);
  facts_["address"] = at.Address();
  facts_["port"] = std::to_string(at.port);
  facts_["backlog"] = backlog;
  facts_["queued"] = queued;
  for (const SsListener& row : ss_listeners.rows) {
    if (row.local == at) {
      facts_["ss_recv_q"] = row.recv_q;
      facts_["ss_send_q"] = row.send_q;
    }
  }
}

// The value of a one-series instant vector, or nullopt (with a test failure) otherwise.
std::optional<double> OneValue(const PrometheusServer& prometheus, const std::string& expr,
                               nlohmann::json* labels = nullptr) {
  std::string error;
  const auto data = prometheus.Query(expr, error);
  if (!data) {
    ADD_FAILURE() << error;
    return std::nullopt;
  }
  const nlohmann::json& result = (*data)["result"];
  if (result.size() != 1) {
    ADD_FAILURE() << expr << ": expected one series, got " << result.dump();
    return std::nullopt;
  }
  if (labels != nullptr) *labels = result[0]["metric"];
  return std::stod(result[0]["value"][1].get<std::string>());
}

// Waits until Prometheus has scraped the exporter successfully and stored every state.
bool WaitForSamples(const PrometheusServer& prometheus) {
  // Generous: the first collection may take seconds on a host that other tests load.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  std::string error;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto up = prometheus.Query("up{job=\"tcpdoctor\"} == 1", error);
    const auto states = prometheus.Query("count(tcpdoctor_tcp_sockets)", error);
    if (up && states && (*up)["result"].size() == 1 && (*states)["result"].size() == 1 &&
        (*states)["result"][0]["value"][1] == std::to_string(kAllStates.size())) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string targets_error;
  const auto targets = prometheus.Targets(targets_error);
  ADD_FAILURE() << "Prometheus has no samples of the exporter after 40 s; targets: "
                << (targets ? targets->dump() : targets_error) << "\nlog: " << prometheus.Log();
  return false;
}

void CheckThroughPrometheus(pid_t population_pid, const nlohmann::json& facts) {
  ASSERT_TRUE(facts.contains("ss_recv_q")) << "no listener in the facts: " << facts.dump();
  const std::string netns = "/proc/" + std::to_string(population_pid) + "/ns/net";
  ExporterProcess exporter({"--netns", netns});
  ASSERT_TRUE(exporter.ready());
  const pid_t exporter_pid = exporter.pid();
  pid_t prometheus_pid = -1;
  {
    PrometheusServer prometheus({exporter.endpoint()});
    ASSERT_TRUE(prometheus.ready());
    prometheus_pid = prometheus.pid();
    ASSERT_TRUE(WaitForSamples(prometheus));

    // Every state, as Prometheus stored it, is what the test built and what ss sees.
    std::string error;
    const auto states = prometheus.Query("tcpdoctor_tcp_sockets", error);
    ASSERT_TRUE(states) << error;
    std::map<std::string, int> stored;
    for (const nlohmann::json& series : (*states)["result"]) {
      const nlohmann::json& labels = series["metric"];
      EXPECT_EQ(labels["netns"], netns) << series.dump();
      EXPECT_EQ(labels["job"], "tcpdoctor") << series.dump();
      EXPECT_EQ(labels["instance"], exporter.endpoint().WithPort()) << series.dump();
      stored[labels["state"]] = std::stoi(series["value"][1].get<std::string>());
    }
    using Counts = std::map<std::string, int>;
    const auto expected = facts["states"].get<Counts>();
    EXPECT_EQ(stored, expected);
    EXPECT_EQ(facts["ss_states"].get<Counts>(), expected);
    for (const char* state : {"established", "time_wait", "close_wait", "listen"}) {
      EXPECT_GT(expected.at(state), 0) << "the population lacks " << state;
    }

    // The listener's accept queue and backlog.
    const std::string selector = "{address=\"" + facts["address"].get<std::string>() +
                                 "\",port=\"" + facts["port"].get<std::string>() + "\"}";
    nlohmann::json labels;
    const auto queue =
        OneValue(prometheus, "tcpdoctor_listener_accept_queue_connections" + selector, &labels);
    const auto backlog =
        OneValue(prometheus, "tcpdoctor_listener_accept_queue_max_connections" + selector);
    ASSERT_TRUE(queue && backlog);
    EXPECT_EQ(*queue, facts["queued"].get<int>());
    EXPECT_EQ(*queue, facts["ss_recv_q"].get<int>());
    EXPECT_EQ(*backlog, facts["backlog"].get<int>());
    EXPECT_EQ(*backlog, facts["ss_send_q"].get<int>());
    EXPECT_EQ(labels["process"], kQueueOwner) << labels.dump();
    EXPECT_EQ(labels["netns"], netns) << labels.dump();

    // The exporter's own figures made it too: one collection per scrape at most.
    const auto collections = OneValue(prometheus, "tcpdoctor_exporter_collections_total");
    ASSERT_TRUE(collections);
    EXPECT_GE(*collections, 1);

    // promtool on a real scrape of that exporter.
    EXPECT_EQ(test_util::PromtoolProblems(exporter.Scrape(), "serve_scrape.prom"), "");

    const ProcessExit stopped = prometheus.Stop();
    EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << "prometheus: " << stopped.Describe();
  }
  const ProcessExit stopped = exporter.Stop(SIGTERM);
  EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << "exporter: " << stopped.Describe();
  EXPECT_FALSE(ProcessExists(exporter_pid));
  EXPECT_FALSE(ProcessExists(prometheus_pid));
}

TEST(ServePrometheusTest, PrometheusStoresTheStatesAndAListenersQueue) {
  RunWithObserverNetns(
      [] {
        QueuedPopulation population;
        ASSERT_NO_FATAL_FAILURE(population.Build(/*seed=*/71, /*backlog=*/9, /*queued=*/6));
        HandOffToHost(population.facts().dump());
      },
      [](pid_t pid, const std::string& facts) {
        CheckThroughPrometheus(pid, nlohmann::json::parse(facts));
      },
      SandboxOptions{std::chrono::seconds(120)});
}

}  // namespace
}  // namespace tcpdoctor::itest
