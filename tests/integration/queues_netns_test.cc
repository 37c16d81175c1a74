// --netns for `listeners`, `counters` and `ports`: run from the host, they must report the
// target namespace's queues, sysctls (somaxconn, ip_local_port_range) and counters
// (ListenOverflows), all read inside it, not the host's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

// Values the host namespace is unlikely to have: the defaults are 4096 and 32768-60999.
constexpr int kSomaxconn = 1357;
constexpr int kRangeLow = 40100;
constexpr int kRangeHigh = 40119;
constexpr int kSmallBacklog = 2;
constexpr int kExtraClients = 3;

Endpoint Loopback(uint16_t port = 0) { return *Endpoint::Parse("127.0.0.1", port); }

nlohmann::json ListenerRow(const nlohmann::json& doc, uint16_t port) {
  for (const nlohmann::json& row : doc["listeners"]) {
    if (row["port"] == port) return row;
  }
  return nullptr;
}

TEST(CountersNetnsTest, ListenersCountersAndPortsFromTheHostAreTheChilds) {
  bool checked = false;
  RunInNetns(
      [] {
        ASSERT_NO_FATAL_FAILURE(
            SetNamespaceSysctl("net/core/somaxconn", std::to_string(kSomaxconn)));
        ASSERT_NO_FATAL_FAILURE(
            SetNamespaceSysctl("net/ipv4/ip_local_port_range",
                               std::to_string(kRangeLow) + " " + std::to_string(kRangeHigh)));

        // Asks for far more than somaxconn: capped to it at listen() time.
        Endpoint big_at;
        const UniqueFd big = Listen(Loopback(), 100000, &big_at);
        ASSERT_TRUE(big);
        // A small one, flooded: backlog+1 queued, the rest dropped (ListenOverflows).
        Endpoint small_at;
        const UniqueFd small = Listen(Loopback(), kSmallBacklog, &small_at);
        ASSERT_TRUE(small);
        std::vector<UniqueFd> clients;
        for (int i = 0; i < kSmallBacklog + 1 + kExtraClients; ++i) {
          Connection c = ConnectNoWait(small_at);
          ASSERT_TRUE(c.fd) << std::strerror(c.error);
          clients.push_back(std::move(c.fd));
        }
        const auto established = [&clients] {
          return std::count_if(clients.begin(), clients.end(), [](const UniqueFd& fd) {
            return StateOf(fd.get()) == State::kEstablished;
          });
        };
        WaitUntil([&] { return established() >= kSmallBacklog + 1; });
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto queued = established();
        // Only the queued clients stay, so that no SYN retransmission moves the counters.
        std::erase_if(clients,
                      [](const UniqueFd& fd) { return StateOf(fd.get()) != State::kEstablished; });
        std::string error;
        const CounterValues proc = ReadProcCounters(error);
        ASSERT_EQ(error, "");
        const int64_t overflows = proc.at("TcpExt.ListenOverflows");
        ASSERT_GE(overflows, kExtraClients);

        const nlohmann::json facts = {{"big_port", big_at.port},
                                      {"small_port", small_at.port},
                                      {"queued", queued},
                                      {"overflows", overflows},
                                      {"drops", proc.at("TcpExt.ListenDrops")}};
        HandOffToHost(facts.dump());
      },
      [&checked](pid_t child, const std::string& payload) {
        const nlohmann::json facts = nlohmann::json::parse(payload);
        const std::string netns = "/proc/" + std::to_string(child) + "/ns/net";

        const auto listeners = TcpdoctorJson({"--netns", netns, "listeners"});
        ASSERT_TRUE(listeners.has_value());
        EXPECT_EQ((*listeners)["somaxconn"], kSomaxconn) << "somaxconn must be the child's";
        EXPECT_EQ((*listeners)["listeners"].size(), 2u) << listeners->dump(2);
        const nlohmann::json big = ListenerRow(*listeners, facts["big_port"].get<uint16_t>());
        ASSERT_FALSE(big.is_null()) << listeners->dump(2);
        EXPECT_EQ(big["backlog"], kSomaxconn) << big.dump();
        EXPECT_EQ(big["capped_by_somaxconn"], true) << big.dump();
        EXPECT_EQ(big["accept_queue"], 0) << big.dump();
        const nlohmann::json small = ListenerRow(*listeners, facts["small_port"].get<uint16_t>());
        ASSERT_FALSE(small.is_null()) << listeners->dump(2);
        EXPECT_EQ(small["backlog"], kSmallBacklog) << small.dump();
        EXPECT_EQ(small["accept_queue"], facts["queued"]) << small.dump();
        EXPECT_EQ(small["full"], true) << small.dump();
        EXPECT_EQ(small["capped_by_somaxconn"], false) << small.dump();
        EXPECT_EQ((*listeners)["listen_overflows"], facts["overflows"])
            << "ListenOverflows must be the child's";
        EXPECT_EQ((*listeners)["listen_drops"], facts["drops"]);

        // Sampled: the deltas come from two reads in the child's namespace, where nothing
        // moves now.
        const auto sampled = TcpdoctorJson({"listeners", "-i", "0.3", "--netns", netns});
        ASSERT_TRUE(sampled.has_value());
        EXPECT_EQ((*sampled)["somaxconn"], kSomaxconn);
        EXPECT_EQ((*sampled)["listen_overflows"], facts["overflows"]);
        EXPECT_EQ((*sampled)["listen_overflows_delta"], 0) << sampled->dump(2);

        for (const std::vector<std::string>& args :
             {std::vector<std::string>{"--netns", netns, "counters"},
              std::vector<std::string>{"counters", "ListenOverflows", "ListenDrops", "--netns",
                                       netns}}) {
          const auto counters = TcpdoctorJson(args);
          ASSERT_TRUE(counters.has_value());
          const nlohmann::json lo = CounterRow(*counters, "TcpExt.ListenOverflows");
          ASSERT_FALSE(lo.is_null()) << counters->dump(2);
          EXPECT_EQ(lo["value"], facts["overflows"]) << CommandLine(args);
          const nlohmann::json ld = CounterRow(*counters, "TcpExt.ListenDrops");
          ASSERT_FALSE(ld.is_null()) << counters->dump(2);
          EXPECT_EQ(ld["value"], facts["drops"]) << CommandLine(args);
        }
        const auto counters_i =
            TcpdoctorJson({"--netns", netns, "counters", "ListenOverflows", "-i", "0.3"});
        ASSERT_TRUE(counters_i.has_value());
        const nlohmann::json lo = CounterRow(*counters_i, "TcpExt.ListenOverflows");
        ASSERT_FALSE(lo.is_null()) << counters_i->dump(2);
        EXPECT_EQ(lo["value"], facts["overflows"]);
        EXPECT_EQ(lo["delta"], 0) << lo.dump();

        const auto ports = TcpdoctorJson({"ports", "--netns", netns});
        ASSERT_TRUE(ports.has_value());
        EXPECT_EQ((*ports)["range"]["low"], kRangeLow) << ports->dump(2);
        EXPECT_EQ((*ports)["range"]["high"], kRangeHigh) << ports->dump(2);
        EXPECT_EQ((*ports)["usable_ports"], kRangeHigh - kRangeLow + 1) << ports->dump(2);
        // The child's clients got their ports from the child's range.
        ASSERT_EQ((*ports)["destinations"].size(), 1u) << ports->dump(2);
        EXPECT_EQ((*ports)["destinations"][0]["remote_port"], facts["small_port"]);
        EXPECT_EQ((*ports)["destinations"][0]["in_use"], facts["queued"]);
        checked = true;
      });
  EXPECT_TRUE(checked);
}

}  // namespace
}  // namespace tcpdoctor::itest
