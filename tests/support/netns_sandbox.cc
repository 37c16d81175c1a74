#include "support/netns_sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/unique_fd.h"

namespace tcpdoctor::itest {
namespace {

// Frames on the child-to-parent pipe: one type byte, a 4-byte length, the payload.
enum FrameType : char {
  kFailure = 'F',  // file '\0' line '\0' message
  kNetns = 'N',    // the child's namespace id
  kHandOff = 'H',  // payload for the host side; the child then waits for one byte back
  kDone = 'D',     // the body returned
};

struct Channel {
  int to_parent = -1;
  int from_parent = -1;
};

Channel g_channel;  // set in a sandbox child
bool g_in_sandbox = false;
int g_child_failures = 0;

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void SendFrame(FrameType type, const std::string& payload) {
  std::string frame(1, static_cast<char>(type));
  const auto size = static_cast<uint32_t>(payload.size());
  frame.append(reinterpret_cast<const char*>(&size), sizeof size);
  frame += payload;
  WriteAll(g_channel.to_parent, frame.data(), frame.size());
}

// Takes every gtest result in the child and streams the failures to the parent. It is a scoped
// fake reporter for the current thread (the child has only one), so that it also wins over a
// reporter the parent had installed when it forked (EXPECT_NONFATAL_FAILURE) and over an outer
// sandbox's; it is never destroyed, since the child ends with _exit.
class ForwardingReporter : public ::testing::ScopedFakeTestPartResultReporter {
 public:
  ForwardingReporter()
      : ScopedFakeTestPartResultReporter(INTERCEPT_ONLY_CURRENT_THREAD, &unused_) {}

  void ReportTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    ++g_child_failures;
    std::string payload = result.file_name() != nullptr ? result.file_name() : "";
    payload += '\0';
    payload += std::to_string(result.line_number());
    payload += '\0';
    payload += result.message();
    SendFrame(kFailure, payload);
  }

 private:
  ::testing::TestPartResultArray unused_;
};

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string BringLoopbackUp() {
  const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return Errno("socket for SIOCSIFFLAGS");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return Errno("SIOCGIFFLAGS lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &ifr) != 0) return Errno("SIOCSIFFLAGS lo up");
  return "";
}

std::string EnterNamespaces(const SandboxOptions& options) {
  if (::unshare(CLONE_NEWNET | (options.private_run ? CLONE_NEWNS : 0)) != 0) {
    return Errno("unshare(CLONE_NEWNET)");
  }
  if (options.private_run) {
    // Private first, so that nothing mounted below propagates to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return Errno("make / private");
    }
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") != 0) {
      return Errno("tmpfs on /run");
    }
    if (::mkdir("/run/netns", 0755) != 0) return Errno("mkdir /run/netns");
  }
  return BringLoopbackUp();
}

// Direct children of `parent`, found through /proc (orphans re-parented to a subreaper too).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces, so start after the last ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 1));
    char state = 0;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == parent) out.push_back(pid);
  }
  ::closedir(dir);
  return out;
}

// In the child, before it exits: everything it started must have been waited for already.
void ReapDescendants() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) continue;  // an exited orphan handed to us as subreaper
    if (pid < 0) return;    // ECHILD: nothing left
    const std::vector<pid_t> running = ChildrenOf(::getpid());
    std::string list;
    for (pid_t p : running) {
      list += " " + std::to_string(p);
      ::kill(p, SIGKILL);
    }
    ADD_FAILURE() << "the sandbox body left processes running:" << list << " (killed)";
    while (::waitpid(-1, &status, 0) > 0 || errno == EINTR) {
    }
    return;
  }
}

