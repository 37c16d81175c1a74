// `tcpdoctor ports` in a namespace with a narrowed ip_local_port_range: a destination whose
// ports are all held in TIME_WAIT (the client closed first) until connect() fails with
// EADDRNOTAVAIL must show 100 % used, while other destinations keep their exact counts; the
// budget shrinks with reserved ports, tcp_tw_reuse decides whether TIME_WAIT ports are
// reusable, and a listener's accepted connections are not outgoing ones. The expected figures
// come from the test's own sockets and from what connect() let it do.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <tuple>

#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/proc_net_tcp_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

constexpr int kRangeLow = 40000;  // even start, odd end: the parity the kernel asks for
constexpr int kRangeHigh = 40009;
constexpr int kRangeSize = kRangeHigh - kRangeLow + 1;
constexpr int kMaxConnects = 1000;  // a bound on the loops that run until connect() fails

Endpoint At(const char* address, uint16_t port) { return *Endpoint::Parse(address, port); }

// Outgoing sockets the test made to one destination, as tcpdoctor should count them.
struct Tally {
  uint64_t in_use = 0;
  uint64_t time_wait = 0;
};
// (local address, remote address, remote port), as tcpdoctor prints them.
using DestinationKey = std::tuple<std::string, std::string, uint16_t>;

class Destinations {
 public:
  void Count(const Endpoint& local, const Endpoint& remote, bool time_wait) {
    Tally& t = tallies_[{local.Address(), remote.Address(), remote.port}];
    ++t.in_use;
    if (time_wait) ++t.time_wait;
  }
  const std::map<DestinationKey, Tally>& tallies() const { return tallies_; }
  uint64_t time_wait() const {
    uint64_t n = 0;
    for (const auto& [key, t] : tallies_) n += t.time_wait;
    return n;
  }

 private:
  std::map<DestinationKey, Tally> tallies_;
};

// One connection to `listener`, accepted. Empty fds and `error` set when connect() fails.
struct Pair {
  UniqueFd client;
  UniqueFd server;
  int error = 0;
};
Pair Open(int listener, const Endpoint& to) {
  Pair p;
  Connection c = ConnectAndWait(to);
  if (!c.fd) {
    p.error = c.error;
    return p;
  }
  p.client = std::move(c.fd);
  p.server = AcceptOne(listener);
  return p;
}

// Connects to `to` and closes client first until connect() fails: every port the kernel will
// give toward `to` ends up in TIME_WAIT. Returns how many connects succeeded.
int ExhaustWithTimeWait(int listener, const Endpoint& to, Destinations& expected) {
  for (int n = 0; n < kMaxConnects; ++n) {
    Pair p = Open(listener, to);
    if (!p.client) {
      EXPECT_EQ(p.error, EADDRNOTAVAIL)
          << "connect() to " << to.WithPort() << " after " << n
          << " ports should fail with EADDRNOTAVAIL, got: " << std::strerror(p.error);
      return n;
    }
    if (!p.server) return n;
    expected.Count(LocalOf(p.client.get()), to, /*time_wait=*/true);
    CloseInOrder(p.client, p.server);
    if (::testing::Test::HasFatalFailure()) return n;
  }
  ADD_FAILURE() << "connect() to " << to.WithPort() << " never ran out of ports";
  return kMaxConnects;
}

// Waits until /proc/net/tcp shows `time_wait` TIME_WAIT sockets and no closing handshake
// still under way.
void SettleTimeWait(uint64_t time_wait) {
  std::string last;
  const bool settled = WaitUntil([&] {
    std::string error;
    const std::vector<SocketTuple> table = ReadProcNetTcp(error);
    uint64_t tw = 0;
    bool closing = false;
    for (const SocketTuple& s : table) {
      tw += s.state == State::kTimeWait ? 1 : 0;
      closing |= s.state == State::kFinWait1 || s.state == State::kFinWait2 ||
                 s.state == State::kLastAck || s.state == State::kCloseWait;
    }
    last = std::to_string(tw) + " TIME_WAIT" + (closing ? ", closes under way" : "") + error;
    return tw == time_wait && !closing && error.empty();
  });
  ASSERT_TRUE(settled) << "expected " << time_wait << " TIME_WAIT, have " << last;
}

