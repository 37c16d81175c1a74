// tcpdoctor's filter flags on a known population: --state (names, spellings, lists, ss's
// groups), --sport, --dport, --port, --addr (IPv4 CIDR, IPv6, IPv4-mapped), -4/-6 and
// combinations give exactly the selected sockets in `states` and in `top`, and the same
// sockets as ss with the equivalent filter.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/expected_answers.h"
#include "support/netns_sandbox.h"
#include "support/population.h"
#include "support/selection.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

struct FilterCase {
  std::vector<std::string> flags;
  Selection selection;
  // The same filter for `ss -tan`, if ss has one; `implied` when it names a single state.
  std::vector<std::string> ss_filter;
  std::optional<State> implied;
};

Selection States(std::set<State> states) {
  Selection s;
  s.states = std::move(states);
  return s;
}

Prefix MustParsePrefix(const std::string& text) {
  const auto p = Prefix::Parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(Prefix{});
}

std::vector<FilterCase> StateCases() {
  std::vector<FilterCase> cases;
  const auto one = [&](std::vector<std::string> names, State s, std::string ss_name) {
    for (const std::string& name : names) {
      cases.push_back({{"--state", name}, States({s}), {"state", ss_name}, s});
    }
  };
  one({"established", "ESTABLISHED", "Established", "estab"}, State::kEstablished, "established");
  one({"syn-sent", "SYN_SENT"}, State::kSynSent, "syn-sent");
  one({"syn-recv", "SYN_RECV", "syn_recv", "SynRecv"}, State::kSynRecv, "syn-recv");
  one({"fin-wait-1", "FIN_WAIT1", "finwait1"}, State::kFinWait1, "fin-wait-1");
  one({"fin-wait-2", "FIN_WAIT2", "Fin-Wait-2"}, State::kFinWait2, "fin-wait-2");
  one({"time-wait", "TIME_WAIT", "timewait", "Time-Wait"}, State::kTimeWait, "time-wait");
  one({"close-wait", "CLOSE_WAIT"}, State::kCloseWait, "close-wait");
  one({"last-ack", "LAST_ACK"}, State::kLastAck, "last-ack");
  one({"listen", "LISTEN", "listening"}, State::kListen, "listening");
  one({"closing", "CLOSING"}, State::kClosing, "closing");
  one({"close", "closed"}, State::kClose, "closed");

  const auto group = [&](std::string name, std::set<State> states) {
    cases.push_back({{"--state", name}, States(states), {"state", name}, std::nullopt});
  };
  std::set<State> all(kAllStates.begin(), kAllStates.end());
  group("all", all);
  group("connected", ConnectedStates());
  group("synchronized", SynchronizedStates());
  group("bucket", BucketStates());
  group("big", BigStates());

  cases.push_back({{"--state", "time-wait,close-wait"},
                   States({State::kTimeWait, State::kCloseWait}),
                   {"state", "time-wait", "state", "close-wait"},
                   std::nullopt});
  cases.push_back({{"--state", "LISTEN,syn-recv,Established"},
                   States({State::kListen, State::kSynRecv, State::kEstablished}),
                   {"state", "listening", "state", "syn-recv", "state", "established"},
                   std::nullopt});
  cases.push_back({{"--state", "time-wait", "--state", "fin-wait-2"},
                   States({State::kTimeWait, State::kFinWait2}),
                   {"state", "time-wait", "state", "fin-wait-2"},
                   std::nullopt});
  std::set<State> connected_and_listen = ConnectedStates();
  connected_and_listen.insert(State::kListen);
  cases.push_back(
      {{"--state", "connected,listen"}, States(connected_and_listen), {}, std::nullopt});
  cases.push_back({{"--state", "closing,"}, States({State::kClosing}), {}, std::nullopt});
  return cases;
}

