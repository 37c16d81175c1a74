// The netns sandbox the integration tests stand on: a fresh namespace with only `lo`, failures
// that reach the parent, and nothing left behind whatever the body does.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "support/netns_sandbox.h"
#include "support/proc_net_tcp_table.h"
#include "support/run_command.h"
#include "support/unique_fd.h"

namespace tcpdoctor::itest {
namespace {

bool CanConnectOverLoopback(const char* address) {
  const auto endpoint = Endpoint::Parse(address);
  if (!endpoint) return false;
  UniqueFd listener(::socket(endpoint->family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage sa{};
  socklen_t len = endpoint->ToSockaddr(sa);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return false;
  }
  UniqueFd client(::socket(endpoint->family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return ::connect(client.get(), reinterpret_cast<sockaddr*>(&sa), len) == 0;
}

TEST(NetnsSandboxTest, GivesAFreshNamespaceWithLoopbackUp) {
  const std::string host_netns = CurrentNetnsId();
  RunInNetns([host_netns] {
    EXPECT_NE(CurrentNetnsId(), host_netns);
    std::string error;
    EXPECT_TRUE(ReadProcNetTcp(error).empty()) << "a new namespace has no TCP sockets";
    EXPECT_EQ(error, "");
    EXPECT_TRUE(CanConnectOverLoopback("127.0.0.1"));
    EXPECT_TRUE(CanConnectOverLoopback("127.0.0.77"));  // all of 127/8 is local
    EXPECT_TRUE(CanConnectOverLoopback("::1"));
  });
}

TEST(NetnsSandboxTest, TheHostSideSeesTheChildsNamespace) {
  std::string reported;
  std::string seen;
  RunInNetns([] { HandOffToHost(CurrentNetnsId()); },
             [&](pid_t child, const std::string& payload) {
               reported = payload;
               char target[64] = {};
               const std::string link = "/proc/" + std::to_string(child) + "/ns/net";
               ASSERT_GT(::readlink(link.c_str(), target, sizeof target - 1), 0);
               seen = target;
             });
  EXPECT_FALSE(reported.empty());
  EXPECT_EQ(seen, reported);
  EXPECT_NE(seen, CurrentNetnsId());
}

// EXPECT_NONFATAL_FAILURE takes no local variables, hence these free functions and globals.
void FailInChild() {
  RunInNetns([] { ADD_FAILURE() << "deliberate failure " << 6 * 7; });
}

TEST(NetnsSandboxTest, ChildFailuresAreReportedInTheParent) {
  EXPECT_NONFATAL_FAILURE(FailInChild(), "deliberate failure 42");
}

void ExitEarlyInChild() {
  RunInNetns([] { ::_exit(3); });
}

void KillChild() {
  RunInNetns([] { ::kill(::getpid(), SIGKILL); });
}

TEST(NetnsSandboxTest, AChildThatDiesIsAFailure) {
  EXPECT_NONFATAL_FAILURE(ExitEarlyInChild(), "ended before its body returned (exit 3)");
  EXPECT_NONFATAL_FAILURE(KillChild(), "killed by signal 9");
}

pid_t g_grandchild = 0;

// The body starts a process and hangs; the parent must kill both after the timeout.
void HangInChild() {
  SandboxOptions options;
  options.timeout = std::chrono::seconds(2);
  RunInNetns(
      [] {
        const pid_t pid = ::fork();
        if (pid == 0) {
          ::pause();
          ::_exit(0);
        }
        HandOffToHost(std::to_string(pid));
        std::this_thread::sleep_for(std::chrono::seconds(30));
      },
      [](pid_t, const std::string& payload) { g_grandchild = std::stoi(payload); }, options);
}

TEST(NetnsSandboxTest, TimeoutKillsTheChildAndWhatItStarted) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NONFATAL_FAILURE(HangInChild(), "did not finish within 2 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_GT(g_grandchild, 0);
  EXPECT_EQ(::kill(g_grandchild, 0), -1) << "the hanging body's process survived";
  EXPECT_EQ(errno, ESRCH);
}

// The body forgets a process: the sandbox reports it, and kills and reaps it.
void LeakInChild() {
  RunInNetns([] {
    if (::fork() == 0) {
      ::pause();
      ::_exit(0);
    }
  });
}

TEST(NetnsSandboxTest, ProcessesLeftRunningAreReportedAndKilled) {
  EXPECT_NONFATAL_FAILURE(LeakInChild(), "left processes running");
}

TEST(NetnsSandboxTest, CommandsAreBoundedInTime) {
  RunInNetns([] {
    const auto start = std::chrono::steady_clock::now();
    CommandOptions options;
    options.timeout = std::chrono::milliseconds(200);
    const CommandResult r = RunCommand({"sleep", "30"}, options);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.signal, SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    const CommandResult missing = RunCommand({"/nonexistent/program"});
    EXPECT_EQ(missing.exit_code, 127) << missing.Describe();
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