nlohmann::json DestinationRow(const nlohmann::json& doc, const DestinationKey& key) {
  for (const nlohmann::json& row : doc["destinations"]) {
    if (row["local"] == std::get<0>(key) && row["remote"] == std::get<1>(key) &&
        row["remote_port"] == std::get<2>(key)) {
      return row;
    }
  }
  return nullptr;
}

std::string Name(const DestinationKey& key) {
  return std::get<0>(key) + " -> " + std::get<1>(key) + ":" + std::to_string(std::get<2>(key));
}

// Every destination of `expected` with its exact counts, and no other.
void ExpectDestinations(const nlohmann::json& doc, const Destinations& expected,
                        uint64_t range_size) {
  EXPECT_EQ(doc["destinations"].size(), expected.tallies().size()) << doc.dump(2);
  for (const auto& [key, tally] : expected.tallies()) {
    const nlohmann::json row = DestinationRow(doc, key);
    ASSERT_FALSE(row.is_null()) << "no destination " << Name(key) << ": " << doc.dump(2);
    EXPECT_EQ(row["in_use"], tally.in_use) << Name(key);
    EXPECT_EQ(row["time_wait"], tally.time_wait) << Name(key);
    EXPECT_EQ(row["range_size"], range_size) << Name(key);
    EXPECT_DOUBLE_EQ(row["percent_used"].get<double>(),
                     100.0 * static_cast<double>(tally.in_use) / static_cast<double>(range_size))
        << Name(key);
  }
}

void Narrow(const std::string& reserved = "") {
  SetNamespaceSysctl("net/ipv4/ip_local_port_range",
                     std::to_string(kRangeLow) + " " + std::to_string(kRangeHigh));
  SetNamespaceSysctl("net/ipv4/ip_local_reserved_ports", reserved);
  SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", "0");
}

