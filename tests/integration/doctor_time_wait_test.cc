// `tcpdoctor checkup` against real TIME_WAIT conditions made in a private network namespace on
// loopback, each cross-checked with what the kernel shows (ss, /proc/net/netstat):
// - port-exhaustion: a 20-port ip_local_port_range, connections to one destination (some left
//   in TIME_WAIT) at 45 % (nothing), 60 % (warning) and 85 % (critical);
// - server-active-close: a server that closes first leaves TIME_WAIT on its listening port:
//   quiet at the default thresholds, info with a lower info_sockets, a warning when that is a
//   large share of a lowered tcp_max_tw_buckets;
// - time-wait-overflow: tcp_max_tw_buckets 5 reached (warning with one sample), then more
//   closes during `checkup -i 2`: TCPTimeWaitOverflow's increase as the test measured it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

Endpoint At(const char* address, uint16_t port) { return *Endpoint::Parse(address, port); }

// `tcpdoctor checkup ARGS --json`: exit 0, 1 or 2 by the worst finding, one JSON document.
struct Checkup {
  Checkup(int code, nlohmann::json parsed) : exit_code(code), doc(std::move(parsed)) {}
  int exit_code;
  nlohmann::json doc;
};
Checkup RunCheckup(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"checkup"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--json");
  const CommandResult run = RunTcpdoctor(argv);
  EXPECT_TRUE(run.exit_code >= 0 && run.exit_code <= 2)
      << CommandLine(argv) << ": " << run.Describe();
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << CommandLine(argv) << ": " << run.out;
  if (doc.is_discarded()) doc = nlohmann::json::object();
  return Checkup(run.exit_code, std::move(doc));
}

// The findings of rule `id`.
std::vector<nlohmann::json> FindingsOf(const nlohmann::json& doc, const std::string& id) {
  std::vector<nlohmann::json> out;
  if (!doc.contains("findings")) return out;
  for (const nlohmann::json& f : doc["findings"]) {
    if (f["id"] == id) out.push_back(f);
  }
  return out;
}

// Exit 1 with a warning at worst, 2 with a critical finding.
void ExpectExitMatchesSeverity(const Checkup& c) {
  int worst = 0;
  for (const nlohmann::json& f : c.doc["findings"]) {
    const std::string severity = f["severity"];
    worst = std::max(worst, severity == "critical" ? 2 : severity == "warning" ? 1 : 0);
  }
  EXPECT_EQ(c.exit_code, worst) << c.doc.dump(2);
}

// One connection to `listener`, accepted; from `source` (port 0) when it is given.
struct Pair {
  UniqueFd client;
  UniqueFd server;
};
Pair Open(int listener, const Endpoint& to, const Endpoint* source = nullptr) {
  Pair p;
  if (source == nullptr) {
    Connection c = ConnectAndWait(to);
    EXPECT_TRUE(c.fd) << "connect() to " << to.WithPort() << ": " << std::strerror(c.error);
    p.client = std::move(c.fd);
  } else {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_storage from{};
    sockaddr_storage dest{};
    const socklen_t from_len = source->ToSockaddr(from);
    const socklen_t dest_len = to.ToSockaddr(dest);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), from_len), 0)
        << std::strerror(errno);
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&dest), dest_len), 0)
        << std::strerror(errno);
    p.client = std::move(fd);
  }
  if (p.client) p.server = AcceptOne(listener);
  return p;
}

// Counts of `ss -tan` rows: all, and TIME_WAIT, matching `match`.
struct SsCount {
  uint64_t all = 0;
  uint64_t time_wait = 0;
  uint64_t closing = 0;  // closes still under way
};
template <typename Match>
SsCount CountSs(const Match& match) {
  const SsResult ss = RunSs();
  EXPECT_TRUE(ss.error.empty()) << ss.error;
  SsCount n;
  for (const SocketTuple& s : ss.rows) {
    if (s.state == State::kFinWait1 || s.state == State::kFinWait2 || s.state == State::kLastAck ||
        s.state == State::kCloseWait || s.state == State::kClosing) {
      ++n.closing;
    }
    if (s.state == State::kListen || !match(s)) continue;
    ++n.all;
    if (s.state == State::kTimeWait) ++n.time_wait;
  }
  return n;
}