// Ports and addresses come from the population: its listeners' ports, a port the kernel gave
// a client, and a port nobody uses.
std::vector<FilterCase> PortAndAddressCases(const std::vector<SocketTuple>& sockets) {
  std::set<uint16_t> listener_ports;
  std::set<uint16_t> used;
  uint16_t client_port = 0;
  for (const SocketTuple& s : sockets) {
    used.insert(s.local.port);
    used.insert(s.remote.port);
    if (s.state == State::kListen) listener_ports.insert(s.local.port);
    if (s.state == State::kSynSent) client_port = s.local.port;
  }
  uint16_t unused = 1000;
  while (used.count(unused) != 0) ++unused;

  std::vector<FilterCase> cases;
  std::vector<uint16_t> ports(listener_ports.begin(), listener_ports.end());
  ports.resize(std::min<size_t>(ports.size(), 4));
  ports.push_back(client_port);
  ports.push_back(unused);
  for (const uint16_t port : ports) {
    const std::string p = std::to_string(port);
    Selection sport;
    sport.sport = port;
    cases.push_back({{"--sport", p}, sport, {"sport", "=", ":" + p}, std::nullopt});
    Selection dport;
    dport.dport = port;
    cases.push_back({{"--dport", p}, dport, {"dport", "=", ":" + p}, std::nullopt});
    Selection either;
    either.port = port;
    cases.push_back({{"--port", p},
                     either,
                     {"(", "sport", "=", ":" + p, "or", "dport", "=", ":" + p, ")"},
                     std::nullopt});
  }

  for (const std::string prefix :
       {"127.0.1.0/24", "127.0.1.2", "127.0.1.2/32", "127.0.0.0/8", "127.0.0.2/31", "127.0.0.9",
        "0.0.0.0/0", "10.0.0.0/8", "::1", "::1/128", "::/0", "[::1]"}) {
    Selection s;
    s.addr = MustParsePrefix(prefix);
    cases.push_back({{"--addr", prefix}, s, {}, std::nullopt});
  }

  // Combinations.
  const std::string first_port = std::to_string(ports.front());
  Selection a;
  a.ipv6 = false;
  a.states = {State::kEstablished};
  a.dport = ports.front();
  cases.push_back({{"-4", "--state", "established", "--dport", first_port},
                   a,
                   {"-4", "state", "established", "dport", "=", ":" + first_port},
                   State::kEstablished});
  Selection b;
  b.ipv4 = false;
  b.states = {State::kTimeWait};
  cases.push_back(
      {{"-6", "--state", "time-wait"}, b, {"-6", "state", "time-wait"}, State::kTimeWait});
  Selection c;
  c.states = {State::kListen};
  c.addr = MustParsePrefix("127.0.0.0/8");
  cases.push_back({{"--state", "listen", "--addr", "127.0.0.0/8"}, c, {}, std::nullopt});
  Selection d;
  d.sport = ports.front();
  d.addr = MustParsePrefix("127.0.1.0/24");
  cases.push_back({{"--sport", first_port, "--addr", "127.0.1.0/24"}, d, {}, std::nullopt});
  Selection e;
  e.port = client_port;
  e.states = {State::kSynRecv, State::kSynSent};
  cases.push_back(
      {{"--port", std::to_string(client_port), "--state", "syn-recv,syn-sent"}, e, {}, {}});
  Selection f;
  f.ipv4 = false;
  f.addr = MustParsePrefix("::1");
  f.states = ConnectedStates();
  cases.push_back({{"-6", "--addr", "::1", "--state", "connected"}, f, {}, std::nullopt});
  Selection g;
  g.ipv6 = false;
  g.addr = MustParsePrefix("127.0.0.9");
  cases.push_back({{"--addr", "127.0.0.9", "-4"}, g, {}, std::nullopt});
  Selection h;
  h.ipv6 = false;
  h.states = {State::kSynSent};
  h.sport = client_port;
  cases.push_back(
      {{"--ipv4", "--sport", std::to_string(client_port), "--state", "SYN_SENT"}, h, {}, {}});
  return cases;
}

// Runs one case through `states` and `top` (a different key and -n for each case, so that
// every key meets filters), with the flags before the command for even cases and after it for
// odd ones; and through ss when it has the filter.
void CheckCase(const FilterCase& c, size_t index, const std::vector<SocketTuple>& sockets) {
  const std::vector<SocketTuple> selected = Select(sockets, c.selection);
  const auto with_command = [&](std::vector<std::string> command) {
    std::vector<std::string> args = index % 2 == 0 ? c.flags : command;
    const std::vector<std::string>& rest = index % 2 == 0 ? command : c.flags;
    args.insert(args.end(), rest.begin(), rest.end());
    return args;
  };
  const std::vector<std::string> states_args = with_command({"states"});
  const auto states = TcpdoctorJson(states_args);
  ASSERT_TRUE(states.has_value());
  EXPECT_EQ(*states, ExpectedStates(selected)) << CommandLine(states_args);

  const GroupKey key = kAllGroupKeys[index % kAllGroupKeys.size()];
  const size_t limit = index % 3 == 0 ? 2 : 100;
  const std::vector<std::string> top_args =
      with_command({"top", "--by", std::string(GroupKeyName(key)), "-n", std::to_string(limit)});
  const auto top = TcpdoctorJson(top_args);
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(*top, ExpectedTop(selected, key, limit)) << CommandLine(top_args);

  if (!c.ss_filter.empty()) {
    const SsResult ss = RunSs(c.ss_filter, c.implied);
    ASSERT_EQ(ss.error, "");
    EXPECT_EQ(Sorted(ss.rows), Sorted(selected))
        << CommandLine(c.flags) << " vs ss -tan " << CommandLine(c.ss_filter).substr(10);
  }
}

class FiltersTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(FiltersTest, StateNamesAndGroupsSelectExactly) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    const std::vector<FilterCase> cases = StateCases();
    for (size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE(CommandLine(cases[i].flags));
      CheckCase(cases[i], i, population.expected());
    }
  });
}

TEST_P(FiltersTest, PortsAddressesAndCombinationsSelectExactly) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    const std::vector<FilterCase> cases = PortAndAddressCases(population.expected());
    for (size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE(CommandLine(cases[i].flags));
      CheckCase(cases[i], i, population.expected());
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Seeds, FiltersTest, ::testing::Values(21u, 22u));

}  // namespace
}  // namespace tcpdoctor::itest