TEST(PortsExhaustionTest, ExhaustedDestinationIsFullAndOthersKeepTheirCounts) {
  RunInNetns([] {
    ASSERT_NO_FATAL_FAILURE(Narrow());
    // Listeners outside the range, so that they take none of its ports.
    const Endpoint a = At("127.0.0.2", 5000);
    const Endpoint b = At("127.0.0.3", 5000);  // another address, same port
    const Endpoint c = At("127.0.0.2", 5001);  // same address, another port
    const UniqueFd la = Listen(a, 64);
    const UniqueFd lb = Listen(b, 64);
    const UniqueFd lc = Listen(c, 64);
    ASSERT_TRUE(la && lb && lc);

    Destinations expected;
    const int exhausted = ExhaustWithTimeWait(la.get(), a, expected);
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(exhausted, kRangeSize) << "connect() gave " << exhausted << " ports toward "
                                     << a.WithPort() << " from a " << kRangeSize << "-port range";
    // The other destinations have budgets of their own.
    std::vector<Pair> open;
    for (int i = 0; i < 3; ++i) {
      open.push_back(Open(lb.get(), b));
      ASSERT_TRUE(open.back().client && open.back().server) << std::strerror(open.back().error);
      expected.Count(LocalOf(open.back().client.get()), b, false);
    }
    for (int i = 0; i < 3; ++i) {
      Pair p = Open(lc.get(), c);
      ASSERT_TRUE(p.client && p.server) << std::strerror(p.error);
      const bool close = i < 2;
      expected.Count(LocalOf(p.client.get()), c, close);
      if (close) {
        ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.client, p.server));
      } else {
        open.push_back(std::move(p));
      }
    }
    ASSERT_NO_FATAL_FAILURE(SettleTimeWait(expected.time_wait()));
    // Still exhausted toward `a`.
    const Connection refused = ConnectAndWait(a);
    EXPECT_FALSE(refused.fd);
    EXPECT_EQ(refused.error, EADDRNOTAVAIL) << std::strerror(refused.error);

    const auto doc = TcpdoctorJson({"ports"});
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["range"]["low"], kRangeLow);
    EXPECT_EQ((*doc)["range"]["high"], kRangeHigh);
    EXPECT_EQ((*doc)["reserved_in_range"], 0);
    EXPECT_EQ((*doc)["usable_ports"], exhausted);
    EXPECT_EQ((*doc)["tcp_tw_reuse"], 0);
    EXPECT_TRUE((*doc)["interval_seconds"].is_null());
    EXPECT_EQ((*doc)["other_destinations"], 0);
    ASSERT_NO_FATAL_FAILURE(ExpectDestinations(*doc, expected, exhausted));
    DestinationKey a_key;
    for (const auto& [key, tally] : expected.tallies()) {
      if (std::get<1>(key) == a.Address() && std::get<2>(key) == a.port) a_key = key;
    }
    const nlohmann::json full = (*doc)["destinations"][0];
    EXPECT_EQ(DestinationKey(full["local"].get<std::string>(), full["remote"].get<std::string>(),
                             full["remote_port"].get<uint16_t>()),
              a_key)
        << "the most used destination comes first: " << doc->dump(2);
    EXPECT_EQ(full["in_use"], kRangeSize);
    EXPECT_EQ(full["time_wait"], kRangeSize);
    EXPECT_DOUBLE_EQ(full["percent_used"].get<double>(), 100.0);
    EXPECT_EQ(full["time_wait_reusable"], false) << "tcp_tw_reuse is 0";
    // All of them closed within the last minute.
    EXPECT_NEAR(full["new_per_second"].get<double>(), kRangeSize / 60.0, 1e-9) << full.dump();

    // -n 1: the exhausted destination, and how many are left out.
    const auto top = TcpdoctorJson({"ports", "-n", "1"});
    ASSERT_TRUE(top.has_value());
    ASSERT_EQ((*top)["destinations"].size(), 1u);
    EXPECT_EQ((*top)["destinations"][0], full);
    EXPECT_EQ((*top)["other_destinations"], expected.tallies().size() - 1);

    // A filter narrows the destinations, not their counts.
    const auto only_c = TcpdoctorJson({"ports", "--dport", std::to_string(c.port)});
    ASSERT_TRUE(only_c.has_value());
    ASSERT_EQ((*only_c)["destinations"].size(), 1u) << only_c->dump(2);
    EXPECT_EQ((*only_c)["destinations"][0]["remote_port"], c.port);
    EXPECT_EQ((*only_c)["destinations"][0]["in_use"], 3);
    EXPECT_EQ((*only_c)["destinations"][0]["time_wait"], 2);

    // Nothing changes over -i: no growth, no exhaustion forecast.
    const auto sampled = TcpdoctorJson({"ports", "-i", "0.3"});
    ASSERT_TRUE(sampled.has_value());
    EXPECT_EQ((*sampled)["interval_seconds"], 0.3);
    ASSERT_NO_FATAL_FAILURE(ExpectDestinations(*sampled, expected, exhausted));
    for (const nlohmann::json& row : (*sampled)["destinations"]) {
      EXPECT_EQ(row["growth_per_second"], 0.0) << row.dump();
      EXPECT_TRUE(row["seconds_to_exhaustion"].is_null()) << row.dump();
    }

    // Whether connect() may take over the TIME_WAIT ports: tcp_tw_reuse (1 everywhere, 2 on
    // loopback) with timestamps on.
    for (const auto& [reuse, timestamps, reusable] :
         {std::tuple{"1", "1", true}, std::tuple{"2", "1", true}, std::tuple{"1", "0", false},
          std::tuple{"0", "1", false}}) {
      ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", reuse));
      ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_timestamps", timestamps));
      const auto with_reuse = TcpdoctorJson({"ports"});
      ASSERT_TRUE(with_reuse.has_value());
      EXPECT_EQ((*with_reuse)["tcp_tw_reuse"], std::stoi(reuse));
      EXPECT_EQ((*with_reuse)["timestamps"], std::string(timestamps) == "1");
      const nlohmann::json row = DestinationRow(*with_reuse, a_key);
      ASSERT_FALSE(row.is_null());
      EXPECT_EQ(row["time_wait_reusable"], reusable)
          << "tcp_tw_reuse=" << reuse << " tcp_timestamps=" << timestamps;
    }
    // And the claim holds: with reuse on, connect() gets a TIME_WAIT port back.
    ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_timestamps", "1"));
    ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", "1"));
    if (ReadSysctl("net/ipv4/tcp_tw_reuse_delay")) {
      ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_tw_reuse_delay", "1"));
    }
    Connection reused;
    EXPECT_TRUE(WaitUntil([&] {
      reused = ConnectAndWait(a);
      return static_cast<bool>(reused.fd);
    })) << "connect() with tcp_tw_reuse=1 still fails: "
        << std::strerror(reused.error);
  });
}

