// The doctor's process rules on real conditions in a private network namespace:
// - close-wait-leak: holder processes keep accepted connections whose clients closed (CLOSE_WAIT),
//   one near its fd limit (critical), one just below the socket threshold (nothing), and a
//   leaking server that keeps accepting while `checkup -i` runs (growth over the interval);
// - fd-exhaustion: holders filled to 97.5 %, 85 % and 50 % of a small soft nofile limit;
// - aborted-closes: SO_LINGER {1, 0} closes and closes with unread data made during the
//   interval, checked against the namespace's counters read around the run.
// Every expected number comes from what the test built, the holders' own fd counts, ss or
// /proc/net/netstat, never from tcpdoctor's code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "support/holder_process.h"
#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

using Clock = std::chrono::steady_clock;

Endpoint Loopback() { return *Endpoint::Parse("127.0.0.1", 0); }

int64_t MsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// A sysctl root with nothing configured, so that the sysctl audit has nothing to say about the
// host's /etc.
std::string EmptySysctlRoot() {
  std::string root = ::testing::TempDir() + "/doctor_processes_root_" + std::to_string(::getpid());
  ::mkdir(root.c_str(), 0755);
  ::mkdir((root + "/etc").c_str(), 0755);
  ::mkdir((root + "/etc/sysctl.d").c_str(), 0755);
  std::ofstream(root + "/etc/sysctl.conf") << "# nothing set\n";
  return root;
}

// `tcpdoctor checkup --json -i SECONDS ARGS...`: a checkup that finds something exits 1 or 2,
// so the exit code is left for the test to check.
CommandResult RunCheckup(const std::string& root, const std::string& interval,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"checkup", "--json", "-i", interval, "--sysctl-root", root};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult run = RunTcpdoctor(args);
  EXPECT_TRUE(run.exit_code >= 0 && run.exit_code <= 2) << run.Describe();
  return run;
}

// Its JSON document.
nlohmann::json Doc(const CommandResult& run) {
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << run.Describe();
  return doc;
}

// The finding of rule `id` about `subject`, or null.
nlohmann::json FindingOf(const nlohmann::json& doc, std::string_view id, std::string_view subject) {
  if (!doc.contains("findings")) return nullptr;
  for (const nlohmann::json& f : doc["findings"]) {
    if (f["id"] == id && f["subject"] == subject) return f;
  }
  return nullptr;
}

std::vector<nlohmann::json> FindingsOf(const nlohmann::json& doc, std::string_view id) {
  std::vector<nlohmann::json> out;
  if (!doc.contains("findings")) return out;
  for (const nlohmann::json& f : doc["findings"]) {
    if (f["id"] == id) out.push_back(f);
  }
  return out;
}

std::string Label(const HolderSpec& spec, const HolderProcess& holder) {
  return spec.comm + "[" + std::to_string(holder.pid()) + "]";
}

