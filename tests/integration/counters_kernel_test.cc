// `tcpdoctor counters` against events the test causes on loopback in a private namespace:
// closes past a lowered tcp_max_tw_buckets (TCPTimeWaitOverflow, one per close that found the
// table full) and SO_LINGER {1, 0} closes (TCPAbortOnData, one per close), before/after and
// over -i; and every counter agrees with /proc/net/{netstat,snmp} and `nstat -asz` read in the
// same namespace.
#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/proc_net_tcp_table.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

// Fields of /proc/net/snmp that nstat leaves out: settings (forwarding, TTL, RTO bounds,
// MaxConn) and the level Tcp.CurrEstab.
const std::set<std::string>& NotInNstat() {
  static const std::set<std::string> names = {"Ip.Forwarding", "Ip.DefaultTTL", "Tcp.RtoAlgorithm",
                                              "Tcp.RtoMin",    "Tcp.RtoMax",    "Tcp.MaxConn",
                                              "Tcp.CurrEstab"};
  return names;
}

// `counters --all --json` lists every counter of /proc/net/{netstat,snmp} with the value nstat
// gives, taken while nstat reads the same before and after (retried if something moved).
void ExpectAllCountersAgreeWithNstat() {
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string error;
    const CounterValues before = RunNstat(error);
    ASSERT_EQ(error, "");
    const CounterValues proc = ReadProcCounters(error);
    ASSERT_EQ(error, "");
    const auto doc = TcpdoctorJson({"counters", "--all"});
    ASSERT_TRUE(doc.has_value());
    const CounterValues after = RunNstat(error);
    ASSERT_EQ(error, "");
    if (before != after) continue;  // traffic in flight (a retransmission): try again

    std::set<std::string> listed;
    for (const nlohmann::json& row : (*doc)["counters"]) {
      const std::string name = row["name"];
      listed.insert(name);
      const auto value = row["value"].get<int64_t>();
      EXPECT_EQ(value, proc.count(name) ? proc.at(name) : -999) << name << " vs /proc/net";
      if (NotInNstat().count(name) != 0) continue;
      ASSERT_TRUE(after.count(NstatName(name))) << name << " is not in nstat's output";
      EXPECT_EQ(value, after.at(NstatName(name))) << name << " vs nstat -asz";
    }
    for (const auto& [name, value] : proc) {
      EXPECT_TRUE(listed.count(name)) << "`counters --all` leaves out " << name;
    }
    return;
  }
  FAIL() << "the namespace's counters never held still across two nstat runs";
}

int64_t Value(const nlohmann::json& doc, const std::string& key) {
  const nlohmann::json row = CounterRow(doc, key);
  EXPECT_FALSE(row.is_null()) << "`counters` shows no " << key << ": " << doc.dump(2);
  return row.is_null() ? -1 : row["value"].get<int64_t>();
}

// How many sockets of each state /proc/net/tcp lists, once no close is under way.
std::map<State, size_t> SettledStates() {
  std::map<State, size_t> counts;
  const bool settled = WaitUntil([&] {
    std::string error;
    counts.clear();
    for (const SocketTuple& s : ReadProcNetTcp(error)) ++counts[s.state];
    return error.empty() && !counts.count(State::kFinWait1) && !counts.count(State::kFinWait2) &&
           !counts.count(State::kLastAck) && !counts.count(State::kCloseWait) &&
           !counts.count(State::kClosing);
  });
  EXPECT_TRUE(settled) << "closes still under way after 5 s";
  return counts;
}

struct Pair {
  UniqueFd client;
  UniqueFd server;
};

void OpenPairs(int listener, const Endpoint& to, size_t n, std::vector<Pair>& out) {
  for (size_t i = 0; i < n; ++i) {
    Connection c = ConnectAndWait(to);
    ASSERT_TRUE(c.fd) << "connect: " << std::strerror(c.error);
    Pair p{std::move(c.fd), AcceptOne(listener)};
    ASSERT_TRUE(p.server);
    out.push_back(std::move(p));
  }
}

