// The doctor's queue and close rules against real conditions made on loopback in a private
// namespace: an accept queue that overflows while `checkup -i 1` runs (its listener owned by a
// child process with a name of its own), a SYN queue filled with half-open connections
// (TCP_DEFER_ACCEPT keeps them) while syncookies are off, FIN_WAIT2 sockets a process keeps
// after shutdown(), orphaned FIN_WAIT2, and LAST_ACK behind data the peer never reads. Every
// figure is checked against what the kernel did (the test's own sockets, ss, /proc/net/netstat,
// nstat), never against numbers written into the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "support/close_recipes.h"
#include "support/holder_process.h"
#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

using recipes::Checkup;
using recipes::CheckupJson;
using recipes::ExpectedExit;
using recipes::FindingAbout;
using recipes::FindingsOf;

Endpoint Loopback(std::string_view address = "127.0.0.1", uint16_t port = 0) {
  return *Endpoint::Parse(address, port);
}

// Keeps connecting to `to`, one non-blocking connect every 20 ms, until destroyed; the
// sockets stay open (SYN_SENT) until then.
class ConnectStorm {
 public:
  explicit ConnectStorm(const Endpoint& to)
      : thread_([this, to](const std::stop_token& stop) { Run(stop, to); }) {}
  ~ConnectStorm() { Stop(); }

  void Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  size_t connects() {
    std::lock_guard lock(mutex_);
    return fds_.size();
  }