[[noreturn]] void RunChild(const std::function<void()>& body, const SandboxOptions& options,
                           int to_parent, int from_parent) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans of our commands come back to us to be reaped
  if (g_channel.to_parent >= 0) {      // nested: talk to our own parent only
    ::close(g_channel.to_parent);
    ::close(g_channel.from_parent);
  }
  g_channel = {to_parent, from_parent};
  g_in_sandbox = true;
  g_child_failures = 0;
  new ForwardingReporter;  // intentionally never freed: the child ends with _exit

  const std::string setup_error = EnterNamespaces(options);
  if (!setup_error.empty()) {
    ADD_FAILURE() << "cannot set up the network namespace: " << setup_error;
  } else {
    SendFrame(kNetns, CurrentNetnsId());
    try {
      body();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "uncaught exception in the sandbox: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "uncaught non-standard exception in the sandbox";
    }
  }
  ReapDescendants();
  SendFrame(kDone, "");
  std::fflush(nullptr);
  ::_exit(g_child_failures == 0 ? 0 : 1);
}

// The parent's side of the protocol.
class ChildMonitor {
 public:
  ChildMonitor(pid_t pid, int from_child, int to_child, const HostSide& host_side)
      : pid_(pid), from_child_(from_child), to_child_(to_child), host_side_(host_side) {}

  // Reads frames until the child closes its pipe or the deadline passes.
  void Run(std::chrono::steady_clock::time_point deadline) {
    std::string buffer;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out_ = true;
        return;
      }
      pollfd p{from_child_.get(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(from_child_.get(), chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      buffer.append(chunk, static_cast<size_t>(n));
      while (buffer.size() >= 5) {
        uint32_t size = 0;
        std::memcpy(&size, buffer.data() + 1, sizeof size);
        if (buffer.size() < 5 + size) break;
        Handle(static_cast<FrameType>(buffer[0]), buffer.substr(5, size));
        buffer.erase(0, 5 + size);
      }
    }
  }

  bool timed_out() const { return timed_out_; }
  bool done() const { return done_; }
  int failures() const { return failures_; }
  const std::string& netns_id() const { return netns_id_; }

 private:
  void Handle(FrameType type, const std::string& payload) {
    switch (type) {
      case kFailure: {
        ++failures_;
        const size_t a = payload.find('\0');
        const size_t b = payload.find('\0', a + 1);
        const std::string file = payload.substr(0, a);
        const int line = std::atoi(payload.substr(a + 1, b - a - 1).c_str());
        const std::string message = payload.substr(b + 1);
        if (file.empty()) {
          ADD_FAILURE() << "[in netns sandbox] " << message;
        } else {
          ADD_FAILURE_AT(file.c_str(), line) << "[in netns sandbox] " << message;
        }
        return;
      }
      case kNetns:
        netns_id_ = payload;
        return;
      case kHandOff:
        if (host_side_) {
          try {
            host_side_(pid_, payload);
          } catch (const std::exception& e) {
            ADD_FAILURE() << "uncaught exception in the host side: " << e.what();
          }
        } else {
          ADD_FAILURE() << "the sandbox body called HandOffToHost() but no host side was given";
        }
        WriteAll(to_child_.get(), "k", 1);
        return;
      case kDone:
        done_ = true;
        return;
    }
    ADD_FAILURE() << "unknown frame from the sandbox child: " << static_cast<int>(type);
  }

  pid_t pid_;
  UniqueFd from_child_;
  UniqueFd to_child_;
  const HostSide& host_side_;
  bool timed_out_ = false;
  bool done_ = false;
  int failures_ = 0;
  std::string netns_id_;
};

// Waits for `pid` until the deadline; false if it is still running then.
bool WaitFor(pid_t pid, int& status, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) return true;  // not ours any more: nothing to wait for
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Reaps whatever is left of the process group `pgid` (orphans come to us as subreaper).
void ReapGroup(pid_t pgid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(-pgid, &status, WNOHANG);
    if (r < 0 && errno != EINTR) return;  // ECHILD: none left
    if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::vector<pid_t> ProcessesInNetns(const std::string& netns_id) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    char target[64] = {};
    const std::string link = "/proc/" + std::string(entry->d_name) + "/ns/net";
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0 && netns_id == std::string(target, static_cast<size_t>(n))) out.push_back(pid);
  }
  ::closedir(dir);
  return out;
}

