// Label cardinality of `tcpdoctor serve` on a real population with 10,000 distinct peers: 10,000
// connections from 10,000 distinct 127.1.x.y addresses to 30 listeners (established, in
// CLOSE_WAIT, in TIME_WAIT on either side), so 10,000 distinct destinations too, held by 24
// processes. Scraped with the default --top-* and with small ones, every family has at most its
// top N + 1 series, the "other" series carry the rest so that each family sums to the
// population's totals, the top ones are the right ones, and the scrape stays small.
//
// Sockets of the population live in a namespace of their own; the exporters in another.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "support/close_recipes.h"
#include "support/exporter_process.h"
#include "support/holder_process.h"
#include "support/loopback_sockets.h"
#include "support/observer_netns.h"
#include "support/ss_table.h"
#include "unit/exposition.h"

namespace tcpdoctor::itest {
namespace {

constexpr int kPeers = 10000;   // distinct client addresses
constexpr int kListeners = 30;  // beyond the default --top-listeners (20)
constexpr int kListenerBacklog = 64;
constexpr int kEstablishedHolders = 20;   // with the others, beyond --top-processes (10)
constexpr int kPairsPerHolder = 100;      // connections each holds both ends of
constexpr int kCloseWaitPerLeaker = 100;  // CLOSE_WAIT each of two leakers holds
constexpr int kServerTimeWait = 2000;     // the server closed first
constexpr int kQueueBacklog = 8;
const int kQueued[] = {6, 5, 4};      // three listeners with connections waiting in the queue
const int kBusiest[] = {40, 30, 20};  // three destinations from 127.0.0.1 with several ports
constexpr size_t kSmallTop = 3;
// Listening ports below ip_local_port_range (32768-60999 by default), like most servers': the
// exporter tells accepted sockets from outgoing ones by the local port alone, so a client whose
// ephemeral port equals a listener's port (on another address) would count as accepted.
constexpr uint16_t kFirstListenerPort = 21000;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The i-th distinct peer: 127.1.0.1 ... 127.1.39.250.
Endpoint Peer(int i) {
  return *Endpoint::Parse("127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
}

struct Pair {
  UniqueFd client;
  UniqueFd server;
};

// In the population namespace: builds it, hands its sockets to holder processes, and says in
// facts() what the exporters must find.
class PeersPopulation {
 public:
  void Build();
  const nlohmann::json& facts() const { return facts_; }

 private:
  Pair Connect(const Endpoint& from, size_t listener);
  void Hold(const std::string& comm, std::vector<UniqueFd> fds,
            std::optional<unsigned long> nofile = std::nullopt);
  void Expect(State state, int n = 1) { expected_[Lower(StateName(state))] += n; }

  std::vector<UniqueFd> listener_fds_;
  std::vector<Endpoint> listeners_;
  std::vector<std::unique_ptr<HolderProcess>> holders_;
  std::map<std::string, int> expected_;  // per state, lower case
  int held_ = 0;                         // sockets held by the holders
  int outgoing_ = 0;                     // client-side sockets (destination ports in use)
  int outgoing_time_wait_ = 0;
  int next_peer_ = 0;
  nlohmann::json facts_;
};

Pair PeersPopulation::Connect(const Endpoint& from, size_t listener) {
  Pair p;
  p.client = recipes::ConnectFrom(from, listeners_[listener], false);
  if (p.client) p.server = AcceptOne(listener_fds_[listener].get());
  return p;
}

void PeersPopulation::Hold(const std::string& comm, std::vector<UniqueFd> fds,
                           std::optional<unsigned long> nofile) {
  std::vector<int> keep;
  for (const UniqueFd& fd : fds) keep.push_back(fd.get());
  holders_.push_back(std::make_unique<HolderProcess>(HolderSpec{comm, nofile, nofile, {}, {}, keep},
                                                     [] { return std::string(); }));
  ASSERT_TRUE(holders_.back()->ok()) << comm;
  facts_["holders"][comm] = holders_.back()->pid();
  facts_["open_fds"][comm] = holders_.back()->open_fds();
  held_ += static_cast<int>(fds.size());
}

void PeersPopulation::Build() {
  SetNamespaceSysctl("net/ipv4/tcp_rfc1337", "1");  // no TIME_WAIT lost to a late RST
  const Endpoint local = *Endpoint::Parse("127.0.0.1");
  std::vector<UniqueFd> listening;
  uint16_t port = kFirstListenerPort;
  for (int i = 0; i < kListeners; ++i) {
    Endpoint at;
    listener_fds_.push_back(Listen(*Endpoint::Parse("127.0.0.1", port++), kListenerBacklog, &at));
    ASSERT_TRUE(listener_fds_.back());
    listeners_.push_back(at);
  }
  // Three listeners whose accept queues hold kQueued connections nobody accepts.
  std::vector<UniqueFd> queue_side;
  for (const int queued : kQueued) {
    Endpoint at;
    queue_side.push_back(Listen(*Endpoint::Parse("127.0.0.1", port++), kQueueBacklog, &at));
    ASSERT_TRUE(queue_side.back());
    for (int i = 0; i < queued; ++i) {
      Connection c = ConnectAndWait(at);
      ASSERT_TRUE(c.fd) << std::strerror(c.error);
      queue_side.push_back(std::move(c.fd));
      Expect(State::kEstablished, 2);  // the client, and the child waiting in the queue
      ++outgoing_;
    }
    facts_["queues"].push_back({{"port", std::to_string(at.port)}, {"queued", queued}});
  }
  Expect(State::kListen, kListeners + 3);
  size_t next_listener = 0;
  const auto listener = [&next_listener] { return next_listener++ % kListeners; };

  // Established connections, both ends held: 20 holders, and one close to its fd limit.
  for (int h = 0; h <= kEstablishedHolders; ++h) {
    std::vector<UniqueFd> fds;
    for (int i = 0; i < kPairsPerHolder; ++i) {
      Pair p = Connect(Peer(next_peer_++), listener());
      ASSERT_TRUE(p.server);
      fds.push_back(std::move(p.client));
      fds.push_back(std::move(p.server));
      Expect(State::kEstablished, 2);
      ++outgoing_;
    }
    if (h < kEstablishedHolders) {
      ASSERT_NO_FATAL_FAILURE(Hold("est-" + std::to_string(h), std::move(fds)));
    } else {
      // 200 sockets and its 5 other fds under a soft limit of 240: 85 % used.
      ASSERT_NO_FATAL_FAILURE(Hold("fd-hog", std::move(fds), 240));
    }
  }
  // Two leakers never close what their peers closed: CLOSE_WAIT, and the peers' ends are
  // orphans in FIN_WAIT2 that nobody holds.
  for (const char* comm : {"cw-leak-a", "cw-leak-b"}) {
    std::vector<UniqueFd> fds;
    for (int i = 0; i < kCloseWaitPerLeaker; ++i) {
      Pair p = Connect(Peer(next_peer_++), listener());
      ASSERT_TRUE(p.server);
      p.client.Reset();
      fds.push_back(std::move(p.server));
      Expect(State::kCloseWait);
      Expect(State::kFinWait2);
      ++outgoing_;
    }
    ASSERT_NO_FATAL_FAILURE(Hold(comm, std::move(fds)));
  }
  // TIME_WAIT on the listeners' ports: the server closed first.
  for (int i = 0; i < kServerTimeWait; ++i) {
    Pair p = Connect(Peer(next_peer_++), listener());
    ASSERT_TRUE(p.server);
    ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.server, p.client));
    Expect(State::kTimeWait);
  }
  // The rest of the peers: TIME_WAIT on the client's side, one destination each.
  while (next_peer_ < kPeers) {
    Pair p = Connect(Peer(next_peer_++), listener());
    ASSERT_TRUE(p.server);
    ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.client, p.server));
    Expect(State::kTimeWait);
    ++outgoing_;
    ++outgoing_time_wait_;
  }
  // And three destinations with several ports each, from 127.0.0.1.
  for (size_t d = 0; d < std::size(kBusiest); ++d) {
    for (int i = 0; i < kBusiest[d]; ++i) {
      Pair p = Connect(local, d);
      ASSERT_TRUE(p.server);
      ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.client, p.server));
      Expect(State::kTimeWait);
      ++outgoing_;
      ++outgoing_time_wait_;
    }
    facts_["busiest"].push_back(
        {{"port", std::to_string(listeners_[d].port)}, {"ports", kBusiest[d]}});
  }
  listening.insert(listening.end(), std::make_move_iterator(listener_fds_.begin()),
                   std::make_move_iterator(listener_fds_.end()));
  listening.insert(listening.end(), std::make_move_iterator(queue_side.begin()),
                   std::make_move_iterator(queue_side.end()));
  listener_fds_.clear();
  ASSERT_NO_FATAL_FAILURE(Hold("listen-holder", std::move(listening)));

  // ss in this namespace sees exactly that.
  std::map<std::string, int> seen;
  const bool same = WaitUntil(
      [&] {
        const SsResult ss = RunSs();
        if (!ss.error.empty()) return false;
        seen.clear();
        for (const SocketTuple& s : ss.rows) ++seen[Lower(StateName(s.state))];
        return seen == expected_;
      },
      std::chrono::seconds(10));
  ASSERT_TRUE(same) << "ss -tan: " << nlohmann::json(seen).dump()
                    << "\nexpected: " << nlohmann::json(expected_).dump();
  facts_["states"] = expected_;
  facts_["held"] = held_;
  facts_["close_wait"] = 2 * kCloseWaitPerLeaker;
  facts_["outgoing"] = outgoing_;
  facts_["outgoing_time_wait"] = outgoing_time_wait_;
  facts_["server_time_wait"] = kServerTimeWait;
  int queued = 0;
  for (const int q : kQueued) queued += q;
  facts_["queued"] = queued;
  facts_["backlogs"] = kListeners * kListenerBacklog + 3 * kQueueBacklog;
}

