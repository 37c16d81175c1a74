// Who holds the sockets: child processes with distinct names and nofile limits hold sockets in
// known states (a CLOSE_WAIT leaker and a process nearly out of fds among them), and
// `procs`, `top --by process`, `--pid` and `--comm` must attribute every socket exactly, with
// fd counts and limits as the processes themselves see them, and agree with `ss -tanp`.
// Sockets are made by the test and handed to the holders (fork keeps them; the test then
// closes its copies), so every expectation comes from what the test built.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "support/holder_process.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/run_command.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

Endpoint Loopback(uint16_t port = 0) { return *Endpoint::Parse("127.0.0.1", port); }

// `tcpdoctor ARGS --json` that must succeed; stderr may only hold warnings (a root run on a
// host whose pid 1 is not readable even by root says so).
nlohmann::json Json(const std::vector<std::string>& args, const CommandOptions& options = {},
                    std::string* warnings = nullptr) {
  std::vector<std::string> with_json = args;
  with_json.emplace_back("--json");
  const CommandResult run = RunTcpdoctor(with_json, options);
  EXPECT_EQ(run.exit_code, 0) << CommandLine(with_json) << ": " << run.Describe();
  std::istringstream err(run.err);
  for (std::string line; std::getline(err, line);) {
    EXPECT_EQ(line.rfind("tcpdoctor: warning: ", 0), 0u) << CommandLine(with_json) << ": " << line;
  }
  if (warnings != nullptr) *warnings = run.err;
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << CommandLine(with_json) << ": " << run.out;
  return doc;
}

// The row of `procs --json` for `pid`, or null.
nlohmann::json ProcRow(const nlohmann::json& procs, pid_t pid) {
  for (const nlohmann::json& row : procs["processes"]) {
    if (row["pid"] == pid) return row;
  }
  return nullptr;
}

// Sockets per pid as `ss -tanp` lists them in its users:(...) column.
std::map<pid_t, int> SsSocketsPerPid() {
  const CommandResult ss = RunCommand({"ss", "-tanpH"});
  EXPECT_EQ(ss.exit_code, 0) << ss.Describe();
  std::map<pid_t, int> per_pid;
  std::istringstream lines(ss.out);
  const std::regex pid_field("pid=([0-9]+),");
  for (std::string line; std::getline(lines, line);) {
    std::set<pid_t> on_line;  // ss lists a process once per fd; count sockets, not fds
    for (auto it = std::sregex_iterator(line.begin(), line.end(), pid_field);
         it != std::sregex_iterator(); ++it) {
      on_line.insert(std::stoi((*it)[1]));
    }
    for (pid_t pid : on_line) ++per_pid[pid];
  }
  return per_pid;
}

std::vector<int> Fds(const std::vector<UniqueFd>& fds, int extra = -1) {
  std::vector<int> out;
  for (const UniqueFd& fd : fds) out.push_back(fd.get());
  if (extra >= 0) out.push_back(extra);
  return out;
}

void ExpectStates(const nlohmann::json& row, const std::map<std::string, int>& states) {
  nlohmann::json expected = nlohmann::json::object();
  int total = 0;
  for (const auto& [name, n] : states) {
    expected[name] = n;
    total += n;
  }
  EXPECT_EQ(row["states"], expected) << row.dump();
  EXPECT_EQ(row["sockets"], total) << row.dump();
}