// Waits until ss shows no close under way and `time_wait` TIME_WAIT sockets in all.
void Settle(uint64_t time_wait) {
  SsCount n;
  const bool settled = WaitUntil([&] {
    n = CountSs([](const SocketTuple&) { return true; });
    return n.closing == 0 && n.time_wait == time_wait;
  });
  ASSERT_TRUE(settled) << "ss: " << n.time_wait << " TIME_WAIT (expected " << time_wait << "), "
                       << n.closing << " closes under way";
}

int64_t CounterValue(const std::string& key) {
  std::string error;
  const CounterValues values = ReadProcCounters(error);
  EXPECT_TRUE(error.empty()) << error;
  const auto it = values.find(key);
  EXPECT_NE(it, values.end()) << key;
  return it == values.end() ? -1 : it->second;
}

// ---------------------------------------------------------------------------------------------
// port-exhaustion

constexpr int kRangeLow = 40000;  // even start, odd end (kernel-facts §4)
constexpr int kRangeHigh = 40019;
constexpr int kRangeSize = kRangeHigh - kRangeLow + 1;

TEST(DoctorPortExhaustionTest, WarningAtSixtyAndCriticalAtEightyFivePercent) {
  RunInNetns([] {
    ASSERT_NO_FATAL_FAILURE(
        SetNamespaceSysctl("net/ipv4/ip_local_port_range",
                           std::to_string(kRangeLow) + " " + std::to_string(kRangeHigh)));
    ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", "0"));
    const Endpoint to = At("127.0.0.2", 5000);  // outside the range
    const UniqueFd listener = Listen(to, 64);
    ASSERT_TRUE(listener);

    std::vector<Pair> open;
    std::string local;
    uint64_t closed = 0;
    // Adds connections to `to` until `total` exist, every third one closed by the client
    // (TIME_WAIT on its port).
    const auto grow_to = [&](uint64_t total) {
      while (open.size() + closed < total) {
        Pair p = Open(listener.get(), to);
        ASSERT_TRUE(p.client && p.server);
        local = LocalOf(p.client.get()).Address();
        if ((open.size() + closed) % 3 == 2) {
          ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.client, p.server));
          ++closed;
        } else {
          open.push_back(std::move(p));
        }
      }
      ASSERT_NO_FATAL_FAILURE(Settle(closed));
    };
    const auto to_destination = [&](const SocketTuple& s) {
      return s.remote == to && s.local.port >= kRangeLow && s.local.port <= kRangeHigh;
    };

    // 9 of 20 (45 %): nothing.
    ASSERT_NO_FATAL_FAILURE(grow_to(9));
    Checkup quiet = RunCheckup({"-i", "0"});
    EXPECT_TRUE(FindingsOf(quiet.doc, "port-exhaustion").empty()) << quiet.doc.dump(2);

    const std::string subject = local + " -> " + to.WithPort();
    for (const auto& [total, severity, exit_code] :
         {std::tuple{12, "warning", 1}, std::tuple{17, "critical", 2}}) {
      ASSERT_NO_FATAL_FAILURE(grow_to(total));
      const SsCount ss = CountSs(to_destination);
      ASSERT_EQ(ss.all, static_cast<uint64_t>(total)) << "ss disagrees with the test's count";
      const Checkup c = RunCheckup({"-i", "0"});
      const auto findings = FindingsOf(c.doc, "port-exhaustion");
      ASSERT_EQ(findings.size(), 1u) << c.doc.dump(2);
      const nlohmann::json& f = findings[0];
      EXPECT_EQ(f["severity"], severity) << f.dump(2);
      EXPECT_EQ(f["subject"], subject);
      const nlohmann::json& data = f["data"];
      EXPECT_EQ(data["destination"], subject);
      EXPECT_EQ(data["local"], local);
      EXPECT_EQ(data["remote"], to.Address());
      EXPECT_EQ(data["remote_port"], to.port);
      EXPECT_EQ(data["in_use"], ss.all);
      EXPECT_EQ(data["time_wait"], ss.time_wait);
      EXPECT_EQ(data["time_wait"], closed);
      EXPECT_EQ(data["range_size"], kRangeSize);
      EXPECT_EQ(data["range_low"], kRangeLow);
      EXPECT_EQ(data["range_high"], kRangeHigh);
      EXPECT_DOUBLE_EQ(data["percent_used"].get<double>(), 100.0 * total / kRangeSize);
      EXPECT_EQ(data["tcp_tw_reuse"], 0);
      EXPECT_EQ(data["time_wait_reusable"], 0);
      // tcp_tw_reuse=0 and TIME_WAIT ports: the fix turns it on, for connect() only.
      std::string fix;
      for (const auto& step : f["fix"]) fix += step.get<std::string>() + "\n";
      EXPECT_NE(fix.find("sysctl -w net.ipv4.tcp_tw_reuse=1"), std::string::npos) << fix;
      EXPECT_NE(fix.find("net.ipv4.ip_local_port_range=\"10000 65535\""), std::string::npos) << fix;
      EXPECT_GE(c.exit_code, exit_code) << c.doc.dump(2);
      ExpectExitMatchesSeverity(c);
    }

    // And the kernel agrees the budget is per destination and nearly gone: 3 more connects
    // succeed and the next fails.
    for (int i = 0; i < kRangeSize - 17; ++i) {
      Connection c = ConnectAndWait(to);
      ASSERT_TRUE(c.fd) << i << ": " << std::strerror(c.error);
      UniqueFd accepted = AcceptOne(listener.get());
      open.push_back(Pair{std::move(c.fd), std::move(accepted)});
    }
    const Connection refused = ConnectAndWait(to);
    EXPECT_FALSE(refused.fd);
    EXPECT_EQ(refused.error, EADDRNOTAVAIL) << std::strerror(refused.error);
  });
}