 private:
  void Run(const std::stop_token& stop, const Endpoint& to) {
    while (!stop.stop_requested()) {
      Connection c = ConnectNoWait(to);
      if (c.fd) {
        std::lock_guard lock(mutex_);
        fds_.push_back(std::move(c.fd));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::mutex mutex_;
  std::vector<UniqueFd> fds_;
  std::jthread thread_;  // last: it starts once the members above exist
};

// `tcpdoctor checkup -i 1 --json` with a connect storm against `to` for its whole interval,
// and the namespace's counters read by /proc/net/netstat and nstat just before and after it.
struct StormRun {
  CommandResult run;
  CounterValues proc_before, proc_after, nstat_before, nstat_after;
  size_t connects = 0;
};

StormRun CheckupDuringStorm(const Endpoint& to) {
  StormRun r;
  std::string error;
  r.proc_before = ReadProcCounters(error);
  EXPECT_EQ(error, "");
  r.nstat_before = RunNstat(error);
  EXPECT_EQ(error, "");
  {
    ConnectStorm storm(to);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // already overflowing
    r.run = RunTcpdoctor({"checkup", "-i", "1", "--json"});
    storm.Stop();
    r.connects = storm.connects();
  }
  r.proc_after = ReadProcCounters(error);
  EXPECT_EQ(error, "");
  r.nstat_after = RunNstat(error);
  EXPECT_EQ(error, "");
  return r;
}

// The increase tcpdoctor reported for `key` must be positive and fit within what
// /proc/net/netstat and nstat saw around the run.
void ExpectIncreaseWithin(const StormRun& r, const std::string& key, int64_t reported) {
  EXPECT_GT(reported, 0) << key;
  const int64_t proc = r.proc_after.at(key) - r.proc_before.at(key);
  const int64_t nstat = r.nstat_after.at(NstatName(key)) - r.nstat_before.at(NstatName(key));
  EXPECT_LE(reported, proc) << key << " rose by " << proc << " in /proc/net/netstat around the run";
  EXPECT_LE(reported, nstat) << key << " rose by " << nstat << " in nstat around the run";
  EXPECT_EQ(proc, nstat) << key << ": /proc/net/netstat and nstat disagree";
}

// The test process's name, as /proc/self/comm has it.
std::string OwnComm() {
  std::ifstream in("/proc/self/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

// A child process named `comm` that holds `listener` (the test then closes its own copy).
std::unique_ptr<HolderProcess> HandListenerTo(const std::string& comm, UniqueFd& listener) {
  HolderSpec spec;
  spec.comm = comm;
  spec.keep_fds = {listener.get()};
  auto holder = std::make_unique<HolderProcess>(spec, [] { return std::string("holding"); });
  EXPECT_TRUE(holder->ok()) << holder->report();
  listener.Reset();
  return holder;
}

TEST(DoctorQueuesTest, AcceptQueueOverflowNamesTheListenerAndItsProcess) {
  RunInNetns([] {
    constexpr int kBacklog = 3;
    Endpoint at;
    UniqueFd listener = Listen(Loopback(), kBacklog, &at);
    ASSERT_TRUE(listener);
    // backlog + 1 handshakes complete into the queue, which nobody accepts from.
    std::vector<UniqueFd> queued;
    for (int i = 0; i < kBacklog + 1; ++i) {
      Connection c = ConnectAndWait(at);
      ASSERT_TRUE(c.fd) << std::strerror(c.error);
      queued.push_back(std::move(c.fd));
    }
    auto holder = HandListenerTo("slowacceptor", listener);
    ASSERT_TRUE(holder->ok());

    const StormRun r = CheckupDuringStorm(at);
    EXPECT_GT(r.connects, 0u);
    const nlohmann::json doc = CheckupJson(r.run, "checkup -i 1 during a connect storm");
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(r.run.exit_code, ExpectedExit(doc)) << r.run.out;
    const nlohmann::json f = FindingAbout(doc, "accept-queue-overflow", at.WithPort());
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    const nlohmann::json& data = f["data"];
    EXPECT_EQ(data["comm"], "slowacceptor") << data.dump();
    EXPECT_EQ(data["pid"], holder->pid()) << data.dump();
    EXPECT_EQ(data["port"], at.port);
    EXPECT_EQ(data["listener"], at.WithPort());
    EXPECT_NE(
        f["title"].get<std::string>().find("slowacceptor[" + std::to_string(holder->pid()) + "]"),
        std::string::npos)
        << f["title"];

    // The queue as ss sees it, after the run (nothing accepts, so it has not changed).
    const SsListeners ss = RunSsListeners();
    ASSERT_EQ(ss.error, "");
    ASSERT_EQ(ss.rows.size(), 1u);
    EXPECT_EQ(data["accept_queue"], ss.rows[0].recv_q);
    EXPECT_EQ(data["backlog"], ss.rows[0].send_q);
    EXPECT_EQ(data["accept_queue"], queued.size()) << "the clients that completed a handshake";
    EXPECT_EQ(data["full_now"], 1);
    EXPECT_EQ(data["blame"], "full_now");
    EXPECT_EQ(data["cause"], "small_backlog") << "listen(3) is below small_backlog";
    EXPECT_EQ(data["capped_by_somaxconn"], 0);
    EXPECT_EQ(data["somaxconn"], std::stoll(*ReadSysctl("net/core/somaxconn")));

    // Overflows: counted by the kernel during the run, at most what /proc and nstat saw.
    ExpectIncreaseWithin(r, "TcpExt.ListenOverflows", data["listen_overflows"].get<int64_t>());
    EXPECT_GE(data["listen_drops"].get<int64_t>(), data["listen_overflows"].get<int64_t>());
    const double rate = data["listen_overflows_per_second"];
    EXPECT_DOUBLE_EQ(
        rate, data["listen_overflows"].get<double>() / doc["interval_seconds"].get<double>());
    EXPECT_EQ(f["severity"], rate >= 10 ? "critical" : "warning") << data.dump();
    EXPECT_EQ(doc["status"], f["severity"]) << "the worst finding here";

    // With the storm over, no counter rises: one sample sees the full queue, as a warning.
    const nlohmann::json calm = Checkup({"-i", "0"});
    const nlohmann::json still = FindingAbout(calm, "accept-queue-overflow", at.WithPort());
    ASSERT_FALSE(still.is_null()) << calm.dump(2);
    EXPECT_EQ(still["severity"], "warning");
    EXPECT_FALSE(still["data"].contains("listen_overflows")) << "no rate with one sample";
  });
}

TEST(DoctorQueuesTest, OverflowWithNoListenerFullIsBlamedOnTheFullest) {
  RunInNetns([] {
    // A listener that overflows, then drains (accepts all) before the checkup's dump: only the
    // counters remember. A second, idle listener shares the namespace.
    Endpoint busy_at;
    Endpoint idle_at;
    UniqueFd busy = Listen(Loopback(), 1, &busy_at);
    UniqueFd idle = Listen(Loopback("127.0.0.2"), 128, &idle_at);
    ASSERT_TRUE(busy && idle);
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 2; ++i) {
      Connection c = ConnectAndWait(busy_at);
      ASSERT_TRUE(c.fd);
      clients.push_back(std::move(c.fd));
    }
    // Overflows during the first half of a 2 s interval (the checkup's first counter sample is
    // taken within milliseconds of its start), an empty queue at the dump after it.
    auto run = std::async(std::launch::async, [] {
      return RunTcpdoctor({"checkup", "-i", "2", "--json"});
    });
    {
      ConnectStorm storm(busy_at);
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
    // The storm is over (its clients closed): drain the queue until the run ends, so nothing
    // is full at the dump.
    std::vector<UniqueFd> accepted;
    ASSERT_EQ(::fcntl(busy.get(), F_SETFL, ::fcntl(busy.get(), F_GETFL) | O_NONBLOCK), 0);
    std::atomic<bool> stop = false;
    std::thread drainer([&] {
      while (!stop) {
        UniqueFd fd(::accept4(busy.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (fd) accepted.push_back(std::move(fd));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    const CommandResult result = run.get();
    stop = true;
    drainer.join();
    const nlohmann::json doc = CheckupJson(result, "checkup -i 2");
    ASSERT_FALSE(doc.is_null());
    const auto findings = FindingsOf(doc, "accept-queue-overflow");
    ASSERT_EQ(findings.size(), 1u) << doc.dump(2);
    const nlohmann::json& f = findings[0];
    EXPECT_EQ(f["subject"], busy_at.WithPort()) << "the fullest: backlog 1";
    EXPECT_EQ(f["data"]["blame"], "fullest");
    EXPECT_EQ(f["data"]["full_now"], 0);
    EXPECT_EQ(f["data"]["comm"], OwnComm()) << "the test process owns it";
    EXPECT_EQ(f["data"]["pid"], ::getpid());
    EXPECT_GT(f["data"]["listen_overflows"].get<int64_t>(), 0);
  });
}

// The number of SYN_RECV request sockets ss lists on `at`.
size_t SsSynRecv(const Endpoint& at) {
  const SsResult ss = RunSs({"state", "syn-recv"}, State::kSynRecv);
  EXPECT_EQ(ss.error, "");
  return static_cast<size_t>(std::count_if(ss.rows.begin(), ss.rows.end(),
                                           [&at](const SocketTuple& s) { return s.local == at; }));
}

TEST(DoctorQueuesTest, FullSynQueueWithSyncookiesOffDropsSyns) {
  RunInNetns([] {
    SetNamespaceSysctl("net/ipv4/tcp_syncookies", "0");
    constexpr int kBacklog = 8;
    Endpoint at;
    // TCP_DEFER_ACCEPT: the server drops the clients' bare final ACKs and keeps each handshake
    // as a request socket (SYN_RECV) in the SYN queue.
    UniqueFd listener = Listen(Loopback(), kBacklog, &at, /*defer_accept=*/true);
    ASSERT_TRUE(listener);
    std::vector<UniqueFd> clients;
    for (int i = 0; i < kBacklog + 1; ++i) {
      Connection c = ConnectAndWait(at);
      ASSERT_TRUE(c.fd) << "connect " << i << ": " << std::strerror(c.error);
      clients.push_back(std::move(c.fd));
    }
    ASSERT_TRUE(WaitUntil([&] { return SsSynRecv(at) == kBacklog + 1u; }))
        << "listen(" << kBacklog << ") should hold backlog+1 request sockets, ss shows "
        << SsSynRecv(at);
    auto holder = HandListenerTo("synholder", listener);
    ASSERT_TRUE(holder->ok());

    const StormRun r = CheckupDuringStorm(at);
    const nlohmann::json doc = CheckupJson(r.run, "checkup -i 1 during a SYN storm");
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(r.run.exit_code, ExpectedExit(doc)) << r.run.out;
    const nlohmann::json f = FindingAbout(doc, "syn-queue-pressure", at.WithPort());
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    const nlohmann::json& data = f["data"];
    EXPECT_EQ(data["comm"], "synholder");
    EXPECT_EQ(data["pid"], holder->pid());
    EXPECT_EQ(data["syn_recv"], SsSynRecv(at)) << "SYN_RECV as ss sees it";
    const SsListeners ss = RunSsListeners();
    ASSERT_EQ(ss.error, "");
    ASSERT_EQ(ss.rows.size(), 1u);
    EXPECT_EQ(data["backlog"], ss.rows[0].send_q);
    EXPECT_EQ(data["syn_queue_limit"], ss.rows[0].send_q + 1) << "the SYN queue holds backlog+1";
    EXPECT_EQ(data["full_now"], 1);
    EXPECT_EQ(data["syncookies"], 0);
    EXPECT_EQ(data["accept_queue"], 0);
    ExpectIncreaseWithin(r, "TcpExt.TCPReqQFullDrop", data["req_q_full_drop"].get<int64_t>());
    const double rate = data["req_q_full_drop_per_second"];
    EXPECT_EQ(f["severity"], rate >= 10 ? "critical" : "warning") << data.dump();
    EXPECT_EQ(r.proc_after.at("TcpExt.TCPReqQFullDoCookies"),
              r.proc_before.at("TcpExt.TCPReqQFullDoCookies"))
        << "no cookies with tcp_syncookies=0";
    // The fix turns cookies back on; it never sizes the queue with tcp_max_syn_backlog.
    const std::string fix = f["fix"].dump();
    EXPECT_NE(fix.find("sysctl -w net.ipv4.tcp_syncookies=1"), std::string::npos) << fix;
    EXPECT_EQ(fix.find("sysctl -w net.ipv4.tcp_max_syn_backlog"), std::string::npos) << fix;
    // SYN-queue drops are not accept-queue overflows.
    EXPECT_TRUE(FindingsOf(doc, "accept-queue-overflow").empty()) << doc.dump(2);
    // The audit says the same about the setting.
    const nlohmann::json audit = FindingAbout(doc, "sysctl-audit", "net.ipv4.tcp_syncookies");
    ASSERT_FALSE(audit.is_null()) << doc.dump(2);
    EXPECT_EQ(audit["severity"], "warning");
  });
}

TEST(DoctorQueuesTest, FullSynQueueWithSyncookiesOnIsAbsorbed) {
  RunInNetns([] {
    ASSERT_EQ(ReadSysctl("net/ipv4/tcp_syncookies"), "1") << "a new namespace's default";
    constexpr int kBacklog = 8;
    Endpoint at;
    UniqueFd listener = Listen(Loopback(), kBacklog, &at, /*defer_accept=*/true);
    ASSERT_TRUE(listener);
    std::vector<UniqueFd> clients;
    for (int i = 0; i < kBacklog + 1; ++i) {
      Connection c = ConnectAndWait(at);
      ASSERT_TRUE(c.fd) << std::strerror(c.error);
      clients.push_back(std::move(c.fd));
    }
    ASSERT_TRUE(WaitUntil([&] { return SsSynRecv(at) == kBacklog + 1u; }));
    const StormRun r = CheckupDuringStorm(at);
    const nlohmann::json doc = CheckupJson(r.run, "checkup -i 1 during a SYN storm");
    ASSERT_FALSE(doc.is_null());
    const nlohmann::json f = FindingAbout(doc, "syn-queue-pressure", at.WithPort());
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    const nlohmann::json& data = f["data"];
    EXPECT_EQ(data["syncookies"], 1);
    EXPECT_EQ(data["comm"], OwnComm());
    EXPECT_EQ(data["pid"], ::getpid());
    ExpectIncreaseWithin(r, "TcpExt.TCPReqQFullDoCookies",
                         data["req_q_full_do_cookies"].get<int64_t>());
    EXPECT_EQ(r.proc_after.at("TcpExt.TCPReqQFullDrop"), r.proc_before.at("TcpExt.TCPReqQFullDrop"))
        << "cookies instead of drops";
    const double rate = data["req_q_full_do_cookies_per_second"];
    EXPECT_EQ(f["severity"], rate >= 100 ? "warning" : "info") << data.dump();
    EXPECT_NE(f["fix"].dump().find("tcp_max_syn_backlog does not help"), std::string::npos);
    EXPECT_TRUE(FindingAbout(doc, "sysctl-audit", "net.ipv4.tcp_syncookies").is_null());
  });
}

// FIN_WAIT2 and LAST_ACK sockets in the namespace, as ss counts them, with their peers.
size_t SsCount(State state, const Endpoint* peer_address = nullptr) {
  const SsResult ss = RunSs();
  EXPECT_EQ(ss.error, "");
  return static_cast<size_t>(
      std::count_if(ss.rows.begin(), ss.rows.end(), [&](const SocketTuple& s) {
        return s.state == state &&
               (peer_address == nullptr || s.remote.Address() == peer_address->Address());
      }));
}

TEST(DoctorQueuesTest, FinWait2HeldAfterShutdownAndOrphaned) {
  RunInNetns([] {
    constexpr int kHeld = 12;
    constexpr int kOrphaned = 3;
    Endpoint at;
    UniqueFd listener = Listen(Loopback("127.0.0.2"), 64, &at);
    ASSERT_TRUE(listener);
    // The clients half-close; the servers read the EOF and never close (CLOSE_WAIT), so each
    // client waits in FIN_WAIT2 for a FIN that never comes.
    std::vector<UniqueFd> clients;
    std::vector<UniqueFd> servers;
    for (int i = 0; i < kHeld + kOrphaned; ++i) {
      clients.push_back(recipes::ConnectFrom(Loopback("127.0.0.1"), at, false));
      ASSERT_TRUE(clients.back());
      servers.push_back(AcceptOne(listener.get()));
      ASSERT_TRUE(servers.back());
      ASSERT_NO_FATAL_FAILURE(recipes::ShutdownWrite(clients.back().get()));
      ASSERT_NO_FATAL_FAILURE(recipes::ExpectEof(servers.back().get()));
    }
    ASSERT_TRUE(WaitUntil([&] {
      return std::all_of(clients.begin(), clients.end(),
                         [](const UniqueFd& fd) { return StateOf(fd.get()) == State::kFinWait2; });
    }));
    // Three clients close: orphaned FIN_WAIT2 (tcp_fin_timeout now applies to them).
    for (int i = 0; i < kOrphaned; ++i) clients[kHeld + i].Reset();
    clients.resize(kHeld);
    // The rest go to a process of their own.
    std::vector<int> fds;
    fds.reserve(clients.size());
    for (const UniqueFd& c : clients) fds.push_back(c.get());
    HolderSpec spec;
    spec.comm = "halfcloser";
    spec.keep_fds = fds;
    HolderProcess holder(spec, [] { return std::string("holding"); });
    ASSERT_TRUE(holder.ok()) << holder.report();
    clients.clear();

    const Endpoint server_address = Loopback("127.0.0.2");
    ASSERT_EQ(SsCount(State::kFinWait2, &server_address), size_t{kHeld + kOrphaned});
    const nlohmann::json doc =
        Checkup({"-i", "0", "--set", "close-pileup.fin_wait2_owned_min=" + std::to_string(kHeld),
                 "--set", "close-pileup.fin_wait2_orphaned_min=" + std::to_string(kOrphaned)});
    ASSERT_FALSE(doc.is_null());
    const std::string label = "halfcloser[" + std::to_string(holder.pid()) + "]";
    const nlohmann::json f = FindingAbout(doc, "close-pileup", label);
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["data"]["comm"], "halfcloser");
    EXPECT_EQ(f["data"]["pid"], holder.pid());
    EXPECT_EQ(f["data"]["fin_wait2"], kHeld);
    EXPECT_EQ(f["data"]["fin_wait2_owned"], kHeld);
    EXPECT_EQ(f["data"]["fin_wait2_orphaned"], kOrphaned);
    EXPECT_EQ(f["data"]["top_peer"], server_address.Address());
    EXPECT_EQ(f["data"]["top_peer_sockets"], SsCount(State::kFinWait2, &server_address));
    EXPECT_EQ(doc["states"]["FIN_WAIT2"], SsCount(State::kFinWait2));

    const nlohmann::json orphans = FindingAbout(doc, "close-pileup", "FIN_WAIT2 (orphaned)");
    ASSERT_FALSE(orphans.is_null()) << doc.dump(2);
    EXPECT_EQ(orphans["severity"], "info");
    EXPECT_EQ(orphans["data"]["fin_wait2_orphaned"], kOrphaned);
    EXPECT_EQ(orphans["data"]["tcp_fin_timeout"],
              std::stoll(*ReadSysctl("net/ipv4/tcp_fin_timeout")));
    EXPECT_NE(orphans["fix"].dump().find("not TIME_WAIT"), std::string::npos);

    // With the default thresholds, 12 are not a pile-up.
    const nlohmann::json defaults = Checkup({"-i", "0"});
    EXPECT_TRUE(FindingsOf(defaults, "close-pileup").empty()) << defaults.dump(2);
  });
}

TEST(DoctorQueuesTest, LastAckBehindDataThePeerNeverReads) {
  RunInNetns([] {
    constexpr int kStuck = 4;
    Endpoint at;
    UniqueFd listener = Listen(Loopback("127.0.0.2"), 64, &at);
    ASSERT_TRUE(listener);
    const Endpoint client_address = Loopback("127.0.0.3");
    std::vector<UniqueFd> clients;
    for (int i = 0; i < kStuck; ++i) {
      // The client half-closes and never reads; the server reads the EOF, fills the client's
      // closed window and closes: its FIN waits behind the data, in LAST_ACK.
      clients.push_back(recipes::ConnectFrom(client_address, at, true));
      ASSERT_TRUE(clients.back());
      UniqueFd server = AcceptOne(listener.get());
      ASSERT_TRUE(server);
      ::setsockopt(server.get(), SOL_SOCKET, SO_SNDBUF, &recipes::kSmallBuffer,
                   sizeof recipes::kSmallBuffer);
      ASSERT_NO_FATAL_FAILURE(recipes::ShutdownWrite(clients.back().get()));
      ASSERT_NO_FATAL_FAILURE(recipes::ExpectEof(server.get()));
      ASSERT_NO_FATAL_FAILURE(recipes::FillUntilStuck(server.get()));
      server.Reset();  // close(): an orphan in LAST_ACK
    }
    ASSERT_TRUE(WaitUntil([&] { return SsCount(State::kLastAck) == kStuck; }))
        << "LAST_ACK: " << SsCount(State::kLastAck);
    const nlohmann::json doc =
        Checkup({"-i", "0", "--set", "close-pileup.unacked_fin_min=" + std::to_string(kStuck)});
    ASSERT_FALSE(doc.is_null());
    const nlohmann::json f = FindingAbout(doc, "close-pileup", "LAST_ACK");
    ASSERT_FALSE(f.is_null()) << doc.dump(2);
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["data"]["sockets"], SsCount(State::kLastAck));
    EXPECT_EQ(f["data"]["top_peer"], client_address.Address());
    EXPECT_EQ(f["data"]["top_peer_sockets"], SsCount(State::kLastAck, &client_address));
    EXPECT_EQ(f["data"]["tcp_orphan_retries"],
              std::stoll(*ReadSysctl("net/ipv4/tcp_orphan_retries")));
    // tcp_max_orphans and tcp_mem are global: absent here, so those parts stay quiet.
    EXPECT_FALSE(ReadSysctl("net/ipv4/tcp_max_orphans").has_value());
    EXPECT_TRUE(FindingAbout(doc, "close-pileup", "orphans").is_null());
    EXPECT_TRUE(FindingAbout(doc, "close-pileup", "tcp_mem").is_null());
    const nlohmann::json below =
        Checkup({"-i", "0", "--set", "close-pileup.unacked_fin_min=" + std::to_string(kStuck + 1)});
    EXPECT_TRUE(FindingAbout(below, "close-pileup", "LAST_ACK").is_null()) << below.dump(2);
  });
}

TEST(DoctorQueuesTest, HealthyNamespaceHasNoQueueOrCloseFindings) {
  RunInNetns([] {
    Endpoint at;
    UniqueFd listener = Listen(Loopback(), 128, &at);
    ASSERT_TRUE(listener);
    std::vector<UniqueFd> clients;
    std::vector<UniqueFd> servers;
    for (int i = 0; i < 5; ++i) {
      Connection c = ConnectAndWait(at);
      ASSERT_TRUE(c.fd);
      clients.push_back(std::move(c.fd));
      servers.push_back(AcceptOne(listener.get()));
    }
    CommandResult run;
    const nlohmann::json doc = Checkup({"-i", "1"}, &run);
    ASSERT_FALSE(doc.is_null());
    for (const std::string id :
         {"accept-queue-overflow", "syn-queue-pressure", "close-pileup", "sysctl-audit"}) {
      EXPECT_TRUE(FindingsOf(doc, id).empty()) << id << ": " << doc.dump(2);
    }
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
