// --all-netns and --netns pid:PID: three namespaces with different populations (the test's
// own and two nested ones, each held by its sandbox process). Each must be reported exactly,
// under a label that says whose it is, and summed; `ss` run inside each is the reference for
// who holds what.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "support/expected_answers.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/population.h"
#include "support/run_command.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

// `tcpdoctor ARGS --json`: exit 0, only warnings on stderr (root may be refused pid 1's
// namespace on some hosts, and says so).
nlohmann::json Json(std::vector<std::string> args) {
  args.emplace_back("--json");
  const CommandResult run = RunTcpdoctor(args);
  EXPECT_EQ(run.exit_code, 0) << CommandLine(args) << ": " << run.Describe();
  std::istringstream err(run.err);
  for (std::string line; std::getline(err, line);) {
    EXPECT_EQ(line.rfind("tcpdoctor: warning: ", 0), 0u) << CommandLine(args) << ": " << line;
  }
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << CommandLine(args) << ": " << run.out;
  return doc;
}

uint64_t NetnsInode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// The entry of `list` whose ["netns"]["inode"] is `inode`, or null.
nlohmann::json ByInode(const nlohmann::json& list, uint64_t inode) {
  for (const nlohmann::json& entry : list) {
    if (entry["netns"].value("inode", uint64_t{0}) == inode) return entry;
  }
  return nullptr;
}

// Sockets `pid` holds, as `ss -tanp` run inside `netns_path` lists them.
int SsSocketsOf(const std::string& netns_path, pid_t pid) {
  const CommandResult ss = RunCommand({"nsenter", "--net=" + netns_path, "ss", "-tanpH"});
  EXPECT_EQ(ss.exit_code, 0) << ss.Describe();
  int n = 0;
  std::istringstream lines(ss.out);
  const std::string field = "pid=" + std::to_string(pid) + ",";
  for (std::string line; std::getline(lines, line);) n += line.find(field) != std::string::npos;
  return n;
}

// Each namespace's {"total", "states"} without its label.
nlohmann::json StatesOnly(nlohmann::json entry) {
  entry.erase("netns");
  return entry;
}