TEST(OwnersTest, EveryProcessGetsExactlyItsSockets) {
  RunInNetns([] {
    constexpr int kAlphaConnections = 5;
    constexpr int kLeaked = 7;
    // srv-alpha serves kAlphaConnections clients held by cli-beta; a worker shares its listener.
    Endpoint alpha_at;
    UniqueFd alpha_listener = Listen(Loopback(), 16, &alpha_at);
    ASSERT_TRUE(alpha_listener);
    std::vector<UniqueFd> beta_clients, alpha_servers;
    ASSERT_NO_FATAL_FAILURE(ConnectPairs(alpha_listener.get(), alpha_at, kAlphaConnections,
                                         beta_clients, alpha_servers));
    // leaker-gamma never closes what its peers closed: CLOSE_WAIT; the peers' ends are
    // orphans in FIN_WAIT2 that no process holds.
    Endpoint gamma_at;
    UniqueFd gamma_listener = Listen(Loopback(), 16, &gamma_at);
    ASSERT_TRUE(gamma_listener);
    std::vector<UniqueFd> peers, gamma_servers;
    ASSERT_NO_FATAL_FAILURE(
        ConnectPairs(gamma_listener.get(), gamma_at, kLeaked, peers, gamma_servers));
    peers.clear();
    // fd-hog has almost no fds left under its soft limit.
    Endpoint hog_at;
    UniqueFd hog_listener = Listen(Loopback(), 4, &hog_at);
    ASSERT_TRUE(hog_listener);

    HolderSpec alpha_spec{"srv-alpha", 64, 128, {}, {}, Fds(alpha_servers, alpha_listener.get())};
    HolderSpec worker_spec{"srv-alpha-wk", 64, 128, {}, {}, {alpha_listener.get()}};
    HolderSpec beta_spec{"cli-beta", 256, 512, {}, {}, Fds(beta_clients)};
    HolderSpec gamma_spec{"leaker-gamma", 32, 64, {}, {}, Fds(gamma_servers, gamma_listener.get())};
    HolderSpec hog_spec{"fd-hog", 24, 48, {}, {}, {hog_listener.get()}};
    const auto nothing = [] { return std::string(); };
    HolderProcess alpha(alpha_spec, nothing);
    HolderProcess worker(worker_spec, nothing);
    HolderProcess beta(beta_spec, nothing);
    HolderProcess gamma(gamma_spec, nothing);
    HolderProcess hog(hog_spec, [] {
      // One fd short of the soft limit of 24, the fds to the test included.
      for (int missing = 23 - CountOpenFds(); missing > 0; --missing) {
        if (::open("/dev/null", O_RDONLY) < 0) return std::string("error: open /dev/null");
      }
      return std::string();
    });
    ASSERT_TRUE(alpha.ok() && worker.ok() && beta.ok() && gamma.ok() && hog.ok());
    EXPECT_EQ(hog.open_fds(), 23);
    // From now on only the holders have these sockets.
    alpha_listener.Reset();
    gamma_listener.Reset();
    hog_listener.Reset();
    alpha_servers.clear();
    beta_clients.clear();
    gamma_servers.clear();
    ASSERT_TRUE(WaitUntil([&] {
      const auto states = Json({"states"});
      return states["states"]["CLOSE_WAIT"] == kLeaked && states["states"]["FIN_WAIT2"] == kLeaked;
    }));

    const nlohmann::json procs = Json({"procs"});
    // Exactly these five processes hold sockets here.
    ASSERT_EQ(procs["processes"].size(), 5u) << procs.dump(2);
    const struct {
      const HolderProcess& holder;
      const HolderSpec& spec;
      std::map<std::string, int> states;
    } expected[] = {
        {alpha, alpha_spec, {{"LISTEN", 1}, {"ESTABLISHED", kAlphaConnections}}},
        {worker, worker_spec, {{"LISTEN", 1}}},
        {beta, beta_spec, {{"ESTABLISHED", kAlphaConnections}}},
        {gamma, gamma_spec, {{"LISTEN", 1}, {"CLOSE_WAIT", kLeaked}}},
        {hog, hog_spec, {{"LISTEN", 1}}},
    };
    for (const auto& e : expected) {
      SCOPED_TRACE(e.spec.comm);
      const nlohmann::json row = ProcRow(procs, e.holder.pid());
      ASSERT_FALSE(row.is_null()) << procs.dump(2);
      EXPECT_EQ(row["comm"], e.spec.comm);
      EXPECT_EQ(row["user"], "root");
      ExpectStates(row, e.states);
      EXPECT_EQ(row["close_wait"], e.states.count("CLOSE_WAIT") ? e.states.at("CLOSE_WAIT") : 0);
      EXPECT_EQ(row["open_fds"], e.holder.open_fds());
      EXPECT_EQ(row["nofile_soft"], *e.spec.nofile_soft);
      EXPECT_EQ(row["nofile_hard"], *e.spec.nofile_hard);
      EXPECT_NEAR(row["fd_percent"].get<double>(),
                  100.0 * e.holder.open_fds() / static_cast<double>(*e.spec.nofile_soft), 1e-9);
    }
    // Riskiest first: the hog (96 % of its fds), then the leaker; the rest by fd use.
    EXPECT_EQ(procs["processes"][0]["pid"], hog.pid());
    EXPECT_EQ(procs["processes"][1]["pid"], gamma.pid());
    EXPECT_EQ(procs["no_owner"]["orphan"], kLeaked);
    EXPECT_EQ(procs["total"], 1 + kAlphaConnections * 2 + 1 + kLeaked * 2 + 1);

    // ss -tanp sees the same holders with the same number of sockets.
    const std::map<pid_t, int> ss = SsSocketsPerPid();
    for (const auto& e : expected) {
      const auto it = ss.find(e.holder.pid());
      ASSERT_NE(it, ss.end()) << e.spec.comm;
      EXPECT_EQ(it->second, ProcRow(procs, e.holder.pid())["sockets"]) << e.spec.comm;
    }
    EXPECT_EQ(ss.size(), 5u);

    // top --by process: each socket once, a shared listener under its lowest pid.
    const nlohmann::json top = Json({"top", "--by", "process", "-n", "20"});
    std::map<std::string, int> counts;
    for (const nlohmann::json& g : top["groups"]) counts[g["key"]] = g["count"];
    const auto key = [](const HolderProcess& h, const HolderSpec& s) {
      return s.comm + "[" + std::to_string(h.pid()) + "]";
    };
    const bool alpha_first = alpha.pid() < worker.pid();
    EXPECT_EQ(counts[key(alpha, alpha_spec)], kAlphaConnections + (alpha_first ? 1 : 0));
    EXPECT_EQ(counts[key(worker, worker_spec)], alpha_first ? 0 : 1);
    EXPECT_EQ(counts[key(beta, beta_spec)], kAlphaConnections);
    EXPECT_EQ(counts[key(gamma, gamma_spec)], 1 + kLeaked);
    EXPECT_EQ(counts[key(hog, hog_spec)], 1);
    EXPECT_EQ(counts["no owner: orphan, closed by its process"], kLeaked);
    EXPECT_EQ(top["total"], procs["total"]);
    EXPECT_EQ(top["groups"][0]["key"], key(gamma, gamma_spec));  // 8: the largest group
    EXPECT_EQ(top["groups"][0]["pid"], gamma.pid());
    EXPECT_EQ(top["groups"][0]["comm"], "leaker-gamma");

    // --comm and --pid select what those processes hold, on any command.
    const nlohmann::json leaker = Json({"states", "--comm", "leaker-gamma"});
    EXPECT_EQ(leaker["total"], 1 + kLeaked);
    EXPECT_EQ(leaker["states"]["CLOSE_WAIT"], kLeaked);
    EXPECT_EQ(Json({"states", "--pid", std::to_string(alpha.pid())})["total"],
              1 + kAlphaConnections);
    EXPECT_EQ(Json({"states", "--pid", std::to_string(worker.pid())})["total"], 1);
    EXPECT_EQ(Json({"--comm", "cli-beta", "states", "--state", "established"})["total"],
              kAlphaConnections);
    const nlohmann::json listeners = Json({"listeners", "--comm", "srv-alpha"});
    ASSERT_EQ(listeners["listeners"].size(), 1u) << listeners.dump(2);
    EXPECT_EQ(listeners["listeners"][0]["port"], alpha_at.port);
    // Held by srv-alpha and its worker: named after the lower pid, with the count.
    const nlohmann::json owner = listeners["listeners"][0]["owner"];
    EXPECT_EQ(owner["pid"], std::min(alpha.pid(), worker.pid()));
    EXPECT_EQ(owner["comm"], alpha_first ? "srv-alpha" : "srv-alpha-wk");
    EXPECT_EQ(owner["processes"], 2);
    const nlohmann::json all_listeners = Json({"listeners"});
    for (const nlohmann::json& l : all_listeners["listeners"]) {
      if (l["port"] == gamma_at.port) {
        EXPECT_EQ(l["owner"]["pid"], gamma.pid());
        EXPECT_EQ(l["owner"]["processes"], 1);
      }
    }
    const nlohmann::json only_gamma = Json({"procs", "--pid", std::to_string(gamma.pid())});
    ASSERT_EQ(only_gamma["processes"].size(), 1u);
    EXPECT_EQ(only_gamma["processes"][0]["sockets"], 1 + kLeaked);

    // A name no process has: empty, with a hint on stderr.
    std::string warnings;
    EXPECT_EQ(Json({"states", "--comm", "leaker-gama"}, {}, &warnings)["total"], 0);
    EXPECT_NE(warnings.find("did you mean 'leaker-gamma'"), std::string::npos) << warnings;
  });
}