// ---------------------------------------------------------------------------------------------
// server-active-close

TEST(DoctorServerActiveCloseTest, TimeWaitOnTheListeningPortOfAServerThatClosesFirst) {
  RunInNetns([] {
    ASSERT_EQ(::prctl(PR_SET_NAME, "webserver", 0, 0, 0), 0) << std::strerror(errno);
    const Endpoint service = At("127.0.0.1", 8080);
    const UniqueFd listener = Listen(service, 64);
    ASSERT_TRUE(listener);
    const Endpoint other_client = At("127.0.0.5", 0);
    constexpr int kFromLoopback = 20;
    constexpr int kFromOther = 10;
    for (int i = 0; i < kFromLoopback + kFromOther; ++i) {
      Pair p = Open(listener.get(), service, i < kFromLoopback ? nullptr : &other_client);
      ASSERT_TRUE(p.client && p.server);
      ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.server, p.client));  // the server closes first
    }
    ASSERT_NO_FATAL_FAILURE(Settle(kFromLoopback + kFromOther));
    const SsCount ss = CountSs([&](const SocketTuple& s) { return s.local == service; });
    ASSERT_EQ(ss.time_wait, static_cast<uint64_t>(kFromLoopback + kFromOther));

    // A few dozen at the default thresholds: a healthy server, nothing to say.
    const Checkup quiet = RunCheckup({"-i", "0"});
    EXPECT_TRUE(FindingsOf(quiet.doc, "server-active-close").empty()) << quiet.doc.dump(2);

    // With info_sockets lowered: info, with the port, its process and the clients.
    Checkup c = RunCheckup({"-i", "0", "--set", "server-active-close.info_sockets=25"});
    auto findings = FindingsOf(c.doc, "server-active-close");
    ASSERT_EQ(findings.size(), 1u) << c.doc.dump(2);
    nlohmann::json f = findings[0];
    EXPECT_EQ(f["severity"], "info");
    EXPECT_EQ(f["subject"], "port 8080");
    EXPECT_EQ(f["data"]["port"], service.port);
    EXPECT_EQ(f["data"]["time_wait"], ss.time_wait);
    EXPECT_DOUBLE_EQ(f["data"]["closes_per_second"].get<double>(),
                     static_cast<double>(ss.time_wait) / 60);
    EXPECT_EQ(f["data"]["comm"], "webserver");
    EXPECT_EQ(f["data"]["pid"], ::getpid());
    EXPECT_EQ(f["data"]["top_client"], "127.0.0.1");
    EXPECT_EQ(f["data"]["top_client_time_wait"], kFromLoopback);
    std::string evidence;
    for (const auto& line : f["evidence"]) evidence += line.get<std::string>() + "\n";
    EXPECT_NE(evidence.find("Clients: 127.0.0.1 (20), 127.0.0.5 (10)"), std::string::npos)
        << evidence;
    EXPECT_NE(evidence.find("webserver[" + std::to_string(::getpid()) + "]"), std::string::npos)
        << evidence;
    ExpectExitMatchesSeverity(c);

    // Just above the count: quiet again.
    c = RunCheckup({"-i", "0", "--set", "server-active-close.info_sockets=31"});
    EXPECT_TRUE(FindingsOf(c.doc, "server-active-close").empty()) << c.doc.dump(2);

    // A small tcp_max_tw_buckets makes the same port a large share of it: a warning that says
    // to raise the limit.
    ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_max_tw_buckets", "100"));
    c = RunCheckup({"-i", "0", "--set", "server-active-close.info_sockets=25"});
    findings = FindingsOf(c.doc, "server-active-close");
    ASSERT_EQ(findings.size(), 1u) << c.doc.dump(2);
    f = findings[0];
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["data"]["tcp_max_tw_buckets"], 100);
    EXPECT_DOUBLE_EQ(f["data"]["tw_buckets_percent"].get<double>(),
                     static_cast<double>(ss.time_wait));
    std::string fix;
    for (const auto& step : f["fix"]) fix += step.get<std::string>() + "\n";
    EXPECT_NE(fix.find("sysctl -w net.ipv4.tcp_max_tw_buckets=200"), std::string::npos) << fix;
    EXPECT_GE(c.exit_code, 1);
    ExpectExitMatchesSeverity(c);
  });
}