std::string CurrentNetnsId() {
  char target[64] = {};
  const ssize_t n = ::readlink("/proc/self/ns/net", target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

bool InNetnsSandbox() { return g_in_sandbox; }

void HandOffToHost(const std::string& payload) {
  if (!g_in_sandbox) {
    ADD_FAILURE() << "HandOffToHost() called outside a netns sandbox";
    return;
  }
  SendFrame(kHandOff, payload);
  char reply = 0;
  ssize_t n = 0;
  do {
    n = ::read(g_channel.from_parent, &reply, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ADD_FAILURE() << "the parent went away during the hand-off";
}

void RunInNetns(const std::function<void()>& body, const SandboxOptions& options) {
  RunInNetns(body, HostSide{}, options);
}

void RunInNetns(const std::function<void()>& body, const HostSide& host_side,
                const SandboxOptions& options) {
  ASSERT_EQ(::geteuid(), 0u) << "the integration tests need root: they create network "
                                "namespaces (unshare CLONE_NEWNET). Run tcpdoctor_tests as root.";
  // Orphans of a killed child are re-parented to us, so that we can reap them.
  static const bool subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  ASSERT_TRUE(subreaper) << "prctl(PR_SET_CHILD_SUBREAPER): " << std::strerror(errno);

  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(::pipe2(to_parent, O_CLOEXEC), 0) << std::strerror(errno);
  ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0) << std::strerror(errno);
  std::fflush(nullptr);  // or the child would print the parent's buffered output again
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    RunChild(body, options, to_parent[1], to_child[0]);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  if (pid < 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    FAIL() << "fork: " << std::strerror(errno);
  }
  ::setpgid(pid, pid);  // as the child does, so a kill of the group cannot miss it

  const auto start = std::chrono::steady_clock::now();
  ChildMonitor monitor(pid, to_parent[0], to_child[1], host_side);
  monitor.Run(start + options.timeout);

  int status = 0;
  bool exited = !monitor.timed_out() &&
                WaitFor(pid, status, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  if (!exited) {
    ::kill(-pid, SIGKILL);
    WaitFor(pid, status, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    ReapGroup(pid);
    while (::waitpid(-1, &status, WNOHANG) > 0) {  // nested sandboxes have groups of their own
    }
    ADD_FAILURE() << "the netns sandbox did not finish within " << options.timeout.count()
                  << " s; killed its process group";
    return;
  }

  std::string abnormal;
  if (WIFSIGNALED(status)) {
    abnormal = "was killed by signal " + std::to_string(WTERMSIG(status));
  } else if (!monitor.done()) {
    abnormal = "ended before its body returned (exit " + std::to_string(WEXITSTATUS(status)) + ")";
  } else if (WEXITSTATUS(status) != 0 && monitor.failures() == 0) {
    abnormal = "exited with " + std::to_string(WEXITSTATUS(status)) + " without a failure";
  }
  if (!abnormal.empty()) ADD_FAILURE() << "the netns sandbox child " << abnormal;

  // Nothing may be left: the child reaped what it started, so its group must be empty.
  if (::kill(-pid, 0) == 0) {
    ::kill(-pid, SIGKILL);
    ReapGroup(pid);
    ADD_FAILURE() << "processes of the netns sandbox outlived it (killed)";
  }
  if (!monitor.netns_id().empty()) {
    const std::vector<pid_t> left = ProcessesInNetns(monitor.netns_id());
    EXPECT_TRUE(left.empty()) << left.size() << " process(es) still in the sandbox namespace "
                              << monitor.netns_id() << ", e.g. pid " << left.front();
  }
}

}  // namespace tcpdoctor::itest