TEST(OwnersTest, ProcessesThatAreGoneAreClearErrors) {
  RunInNetns([] {
    const pid_t gone = ::fork();
    if (gone == 0) ::_exit(0);
    ASSERT_GT(gone, 0);
    ASSERT_EQ(::waitpid(gone, nullptr, 0), gone);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"states", "--pid", std::to_string(gone)},
          std::vector<std::string>{"procs", "--netns", "pid:" + std::to_string(gone)},
          std::vector<std::string>{"states", "--netns", "pid:" + std::to_string(gone)}}) {
      const CommandResult run = RunTcpdoctor(args);
      EXPECT_EQ(run.exit_code, 1) << CommandLine(args) << ": " << run.Describe();
      EXPECT_EQ(run.out, "");
      EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
      EXPECT_NE(run.err.find("no process " + std::to_string(gone)), std::string::npos) << run.err;
    }
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"states", "--pid", "12ab"},
          std::vector<std::string>{"states", "--netns", "pid:"},
          std::vector<std::string>{"states", "--netns", "pid:-3"},
          std::vector<std::string>{"states", "--all-netns", "--netns", "pid:1"}}) {
      const CommandResult run = RunTcpdoctor(args);
      EXPECT_EQ(run.exit_code, 2) << CommandLine(args) << ": " << run.Describe();
      EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    }
  });
}