// ---------------------------------------------------------------------------------------------
// time-wait-overflow

TEST(DoctorTimeWaitOverflowTest, BucketsFullThenOverflowDuringTheInterval) {
  RunInNetns([] {
    constexpr int kLimit = 5;
    ASSERT_NO_FATAL_FAILURE(
        SetNamespaceSysctl("net/ipv4/tcp_max_tw_buckets", std::to_string(kLimit)));
    const Endpoint service = At("127.0.0.1", 7000);
    const UniqueFd listener = Listen(service, 64);
    ASSERT_TRUE(listener);
    const auto client_first_closes = [&](int n) {
      for (int i = 0; i < n; ++i) {
        Pair p = Open(listener.get(), service);
        ASSERT_TRUE(p.client && p.server);
        ASSERT_NO_FATAL_FAILURE(CloseInOrder(p.client, p.server));
      }
    };
    const int64_t at_start = CounterValue("TcpExt.TCPTimeWaitOverflow");

    // Up to the limit: TIME_WAIT at 100 % of it, a warning even with one sample.
    ASSERT_NO_FATAL_FAILURE(client_first_closes(kLimit));
    ASSERT_NO_FATAL_FAILURE(Settle(kLimit));
    EXPECT_EQ(CounterValue("TcpExt.TCPTimeWaitOverflow"), at_start) << "no overflow yet";
    Checkup c = RunCheckup({"-i", "0"});
    auto findings = FindingsOf(c.doc, "time-wait-overflow");
    ASSERT_EQ(findings.size(), 1u) << c.doc.dump(2);
    nlohmann::json f = findings[0];
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["subject"], "tcp_max_tw_buckets");
    EXPECT_EQ(f["data"]["time_wait"], kLimit);
    EXPECT_EQ(f["data"]["tw_minisockets"], kLimit);
    EXPECT_EQ(f["data"]["tcp_max_tw_buckets"], kLimit);
    EXPECT_DOUBLE_EQ(f["data"]["percent_of_limit"].get<double>(), 100);
    EXPECT_FALSE(f["data"].contains("overflow_increase")) << "one sample";
    ExpectExitMatchesSeverity(c);

    // More closes while `checkup -i 2` samples the counters: each skips TIME_WAIT.
    constexpr int kMore = 7;
    const int64_t before = CounterValue("TcpExt.TCPTimeWaitOverflow");
    auto running =
        std::async(std::launch::async, RunCheckup,
                   std::vector<std::string>{"-i", "2", "--set",
                                            "time-wait-overflow.critical_per_second=1000000"});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // after its first sample
    client_first_closes(kMore);
    const Checkup sampled = running.get();
    ASSERT_FALSE(HasFatalFailure());
    const int64_t increase = CounterValue("TcpExt.TCPTimeWaitOverflow") - before;
    EXPECT_EQ(increase, kMore) << "kernel-facts §1: every close past the limit overflows";
    ASSERT_NO_FATAL_FAILURE(Settle(kLimit));
    const SsCount ss = CountSs([](const SocketTuple&) { return true; });

    findings = FindingsOf(sampled.doc, "time-wait-overflow");
    ASSERT_EQ(findings.size(), 1u) << sampled.doc.dump(2);
    f = findings[0];
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["data"]["overflow_increase"], increase);
    const double interval = sampled.doc["interval_seconds"].get<double>();
    EXPECT_NEAR(interval, 2, 0.5);
    EXPECT_NEAR(f["data"]["overflow_per_second"].get<double>(),
                static_cast<double>(increase) / interval, 1e-9);
    EXPECT_EQ(f["data"]["time_wait"], ss.time_wait);
    EXPECT_EQ(f["data"]["tcp_max_tw_buckets"], kLimit);
    std::string fix;
    for (const auto& step : f["fix"]) fix += step.get<std::string>() + "\n";
    EXPECT_NE(fix.find("sysctl -w net.ipv4.tcp_max_tw_buckets="), std::string::npos) << fix;
    EXPECT_GT(f["data"]["suggested_max_tw_buckets"].get<int64_t>(), kLimit);
    ExpectExitMatchesSeverity(sampled);

    // The same overflow rate is critical with a lower critical_per_second: one more round.
    const int64_t again = CounterValue("TcpExt.TCPTimeWaitOverflow");
    auto running_critical = std::async(
        std::launch::async, RunCheckup,
        std::vector<std::string>{"-i", "1", "--set", "time-wait-overflow.critical_per_second=1"});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    client_first_closes(kMore);
    const Checkup critical = running_critical.get();
    ASSERT_FALSE(HasFatalFailure());
    findings = FindingsOf(critical.doc, "time-wait-overflow");
    ASSERT_EQ(findings.size(), 1u) << critical.doc.dump(2);
    EXPECT_EQ(findings[0]["severity"], "critical");
    EXPECT_EQ(findings[0]["data"]["overflow_increase"],
              CounterValue("TcpExt.TCPTimeWaitOverflow") - again);
    EXPECT_EQ(critical.exit_code, 2);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