bool AnyLineHas(const nlohmann::json& lines, std::string_view text) {
  for (const nlohmann::json& l : lines) {
    if (l.get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

// CLOSE_WAIT sockets on local port `port`, as ss sees them.
int SsCloseWait(uint16_t port) {
  const SsResult ss = RunSs();
  EXPECT_EQ(ss.error, "");
  int n = 0;
  for (const SocketTuple& s : ss.rows) {
    if (s.state == State::kCloseWait && s.local.port == port) ++n;
  }
  return n;
}

// The accept queue of the listener on `port` now, as `ss -ltn` shows it; -1 if not listed.
int64_t SsAcceptQueue(uint16_t port) {
  const SsListeners ss = RunSsListeners();
  for (const SsListener& l : ss.rows) {
    if (l.local.port == port) return static_cast<int64_t>(l.recv_q);
  }
  return -1;
}

// Every server end has received its client's FIN: CLOSE_WAIT.
bool AllCloseWait(const std::vector<UniqueFd>& servers) {
  for (const UniqueFd& s : servers) {
    if (StateOf(s.get()) != State::kCloseWait) return false;
  }
  return true;
}

std::vector<int> Fds(const std::vector<UniqueFd>& fds) {
  std::vector<int> out;
  out.reserve(fds.size());
  for (const UniqueFd& fd : fds) out.push_back(fd.get());
  return out;
}

// In a holder: a TCP listener of its own on 127.0.0.1 (so the process holds a socket in the
// namespace), then /dev/null opened until the process has `target` fds. "" or "error: ...".
std::string ListenAndFillTo(int target) {
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (l < 0 || ::bind(l, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(l, 4) != 0) {
    return "error: listen: " + std::string(strerror(errno));
  }
  for (int missing = target - CountOpenFds(); missing > 0; --missing) {
    if (::open("/dev/null", O_RDONLY) < 0) return "error: open /dev/null: " + std::to_string(errno);
  }
  return "";
}

// In a holder: a thread that accepts every connection on the listening socket it inherited and
// never closes one (a leaking server). The holder renumbers inherited fds, so the listener is
// found by SO_ACCEPTCONN.
std::string StartLeakingAcceptor() {
  int listener = -1;
  for (int fd = 3; fd < 64 && listener < 0; ++fd) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting != 0) {
      listener = fd;
    }
  }
  if (listener < 0) return "error: no listening socket inherited";
  std::thread([listener] {
    for (;;) {
      // Leaked on purpose: the process never closes what it accepted.
      if (::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC) < 0 && errno != EINTR) {
        ::usleep(10000);
      }
    }
  }).detach();
  return "";
}

// A leaker near its fd limit is critical, with its name, counts, port and fd use; a process
// just below the socket threshold is not reported. The sockets are a few seconds old, so the
// age threshold is lowered with --set (the real kernel's tcp_info gives the age).
TEST(DoctorCloseWaitLeakTest, LeakerNearItsFdLimitIsCritical) {
  const std::string root = EmptySysctlRoot();
  RunInNetns([&root] {
    constexpr int kLeaked = 12;
    constexpr int kFew = 9;  // min_sockets is 10
    Endpoint at;
    const UniqueFd listener = Listen(Loopback(), 64, &at);
    ASSERT_TRUE(listener);
    const Clock::time_point connect_start = Clock::now();
    std::vector<UniqueFd> clients, leaked, few;
    ASSERT_NO_FATAL_FAILURE(ConnectPairs(listener.get(), at, kLeaked, clients, leaked));
    ASSERT_NO_FATAL_FAILURE(ConnectPairs(listener.get(), at, kFew, clients, few));
    const Clock::time_point connect_end = Clock::now();
    clients.clear();
    ASSERT_TRUE(WaitUntil([&] { return AllCloseWait(leaked) && AllCloseWait(few); }));

    // cw-leaker: 3 standard fds, the 2 pipes to the test and 12 sockets, of 20 allowed.
    const HolderSpec leaker_spec{"cw-leaker", 20, 40, {}, {}, Fds(leaked)};
    const HolderSpec few_spec{"cw-few", 1024, 4096, {}, {}, Fds(few)};
    const auto nothing = [] { return std::string(); };
    HolderProcess leaker(leaker_spec, nothing);
    HolderProcess few_holder(few_spec, nothing);
    ASSERT_TRUE(leaker.ok() && few_holder.ok());
    leaked.clear();
    few.clear();
    ASSERT_EQ(SsCloseWait(at.port), kLeaked + kFew);
    const double fd_percent = 100.0 * leaker.open_fds() / 20.0;
    ASSERT_GE(fd_percent, 80.0) << leaker.open_fds();  // the critical threshold
    ASSERT_LT(fd_percent, 95.0) << leaker.open_fds();  // fd-exhaustion: a warning

    const Clock::time_point run_start = Clock::now();
    const CommandResult run =
        RunCheckup(root, "1", {"--set", "close-wait-leak.min_idle_seconds=1"});
    const nlohmann::json doc = Doc(run);
    const Clock::time_point run_end = Clock::now();
    EXPECT_EQ(run.exit_code, 2) << run.out;
    EXPECT_EQ(doc["status"], "critical");
    EXPECT_EQ(doc["states"]["CLOSE_WAIT"], SsCloseWait(at.port));

    const nlohmann::json f = FindingOf(doc, "close-wait-leak", Label(leaker_spec, leaker));
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    EXPECT_EQ(f["severity"], "critical");
    const nlohmann::json& d = f["data"];
    EXPECT_EQ(d["pid"], leaker.pid());
    EXPECT_EQ(d["comm"], "cw-leaker");
    EXPECT_EQ(d["close_wait"], kLeaked);
    EXPECT_EQ(d["sockets"], kLeaked);
    EXPECT_EQ(d["close_wait_new"], 0);  // all were there before the interval
    EXPECT_EQ(d["top_peer"], "127.0.0.1");
    EXPECT_EQ(d["top_peer_count"], kLeaked);
    EXPECT_EQ(d["top_local"], at.WithPort());
    EXPECT_EQ(d["top_local_port"], at.port);
    EXPECT_EQ(d["top_local_count"], kLeaked);
    EXPECT_EQ(d["open_fds"], leaker.open_fds());
    EXPECT_EQ(d["nofile_soft"], 20);
    EXPECT_EQ(d["nofile_hard"], 40);
    EXPECT_NEAR(d["fd_percent"].get<double>(), fd_percent, 1e-9);
    // The age comes from the kernel: nothing was ever received, so it is the time since the
    // connections were made (jiffies: allow a few ms).
    const int64_t idle = d["close_wait_idle_ms"];
    EXPECT_GE(idle, 1000);
    EXPECT_GE(idle, MsBetween(connect_end, run_start) - 20);
    EXPECT_LE(idle, MsBetween(connect_start, run_end) + 20);
    EXPECT_TRUE(AnyLineHas(f["evidence"], "cw-leaker[" + std::to_string(leaker.pid()) +
                                              "] holds 12 sockets in CLOSE_WAIT"))
        << f.dump(2);
    EXPECT_TRUE(AnyLineHas(f["evidence"], "local: " + at.WithPort() + " (12)")) << f.dump(2);
    EXPECT_EQ(f["explain"], nlohmann::json::array({"CLOSE_WAIT"}));
    EXPECT_TRUE(AnyLineHas(f["fix"], "Not a sysctl matter"));

    // Nine are below min_sockets: nothing about cw-few.
    EXPECT_TRUE(FindingOf(doc, "close-wait-leak", Label(few_spec, few_holder)).is_null())
        << doc.dump(2);
    EXPECT_EQ(FindingsOf(doc, "close-wait-leak").size(), 1u) << doc.dump(2);

    // fd-exhaustion sees the same process at 85 %, and calls the limit a symptom of the leak.
    const nlohmann::json fd = FindingOf(doc, "fd-exhaustion", Label(leaker_spec, leaker));
    ASSERT_FALSE(fd.is_null()) << doc.dump(2);
    EXPECT_EQ(fd["severity"], "warning");
    EXPECT_EQ(fd["data"]["open_fds"], leaker.open_fds());
    EXPECT_EQ(fd["data"]["close_wait"], kLeaked);
    EXPECT_NE(fd["why"].get<std::string>().find("symptom"), std::string::npos) << fd.dump(2);
    EXPECT_TRUE(AnyLineHas(fd["fix"], "close-wait-leak"));

    // With the default age threshold (30 s) these young sockets, not growing, are no leak.
    const CommandResult quiet_run = RunCheckup(root, "1");
    const nlohmann::json quiet = Doc(quiet_run);
    EXPECT_TRUE(FindingsOf(quiet, "close-wait-leak").empty()) << quiet.dump(2);
  });
}

// A server that accepts and never closes: while `checkup -i 3` runs, the test makes more
// connections and closes them. The growth over the interval is what the test made, with the
// default thresholds (the sockets are seconds old, far below the 30 s age threshold).
TEST(DoctorCloseWaitLeakTest, GrowthDuringTheIntervalIsALeak) {
  const std::string root = EmptySysctlRoot();
  RunInNetns([&root] {
    constexpr int kBefore = 12;
    constexpr int kDuring = 5;
    Endpoint at;
    UniqueFd listener = Listen(Loopback(), 64, &at);
    ASSERT_TRUE(listener);
    const HolderSpec spec{"cw-grower", {}, {}, {}, {}, {listener.get()}};
    HolderProcess grower(spec, StartLeakingAcceptor);
    ASSERT_TRUE(grower.ok());
    listener.Reset();

    // Connections the grower accepts and whose clients close: CLOSE_WAIT in the grower.
    const auto make_close_wait = [&at](int n, int expected_total) {
      std::vector<UniqueFd> clients;
      for (int i = 0; i < n; ++i) {
        Connection c = ConnectAndWait(at);
        EXPECT_TRUE(c.fd) << "connect: " << c.error;
        clients.push_back(std::move(c.fd));
      }
      // Accepted (the queue is empty) before the clients close, so the grower holds them.
      EXPECT_TRUE(
          WaitUntil([&] { return SsAcceptQueue(at.port) == 0; }, std::chrono::milliseconds(1500)));
      clients.clear();
      EXPECT_TRUE(WaitUntil([&] { return SsCloseWait(at.port) == expected_total; },
                            std::chrono::milliseconds(1500)));
    };
    make_close_wait(kBefore, kBefore);
    ASSERT_EQ(SsCloseWait(at.port), kBefore);

    const Clock::time_point start = Clock::now();
    Clock::time_point made;
    std::thread during([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      make_close_wait(kDuring, kBefore + kDuring);
      made = Clock::now();
    });
    const CommandResult run = RunCheckup(root, "3");
    const nlohmann::json doc = Doc(run);
    during.join();
    // The new sockets were made well inside the interval (it starts when tcpdoctor starts).
    ASSERT_LT(MsBetween(start, made), 2500) << "too slow to make the sockets in the interval";
    EXPECT_EQ(SsCloseWait(at.port), kBefore + kDuring);

    EXPECT_GE(run.exit_code, 1) << run.out;
    const nlohmann::json f = FindingOf(doc, "close-wait-leak", Label(spec, grower));
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    EXPECT_EQ(f["severity"], "warning");
    const nlohmann::json& d = f["data"];
    EXPECT_EQ(d["pid"], grower.pid());
    EXPECT_EQ(d["comm"], "cw-grower");
    EXPECT_EQ(d["close_wait"], kBefore + kDuring);
    EXPECT_EQ(d["close_wait_new"], kDuring);
    EXPECT_GE(d["interval_seconds"].get<double>(), 2.9);
    EXPECT_LT(d["close_wait_idle_ms"].get<int64_t>(), 30000);  // so growth is the reason
    EXPECT_EQ(d["top_local_port"], at.port);
    EXPECT_EQ(d["top_local_count"], kBefore + kDuring);
    EXPECT_EQ(d["top_peer"], "127.0.0.1");
    EXPECT_TRUE(AnyLineHas(f["evidence"], "+5 in 3 s")) << f.dump(2);
    EXPECT_TRUE(AnyLineHas(f["evidence"], "12 stayed in CLOSE_WAIT")) << f.dump(2);
  });
}

// Three holders with a soft nofile of 40: at 39 fds (97.5 %) critical, at 34 (85 %) a warning,
// at 20 (50 %) nothing.
TEST(DoctorFdExhaustionTest, ProcessesNearTheirNofileLimit) {
  const std::string root = EmptySysctlRoot();
  RunInNetns([&root] {
    const HolderSpec full_spec{"fd-full", 40, 80, {}, {}, {}};
    const HolderSpec most_spec{"fd-most", 40, 80, {}, {}, {}};
    const HolderSpec half_spec{"fd-half", 40, 80, {}, {}, {}};
    HolderProcess full(full_spec, [] { return ListenAndFillTo(39); });
    HolderProcess most(most_spec, [] { return ListenAndFillTo(34); });
    HolderProcess half(half_spec, [] { return ListenAndFillTo(20); });
    ASSERT_TRUE(full.ok() && most.ok() && half.ok());
    ASSERT_EQ(full.open_fds(), 39);
    ASSERT_EQ(most.open_fds(), 34);
    ASSERT_EQ(half.open_fds(), 20);

    const CommandResult run = RunCheckup(root, "0");
    const nlohmann::json doc = Doc(run);
    EXPECT_EQ(run.exit_code, 2) << run.out;
    const struct {
      const HolderSpec& spec;
      const HolderProcess& holder;
      const char* severity;
    } expected[] = {{full_spec, full, "critical"}, {most_spec, most, "warning"}};
    for (const auto& e : expected) {
      SCOPED_TRACE(e.spec.comm);
      const nlohmann::json f = FindingOf(doc, "fd-exhaustion", Label(e.spec, e.holder));
      ASSERT_FALSE(f.is_null()) << doc.dump(2);
      EXPECT_EQ(f["severity"], e.severity);
      const nlohmann::json& d = f["data"];
      EXPECT_EQ(d["pid"], e.holder.pid());
      EXPECT_EQ(d["comm"], e.spec.comm);
      EXPECT_EQ(d["open_fds"], e.holder.open_fds());
      EXPECT_EQ(d["nofile_soft"], 40);
      EXPECT_EQ(d["nofile_hard"], 80);
      EXPECT_NEAR(d["fd_percent"].get<double>(), 100.0 * e.holder.open_fds() / 40.0, 1e-9);
      EXPECT_EQ(d["sockets"], 1);  // its listener
      EXPECT_EQ(d["close_wait"], 0);
      // Soft below hard: raise the soft limit at once.
      EXPECT_TRUE(AnyLineHas(f["fix"],
                             "prlimit --pid " + std::to_string(e.holder.pid()) + " --nofile=80:80"))
          << f.dump(2);
      EXPECT_TRUE(AnyLineHas(f["evidence"], "open fds: " + std::to_string(e.holder.open_fds()) +
                                                " of soft nofile 40"));
    }
    EXPECT_TRUE(FindingOf(doc, "fd-exhaustion", Label(half_spec, half)).is_null()) << doc.dump(2);
    EXPECT_EQ(FindingsOf(doc, "fd-exhaustion").size(), 2u) << doc.dump(2);
  });
}

// During `checkup -i 3`: kLinger clients close with SO_LINGER {1, 0} (TCPAbortOnData) and
// kUnread servers close with a byte unread (TCPAbortOnClose). The findings carry the counters'
// increases, which equal what /proc/net/netstat shows around the run and what the test did.
TEST(DoctorAbortedClosesTest, LingerZeroAndUnreadDataClosesDuringTheInterval) {
  const std::string root = EmptySysctlRoot();
  RunInNetns([&root] {
    constexpr int kLinger = 12;
    constexpr int kUnread = 11;
    Endpoint at;
    const UniqueFd listener = Listen(Loopback(), 64, &at);
    ASSERT_TRUE(listener);
    std::vector<UniqueFd> linger_clients, linger_servers, unread_clients, unread_servers;
    ASSERT_NO_FATAL_FAILURE(
        ConnectPairs(listener.get(), at, kLinger, linger_clients, linger_servers));
    ASSERT_NO_FATAL_FAILURE(
        ConnectPairs(listener.get(), at, kUnread, unread_clients, unread_servers));
    for (const UniqueFd& c : unread_clients) ASSERT_EQ(::send(c.get(), "x", 1, 0), 1);
    ASSERT_TRUE(WaitUntil([&] {
      for (const UniqueFd& s : unread_servers) {
        char b;
        if (::recv(s.get(), &b, 1, MSG_PEEK | MSG_DONTWAIT) != 1) return false;
      }
      return true;
    }));

    std::string error;
    const CounterValues before = ReadProcCounters(error);
    ASSERT_EQ(error, "");
    const Clock::time_point start = Clock::now();
    Clock::time_point done;
    std::thread closer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      for (UniqueFd& c : linger_clients) AbortiveClose(c);
      unread_servers.clear();
      done = Clock::now();
    });
    const CommandResult run = RunCheckup(root, "3");
    const nlohmann::json doc = Doc(run);
    closer.join();
    const CounterValues after = ReadProcCounters(error);
    ASSERT_EQ(error, "");
    ASSERT_LT(MsBetween(start, done), 2500) << "too slow to close inside the interval";

    const int64_t on_data = after.at("TcpExt.TCPAbortOnData") - before.at("TcpExt.TCPAbortOnData");
    const int64_t on_close =
        after.at("TcpExt.TCPAbortOnClose") - before.at("TcpExt.TCPAbortOnClose");
    // kernel-facts §5: SO_LINGER {1, 0} counts TCPAbortOnData, unread data TCPAbortOnClose.
    EXPECT_EQ(on_data, kLinger);
    EXPECT_EQ(on_close, kUnread);
    EXPECT_EQ(after.at("TcpExt.TCPAbortOnLinger"), before.at("TcpExt.TCPAbortOnLinger"));

    EXPECT_GE(run.exit_code, 1) << run.out;
    const double interval = doc["interval_seconds"];
    EXPECT_GE(interval, 2.9);
    const struct {
      const char* counter;
      int64_t increase;
    } expected[] = {{"TCPAbortOnData", on_data}, {"TCPAbortOnClose", on_close}};
    for (const auto& e : expected) {
      SCOPED_TRACE(e.counter);
      const nlohmann::json f = FindingOf(doc, "aborted-closes", e.counter);
      ASSERT_FALSE(f.is_null()) << doc.dump(2);
      EXPECT_EQ(f["severity"], "warning");  // about 4/s, over 1/s
      EXPECT_EQ(f["data"]["counter"], e.counter);
      EXPECT_EQ(f["data"]["increase"], e.increase);
      EXPECT_NEAR(f["data"]["per_second"].get<double>(), e.increase / interval, 1e-6);
      EXPECT_EQ(f["explain"], nlohmann::json::array({e.counter}));
    }
    // One sample: no rate, nothing said.
    const CommandResult once_run = RunCheckup(root, "0");
    const nlohmann::json once = Doc(once_run);
    EXPECT_TRUE(FindingsOf(once, "aborted-closes").empty()) << once.dump(2);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