struct Tops {
  size_t listeners = 20;  // serve's defaults
  size_t processes = 10;
  size_t destinations = 10;
  size_t findings = 5;
  std::vector<std::string> Args() const {
    return {"--top-listeners",         std::to_string(listeners), "--top-processes",
            std::to_string(processes), "--top-destinations",      std::to_string(destinations),
            "--top-findings",          std::to_string(findings)};
  }
};

// How many series a family may have in one namespace: its top N and one "other" for the lists,
// one per state (or collector, or severity) at most for the rest. Findings are per rule.
size_t MaxSeries(const std::string& family, const Tops& tops) {
  if (family.starts_with("tcpdoctor_listener_")) return tops.listeners + 1;
  if (family.starts_with("tcpdoctor_destination_")) return tops.destinations + 1;
  if (family == "tcpdoctor_process_sockets") return (tops.processes + 1) * kAllStates.size();
  if (family.starts_with("tcpdoctor_process_")) return tops.processes + 1;
  return kAllStates.size();
}

// The values of `family`'s series other than "other", keyed by the values of `labels` joined
// with spaces.
std::map<std::string, std::string> Shown(const test_util::Exposition& e, const std::string& family,
                                         const std::vector<std::string>& labels) {
  std::map<std::string, std::string> shown;
  for (const test_util::ExpoSample* s : e.Find(family)) {
    std::string key;
    for (const std::string& label : labels) key += (key.empty() ? "" : " ") + s->labels.at(label);
    if (s->labels.at(labels.front()) != "other") shown[key] = s->value;
  }
  return shown;
}