TEST(CountersKernelTest, TimeWaitOverflowCountsEachCloseThatFoundTheTableFull) {
  RunInNetns([] {
    constexpr int kMaxTwBuckets = 5;
    constexpr int kCloses = 12;
    ASSERT_NO_FATAL_FAILURE(
        SetNamespaceSysctl("net/ipv4/tcp_max_tw_buckets", std::to_string(kMaxTwBuckets)));
    ASSERT_NO_FATAL_FAILURE(SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", "0"));
    Endpoint at;
    const UniqueFd listener = Listen(*Endpoint::Parse("127.0.0.1"), 64, &at);
    ASSERT_TRUE(listener);
    const auto before = TcpdoctorJson({"counters"});
    ASSERT_TRUE(before.has_value());

    // One at a time, the client first: each close wants a TIME_WAIT socket.
    for (int i = 0; i < kCloses; ++i) {
      std::vector<Pair> one;
      ASSERT_NO_FATAL_FAILURE(OpenPairs(listener.get(), at, 1, one));
      ASSERT_NO_FATAL_FAILURE(CloseInOrder(one[0].client, one[0].server));
    }
    std::map<State, size_t> states = SettledStates();
    const size_t time_wait = states[State::kTimeWait];
    EXPECT_EQ(time_wait, static_cast<size_t>(kMaxTwBuckets))
        << "tcp_max_tw_buckets=" << kMaxTwBuckets << " should cap TIME_WAIT";

    const auto after = TcpdoctorJson({"counters"});
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(
        Value(*after, "TcpExt.TCPTimeWaitOverflow") - Value(*before, "TcpExt.TCPTimeWaitOverflow"),
        kCloses - static_cast<int64_t>(time_wait))
        << "one overflow per close that found " << time_wait << " TIME_WAIT sockets";
    EXPECT_EQ((*after)["sockstat"]["TCP"]["tw"], time_wait) << (*after)["sockstat"].dump();

    const auto by_name = TcpdoctorJson({"counters", "TCPTimeWaitOverflow"});
    ASSERT_TRUE(by_name.has_value());
    ASSERT_EQ((*by_name)["counters"].size(), 1u) << by_name->dump(2);
    EXPECT_EQ(Value(*by_name, "TcpExt.TCPTimeWaitOverflow"),
              Value(*after, "TcpExt.TCPTimeWaitOverflow"));

    const auto doc_states = TcpdoctorJson({"states"});
    ASSERT_TRUE(doc_states.has_value());
    EXPECT_EQ((*doc_states)["states"]["TIME_WAIT"], time_wait) << doc_states->dump(2);
    const SsResult ss = RunSs({"state", "time-wait"}, State::kTimeWait);
    ASSERT_EQ(ss.error, "");
    EXPECT_EQ(ss.rows.size(), time_wait) << "ss -tan state time-wait";

    ASSERT_NO_FATAL_FAILURE(ExpectAllCountersAgreeWithNstat());
  });
}

TEST(CountersKernelTest, LingerZeroClosesCountAsAbortOnData) {
  RunInNetns([] {
    constexpr size_t kAborts = 4;
    constexpr size_t kAbortsDuringInterval = 3;
    Endpoint at;
    const UniqueFd listener = Listen(*Endpoint::Parse("127.0.0.1"), 64, &at);
    ASSERT_TRUE(listener);
    std::vector<Pair> pairs;
    ASSERT_NO_FATAL_FAILURE(OpenPairs(listener.get(), at, kAborts, pairs));

    const auto before = TcpdoctorJson({"counters"});
    ASSERT_TRUE(before.has_value());
    for (Pair& p : pairs) ASSERT_NO_FATAL_FAILURE(AbortiveClose(p.client));
    std::map<State, size_t> states = SettledStates();
    EXPECT_EQ(states[State::kTimeWait], 0u) << "an RST close leaves no TIME_WAIT";
    const auto after = TcpdoctorJson({"counters"});
    ASSERT_TRUE(after.has_value());
    const auto delta = [&](const std::string& key) {
      return Value(*after, key) - Value(*before, key);
    };
    EXPECT_EQ(delta("TcpExt.TCPAbortOnData"), static_cast<int64_t>(kAborts));
    EXPECT_EQ(delta("TcpExt.TCPAbortOnClose"), 0);
    EXPECT_EQ(delta("TcpExt.TCPAbortOnLinger"), 0);
    EXPECT_GE(delta("Tcp.OutRsts"), static_cast<int64_t>(kAborts));
    ASSERT_NO_FATAL_FAILURE(ExpectAllCountersAgreeWithNstat());

    // The same over -i, with the closes in the middle of the interval.
    pairs.clear();
    ASSERT_NO_FATAL_FAILURE(OpenPairs(listener.get(), at, kAbortsDuringInterval, pairs));
    const std::vector<std::string> args = {
        "counters", "-i", "1", "TCPAbortOnData", "TcpExt.TCPAbortOnClose", "--json"};
    auto run = std::async(std::launch::async, [&args] { return RunTcpdoctor(args); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (Pair& p : pairs) ASSERT_NO_FATAL_FAILURE(AbortiveClose(p.client));
    const CommandResult result = run.get();
    ASSERT_EQ(result.exit_code, 0) << result.Describe();
    EXPECT_EQ(result.err, "");
    const nlohmann::json doc = nlohmann::json::parse(result.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << result.out;
    EXPECT_EQ(doc["interval_seconds"], 1.0);
    ASSERT_EQ(doc["counters"].size(), 2u) << doc.dump(2);
    const nlohmann::json data = CounterRow(doc, "TcpExt.TCPAbortOnData");
    ASSERT_FALSE(data.is_null()) << doc.dump(2);
    EXPECT_EQ(data["delta"], kAbortsDuringInterval) << data.dump();
    EXPECT_DOUBLE_EQ(data["rate_per_second"].get<double>(),
                     static_cast<double>(kAbortsDuringInterval))
        << data.dump();
    EXPECT_EQ(data["value"],
              Value(*after, "TcpExt.TCPAbortOnData") + static_cast<int64_t>(kAbortsDuringInterval));
    const nlohmann::json close = CounterRow(doc, "TcpExt.TCPAbortOnClose");
    ASSERT_FALSE(close.is_null()) << doc.dump(2);
    EXPECT_EQ(close["delta"], 0) << close.dump();
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