TEST(PortsExhaustionTest, ReservedPortsShrinkTheBudget) {
  RunInNetns([] {
    constexpr int kReservedLow = 40002;
    constexpr int kReservedHigh = 40004;
    // One more reserved port outside the range: it must not count.
    ASSERT_NO_FATAL_FAILURE(
        Narrow(std::to_string(kReservedLow) + "-" + std::to_string(kReservedHigh) + ",50000"));
    const Endpoint to = At("127.0.0.2", 5000);
    const UniqueFd listener = Listen(to, 64);
    ASSERT_TRUE(listener);
    Destinations expected;
    std::vector<Pair> open;
    for (int n = 0; n < kMaxConnects; ++n) {
      Pair p = Open(listener.get(), to);
      if (!p.client) {
        EXPECT_EQ(p.error, EADDRNOTAVAIL) << std::strerror(p.error);
        break;
      }
      ASSERT_TRUE(p.server);
      const Endpoint local = LocalOf(p.client.get());
      EXPECT_FALSE(local.port >= kReservedLow && local.port <= kReservedHigh)
          << "connect() used reserved port " << local.port;
      expected.Count(local, to, false);
      open.push_back(std::move(p));
    }
    const auto usable = open.size();
    ASSERT_GT(usable, 0u);

    const auto doc = TcpdoctorJson({"ports"});
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["reserved_in_range"], kReservedHigh - kReservedLow + 1) << doc->dump(2);
    EXPECT_EQ((*doc)["usable_ports"], usable)
        << "connect() found " << usable << " usable ports: " << doc->dump(2);
    ASSERT_NO_FATAL_FAILURE(ExpectDestinations(*doc, expected, usable));
    ASSERT_EQ((*doc)["destinations"].size(), 1u);
    EXPECT_DOUBLE_EQ((*doc)["destinations"][0]["percent_used"].get<double>(), 100.0);
  });
}

TEST(PortsServerSideTest, AcceptedConnectionsOnAListeningPortAreNotOutgoing) {
  RunInNetns([] {
    SetNamespaceSysctl("net/ipv4/ip_local_port_range", "40000 40099");
    // A listener on a port inside the range: its accepted connections and its server-side
    // TIME_WAIT sockets have a local port from the range, but took nothing from the budget.
    const Endpoint to = At("127.0.0.1", 40051);
    const UniqueFd listener = Listen(to, 64);
    ASSERT_TRUE(listener);
    Destinations expected;
    std::vector<Pair> open;
    for (int i = 0; i < 3; ++i) {
      Pair p = Open(listener.get(), to);
      ASSERT_TRUE(p.client && p.server) << std::strerror(p.error);
      expected.Count(LocalOf(p.client.get()), to, false);
      open.push_back(std::move(p));
    }
    for (int i = 0; i < 2; ++i) {  // the server closes first: TIME_WAIT on 127.0.0.1:40051
      Pair p = Open(listener.get(), to);
      ASSERT_TRUE(p.client && p.server) << std::strerror(p.error);
      ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.server, p.client));
    }
    ASSERT_NO_FATAL_FAILURE(SettleTimeWait(2));

    const auto doc = TcpdoctorJson({"ports"});
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["usable_ports"], 100);
    ASSERT_NO_FATAL_FAILURE(ExpectDestinations(*doc, expected, 100));
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