void CheckScrape(const std::string& text, const nlohmann::json& facts, const std::string& netns,
                 const Tops& tops, size_t max_bytes) {
  SCOPED_TRACE("--top-listeners " + std::to_string(tops.listeners));
  const test_util::Exposition e = test_util::ParseExposition(text);
  const std::map<std::string, std::string> here = {{"netns", netns}};

  // Every family within its bound, whatever 10,000 peers and destinations would make.
  std::map<std::string, size_t> series;
  std::map<std::string, size_t> per_rule;
  for (const test_util::ExpoSample& s : e.samples) {
    ++series[s.name];
    if (s.name == "tcpdoctor_finding") ++per_rule[s.labels.at("rule")];
  }
  for (const auto& [family, n] : series) EXPECT_LE(n, MaxSeries(family, tops)) << family;
  for (const auto& [rule, n] : per_rule) EXPECT_LE(n, tops.findings + 3) << rule;
  EXPECT_LT(text.size(), max_bytes) << "bytes in one scrape";

  // Lists longer than their top N: exactly N series and "other".
  for (const char* family : {"tcpdoctor_listener_accept_queue_connections",
                             "tcpdoctor_listener_accept_queue_max_connections",
                             "tcpdoctor_listener_syn_recv_connections"}) {
    EXPECT_EQ(e.Find(family, here).size(), tops.listeners + 1) << family;
    EXPECT_EQ(e.Find(family, {{"netns", netns}, {"process", "other"}}).size(), 1u) << family;
  }
  for (const char* family :
       {"tcpdoctor_destination_ephemeral_ports", "tcpdoctor_destination_time_wait_sockets",
        "tcpdoctor_destination_port_range_ports"}) {
    EXPECT_EQ(e.Find(family, here).size(), tops.destinations + 1) << family;
    EXPECT_EQ(e.Find(family, {{"netns", netns}, {"remote_address", "other"}}).size(), 1u);
  }
  EXPECT_EQ(e.Find("tcpdoctor_process_close_wait_sockets", here).size(), tops.processes + 1);
  EXPECT_EQ(e.Find("tcpdoctor_listener_time_wait_sockets", here).size(), tops.listeners + 1);

  // With "other", each family sums to the population's totals.
  for (const auto& [state, n] : facts["states"].items()) {
    EXPECT_EQ(e.Value("tcpdoctor_tcp_sockets", {{"netns", netns}, {"state", state}}),
              std::to_string(n.get<int>()))
        << state;
  }
  EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_connections", here), facts["queued"]);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_max_connections", here), facts["backlogs"]);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_syn_recv_connections", here), 0);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_time_wait_sockets", here), facts["server_time_wait"]);
  EXPECT_EQ(e.Sum("tcpdoctor_destination_ephemeral_ports", here), facts["outgoing"]);
  EXPECT_EQ(e.Sum("tcpdoctor_destination_time_wait_sockets", here), facts["outgoing_time_wait"]);
  EXPECT_EQ(e.Sum("tcpdoctor_process_sockets", here), facts["held"]);
  EXPECT_EQ(e.Sum("tcpdoctor_process_close_wait_sockets", here), facts["close_wait"]);
  for (const std::string severity : {"info", "warning", "critical"}) {
    EXPECT_EQ(e.Sum("tcpdoctor_finding", {{"netns", netns}, {"severity", severity}}),
              e.Sum("tcpdoctor_findings", {{"netns", netns}, {"severity", severity}}))
        << severity;
  }

  // The ones shown are the top ones: the fullest queues, the destinations with most ports, the
  // riskiest processes (at 85 % of its fd limit, then holding CLOSE_WAIT).
  const auto queues = Shown(e, "tcpdoctor_listener_accept_queue_connections", {"port"});
  for (const nlohmann::json& q : facts["queues"]) {
    ASSERT_TRUE(queues.contains(q["port"])) << q.dump();
    EXPECT_EQ(queues.at(q["port"]), std::to_string(q["queued"].get<int>()));
  }
  const std::vector<std::string> destination = {"local_address", "remote_address", "remote_port"};
  const auto ports = Shown(e, "tcpdoctor_destination_ephemeral_ports", destination);
  const auto time_wait = Shown(e, "tcpdoctor_destination_time_wait_sockets", destination);
  for (const nlohmann::json& d : facts["busiest"]) {
    const std::string key = "127.0.0.1 127.0.0.1 " + d["port"].get<std::string>();
    ASSERT_TRUE(ports.contains(key)) << key;
    EXPECT_EQ(ports.at(key), std::to_string(d["ports"].get<int>()));
    EXPECT_EQ(time_wait.at(key), std::to_string(d["ports"].get<int>()));
  }
  const auto processes = Shown(e, "tcpdoctor_process_close_wait_sockets", {"comm"});
  for (const char* comm : {"fd-hog", "cw-leak-a", "cw-leak-b"}) {
    EXPECT_TRUE(processes.contains(comm)) << comm;
  }
  const std::map<std::string, std::string> hog = {
      {"netns", netns},
      {"pid", std::to_string(facts["holders"]["fd-hog"].get<int>())},
      {"comm", "fd-hog"}};
  EXPECT_EQ(e.Value("tcpdoctor_process_open_fds", hog),
            std::to_string(facts["open_fds"]["fd-hog"].get<int>()));
  EXPECT_EQ(e.Value("tcpdoctor_process_max_fds", hog), "240");
  EXPECT_EQ(e.Value("tcpdoctor_process_close_wait_sockets", hog), "0");
  // The checkup's rules ran on the same snapshot: fd-hog is at 85 % of its limit.
  EXPECT_EQ(e.Find("tcpdoctor_finding",
                   {{"netns", netns}, {"rule", "fd-exhaustion"}, {"severity", "warning"}})
                .size(),
            1u);
}