TEST(OwnersTest, WithoutRootOnlyOwnProcessesAreAttributedAndTheRestIsCounted) {
  RunInNetns([] {
    const passwd* pw = ::getpwnam("nobody");
    ASSERT_NE(pw, nullptr);
    Endpoint root_at, nobody_at;
    UniqueFd root_listener = Listen(Loopback(), 8, &root_at);
    UniqueFd nobody_listener = Listen(Loopback(), 8, &nobody_at);
    ASSERT_TRUE(root_listener && nobody_listener);
    std::vector<UniqueFd> root_clients, root_servers, nobody_clients, nobody_servers;
    ASSERT_NO_FATAL_FAILURE(
        ConnectPairs(root_listener.get(), root_at, 2, root_clients, root_servers));
    ASSERT_NO_FATAL_FAILURE(
        ConnectPairs(nobody_listener.get(), nobody_at, 3, nobody_clients, nobody_servers));
    std::vector<int> root_fds = Fds(root_clients, root_listener.get());
    for (int fd : Fds(root_servers)) root_fds.push_back(fd);
    std::vector<int> nobody_fds = Fds(nobody_clients, nobody_listener.get());
    for (int fd : Fds(nobody_servers)) nobody_fds.push_back(fd);
    const HolderSpec root_spec{"root-holder", {}, {}, {}, {}, root_fds};
    const HolderSpec nobody_spec{"nobody-holder", {}, {}, pw->pw_uid, pw->pw_gid, nobody_fds};
    const auto nothing = [] { return std::string(); };
    HolderProcess root_holder(root_spec, nothing);
    HolderProcess nobody_holder(nobody_spec, nothing);
    ASSERT_TRUE(root_holder.ok() && nobody_holder.ok());
    root_listener.Reset();
    nobody_listener.Reset();
    root_clients.clear();
    root_servers.clear();
    nobody_clients.clear();
    nobody_servers.clear();

    CommandOptions as_nobody;
    as_nobody.run_as = RunAs{pw->pw_uid, pw->pw_gid};
    std::string warnings;
    const nlohmann::json procs = Json({"procs"}, as_nobody, &warnings);
    ASSERT_EQ(procs["processes"].size(), 1u) << procs.dump(2);
    const nlohmann::json row = procs["processes"][0];
    EXPECT_EQ(row["pid"], nobody_holder.pid());
    EXPECT_EQ(row["comm"], "nobody-holder");
    EXPECT_EQ(row["user"], pw->pw_name);
    ExpectStates(row, {{"LISTEN", 1}, {"ESTABLISHED", 6}});
    EXPECT_EQ(row["open_fds"], nobody_holder.open_fds());
    // The root holder's 5 sockets have files, but nobody may not see whose they are.
    EXPECT_EQ(procs["no_owner"]["hidden"], 5);
    EXPECT_GE(procs["unreadable_processes"], 1);
    EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 1) << warnings;
    EXPECT_NE(warnings.find(std::to_string(procs["unreadable_processes"].get<int>()) + " process"),
              std::string::npos)
        << warnings;
    EXPECT_NE(warnings.find("could not be read"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("root"), std::string::npos) << warnings;

    // Root sees both.
    const nlohmann::json as_root = Json({"procs"});
    EXPECT_FALSE(ProcRow(as_root, root_holder.pid()).is_null());
    EXPECT_FALSE(ProcRow(as_root, nobody_holder.pid()).is_null());
    EXPECT_EQ(as_root["no_owner"]["hidden"], 0);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