void CheckThreeNamespaces(const nlohmann::json& a_states, pid_t b_pid,
                          const nlohmann::json& b_states, pid_t c_pid,
                          const nlohmann::json& c_states) {
  const std::string b_path = "/proc/" + std::to_string(b_pid) + "/ns/net";
  const std::string c_path = "/proc/" + std::to_string(c_pid) + "/ns/net";
  const uint64_t a_inode = NetnsInode("/proc/self/ns/net");
  const uint64_t b_inode = NetnsInode(b_path);
  const uint64_t c_inode = NetnsInode(c_path);

  // states: each namespace exactly, and the sum of every namespace listed.
  const nlohmann::json all = Json({"states", "--all-netns"});
  ASSERT_GE(all["namespaces"].size(), 3u) << all.dump(2);
  const nlohmann::json a = ByInode(all["namespaces"], a_inode);
  const nlohmann::json b = ByInode(all["namespaces"], b_inode);
  const nlohmann::json c = ByInode(all["namespaces"], c_inode);
  ASSERT_FALSE(a.is_null() || b.is_null() || c.is_null()) << all.dump(2);
  EXPECT_EQ(StatesOnly(a), a_states);
  EXPECT_EQ(StatesOnly(b), b_states);
  EXPECT_EQ(StatesOnly(c), c_states);
  EXPECT_EQ(a["netns"]["label"], "current");
  EXPECT_EQ(a["netns"]["current"], true);
  EXPECT_EQ(b["netns"]["pid"], b_pid);  // the lowest pid in it: the process that made it
  EXPECT_NE(b["netns"]["label"].get<std::string>().find("pid " + std::to_string(b_pid)),
            std::string::npos);
  std::set<uint64_t> inodes;
  uint64_t total = 0;
  std::map<std::string, uint64_t> per_state;
  for (const nlohmann::json& ns : all["namespaces"]) {
    EXPECT_TRUE(inodes.insert(ns["netns"]["inode"].get<uint64_t>()).second) << "listed twice";
    total += ns["total"].get<uint64_t>();
    for (const auto& [state, n] : ns["states"].items()) per_state[state] += n.get<uint64_t>();
  }
  EXPECT_EQ(all["total"], total);
  for (const auto& [state, n] : all["states"].items()) EXPECT_EQ(n, per_state[state]) << state;

  // The text form has a row per namespace and the total.
  const CommandResult text = RunTcpdoctor({"states", "--all-netns"});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.out.find("\ncurrent "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pid " + std::to_string(c_pid) + ")"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\nTOTAL "), std::string::npos) << text.out;

  // --netns pid:PID looks into that process's namespace.
  EXPECT_EQ(Json({"states", "--netns", "pid:" + std::to_string(b_pid)}), b_states);
  EXPECT_EQ(Json({"--netns", "pid:" + std::to_string(c_pid), "states"}), c_states);

  // top --by netns: one group per namespace, labelled the same way.
  // Other namespaces of the host (other programs', other tests') may change between two
  // commands: the total is checked against this command's own groups, ours against ours.
  const nlohmann::json top = Json({"top", "--by", "netns", "--all-netns", "-n", "1000"});
  std::map<std::string, uint64_t> groups;
  uint64_t top_total = 0;
  for (const nlohmann::json& g : top["groups"]) {
    groups[g["key"]] = g["count"];
    top_total += g["count"].get<uint64_t>();
  }
  EXPECT_EQ(top["total"], top_total);
  EXPECT_EQ(groups["current"], a_states["total"]);
  EXPECT_EQ(groups[b["netns"]["label"]], b_states["total"]);
  EXPECT_EQ(groups[c["netns"]["label"]], c_states["total"]);

  // procs: each namespace's holder with the sockets ss -tanp sees it hold there. The nested
  // sandbox processes were forked with the outer populations' fds, so they also hold sockets
  // in the outer namespaces: one row per process and namespace.
  const nlohmann::json procs = Json({"procs", "--all-netns"});
  for (const auto& [pid, path, label] :
       {std::tuple{b_pid, b_path, b["netns"]["label"]},
        {c_pid, c_path, c["netns"]["label"]},
        {b_pid, std::string("/proc/self/ns/net"), a["netns"]["label"]}}) {
    int rows = 0;
    for (const nlohmann::json& row : procs["processes"]) {
      if (row["pid"] != pid || row["netns"] != label) continue;
      ++rows;
      EXPECT_EQ(row["sockets"], SsSocketsOf(path, pid)) << row.dump();
      EXPECT_GT(row["sockets"], 0);
    }
    EXPECT_EQ(rows, 1) << pid << " in " << label << ": " << procs.dump(2);
  }

  // Commands that do not sum namespaces report each under its label.
  const nlohmann::json listeners = Json({"listeners", "--all-netns"});
  const nlohmann::json b_listeners = ByInode(listeners["namespaces"], b_inode);
  ASSERT_FALSE(b_listeners.is_null()) << listeners.dump(2);
  EXPECT_EQ(b_listeners["result"]["listeners"].size(), b_states["states"]["LISTEN"]);
  // Sysctls are read inside each namespace: B's tcp_tw_reuse was set apart from A's.
  const nlohmann::json ports = Json({"ports", "--all-netns"});
  EXPECT_EQ(ByInode(ports["namespaces"], a_inode)["result"]["tcp_tw_reuse"], 0);
  EXPECT_EQ(ByInode(ports["namespaces"], b_inode)["result"]["tcp_tw_reuse"], 1);
  const CommandResult counters = RunTcpdoctor({"counters", "--all-netns"});
  EXPECT_EQ(counters.exit_code, 0) << counters.Describe();
  EXPECT_NE(counters.out.find("== netns current =="), std::string::npos) << counters.out;
}

TEST(AllNetnsTest, ThreeNamespacesEachExactlyAndSummed) {
  RunInNetns([] {
    Population a;
    ASSERT_NO_FATAL_FAILURE(a.Build(RandomPlan(61)));
    ASSERT_NO_FATAL_FAILURE(a.Settle());
    const nlohmann::json a_states = ExpectedStates(a.expected());
    const auto hold = [](uint32_t seed) {
      return [seed] {
        Population p;
        ASSERT_NO_FATAL_FAILURE(p.Build(RandomPlan(seed)));
        ASSERT_NO_FATAL_FAILURE(p.Settle());
        // The population sets 0 (so connect() never reuses its TIME_WAIT tuples); B and C
        // differ from A in this, which only a per-namespace read can show.
        SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", "1");
        HandOffToHost(ExpectedStates(p.expected()).dump());
      };
    };
    bool checked = false;
    RunInNetns(hold(62), [&](pid_t b_pid, const std::string& b_states) {
      RunInNetns(hold(63), [&](pid_t c_pid, const std::string& c_states) {
        CheckThreeNamespaces(a_states, b_pid, nlohmann::json::parse(b_states), c_pid,
                             nlohmann::json::parse(c_states));
        checked = true;
      });
    });
    EXPECT_TRUE(checked);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