void CheckExporters(pid_t population_pid, const nlohmann::json& facts) {
  ASSERT_TRUE(facts.contains("held")) << "the population was not built: " << facts.dump();
  const std::string netns = "/proc/" + std::to_string(population_pid) + "/ns/net";
  const Tops defaults;
  const Tops small{kSmallTop, kSmallTop, kSmallTop, 1};
  std::vector<std::string> args = {"--netns", netns};
  ExporterProcess with_defaults(args);
  const std::vector<std::string> small_args = small.Args();
  args.insert(args.end(), small_args.begin(), small_args.end());
  ExporterProcess with_small_tops(args);
  ASSERT_TRUE(with_defaults.ready() && with_small_tops.ready());
  const std::string default_text = with_defaults.Scrape();
  const std::string small_text = with_small_tops.Scrape();
  std::cout << "[ measure  ] scrape of 10,000 peers: " << default_text.size()
            << " bytes with the default --top-*, " << small_text.size() << " with " << kSmallTop
            << "\n";
  // Measured: 36 KB with the defaults, 23 KB with tops of 3 (most of it HELP and TYPE lines);
  // one series per destination would have been over 3 MB.
  CheckScrape(default_text, facts, netns, defaults, 48 * 1024);
  CheckScrape(small_text, facts, netns, small, 32 * 1024);
  for (ExporterProcess* exporter : {&with_defaults, &with_small_tops}) {
    const ProcessExit stopped = exporter->Stop();
    EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << stopped.Describe();
  }
}

TEST(ServeCardinalityTest, TenThousandPeersKeepEveryFamilyToItsTopN) {
  RunWithObserverNetns(
      [] {
        PeersPopulation population;
        population.Build();
        HandOffToHost(population.facts().dump());
      },
      [](pid_t pid, const std::string& facts) {
        CheckExporters(pid, nlohmann::json::parse(facts));
      });
}

}  // namespace
}  // namespace tcpdoctor::itest
