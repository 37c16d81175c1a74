// ScanSocketOwners and ReadProcessDetails on a fake /proc built in a temporary directory at test
// time (fd links made with symlink(2), as the kernel shows them), with EACCES tried as user
// nobody; then one scan of the real /proc that must find this test's own socket.
#include "collect/process_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "collect/cgroup_unit.h"
#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;
using test_util::ReadText;

// A /proc-like tree under a fresh temporary directory, removed when the test ends.
class FakeProc {
 public:
  FakeProc() {
    std::string pattern = ::testing::TempDir() + "/tcpdoctor_proc_XXXXXX";
    root_ = ::mkdtemp(pattern.data());
    ::chmod(root_.c_str(), 0755);  // user nobody walks it in one test
  }
  ~FakeProc() {
    for (const std::string& dir : locked_) ::chmod(dir.c_str(), 0755);
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;

  const std::string& root() const { return root_; }
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  void Dir(const std::string& relative) const {
    std::filesystem::create_directories(Path(relative));
  }
  void File(const std::string& relative, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(Path(relative)).parent_path());
    std::ofstream(Path(relative), std::ios::binary) << content;
  }
  void Link(const std::string& relative, const std::string& target) const {
    ASSERT_EQ(::symlink(target.c_str(), Path(relative).c_str()), 0) << relative;
  }
  // A process directory: comm, and fd N -> target for each pair.
  void Process(int pid, const std::string& comm,
               std::initializer_list<std::pair<int, std::string>> fds) const {
    const std::string dir = std::to_string(pid);
    Dir(dir + "/fd");
    File(dir + "/comm", comm + "\n");
    for (const auto& [fd, target] : fds) Link(dir + "/fd/" + std::to_string(fd), target);
  }
  // Takes permissions away from a directory until the tree is removed.
  void Lock(const std::string& relative, mode_t mode) {
    locked_.push_back(Path(relative));
    ASSERT_EQ(::chmod(locked_.back().c_str(), mode), 0);
  }

 private:
  std::string root_;
  std::vector<std::string> locked_;
};

std::vector<int32_t> HolderPids(const SocketOwners& owners, uint64_t inode) {
  std::vector<int32_t> pids;
  for (const auto& h : owners.HoldersOf(inode)) pids.push_back(owners.processes()[h.process].pid);
  return pids;
}

std::vector<int32_t> Pids(const SocketOwners& owners) {
  std::vector<int32_t> pids;
  for (const ProcessInfo& p : owners.processes()) pids.push_back(p.pid);
  return pids;
}

const ProcessInfo* Find(const SocketOwners& owners, int32_t pid) {
  for (const ProcessInfo& p : owners.processes()) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

SocketOwners Scan(const std::string& root) {
  auto owners = ScanSocketOwners(ProcFs(root));
  EXPECT_TRUE(owners.ok()) << owners.error().ToString();
  return owners.ok() ? std::move(*owners) : SocketOwners{};
}

// The shared population: nginx (100) and a worker (200) share socket 1234, which nginx holds
// on two fds; sshd (50) and the worker share 5678; cat (300) holds none; 400 has exited.
void Populate(const FakeProc& proc) {
  proc.Process(200, "worker",
               {{0, "/dev/null"}, {1, "socket:[1234]"}, {2, "socket:[5678]"}, {7, "pipe:[5]"}});
  proc.Process(100, "nginx",
               {{0, "/dev/null"},
                {3, "socket:[1234]"},
                {4, "socket:[1234]"},
                {5, "anon_inode:[eventpoll]"},
                {6, "pipe:[5]"}});
  proc.Process(300, "cat", {{0, "/dev/null"}, {1, "pipe:[5]"}});
  // Targets that only look like sockets.
  proc.Process(50, "sshd",
               {{9, "socket:[5678]"},
                {10, "socket:[]"},
                {11, "socket:[12x]"},
                {12, "socket:[99999999999999999999999]"},
                {13, "socket:[0]"},
                {14, "socket:[77"},
                {15, "/var/lib/" + std::string(200, 'x') + "/socket:[77]"}});
  proc.Dir("400");  // exited between the listing and the scan: no fd directory
  // Not processes: a "self" link, directories and a file that are not pids.
  proc.Link("self", "100");
  proc.Process(7, "nope", {});
  std::filesystem::rename(proc.Path("7"), proc.Path("007"));
  proc.Dir("net");
  proc.Dir("1a/fd");
  proc.Link("1a/fd/0", "socket:[1234]");
  proc.Dir("4294967296/fd");
  proc.Link("4294967296/fd/0", "socket:[1234]");
  proc.File("cpuinfo", "processor : 0\n");
}

TEST(ProcessScanTest, FindsEveryHolderLowestPidFirst) {
  FakeProc proc;
  Populate(proc);
  const SocketOwners owners = Scan(proc.root());

  EXPECT_EQ(Pids(owners), (std::vector<int32_t>{50, 100, 200}));  // not cat, not the others
  EXPECT_EQ(HolderPids(owners, 1234), (std::vector<int32_t>{100, 200}));
  EXPECT_EQ(HolderPids(owners, 5678), (std::vector<int32_t>{50, 200}));
  EXPECT_EQ(owners.holder_count(), 4u);  // nginx's second fd on 1234 counts once
  for (uint64_t not_held : {0, 5, 77, 12}) EXPECT_TRUE(owners.HoldersOf(not_held).empty());
  EXPECT_EQ(owners.vanished, 1u);
  EXPECT_EQ(owners.unreadable, 0u);

  const ProcessInfo* nginx = Find(owners, 100);
  ASSERT_NE(nginx, nullptr);
  EXPECT_EQ(nginx->comm, "nginx");
  EXPECT_EQ(nginx->open_fds, 5u);
  EXPECT_FALSE(nginx->details_read);
  EXPECT_EQ(Find(owners, 200)->open_fds, 4u);
  EXPECT_EQ(Find(owners, 50)->open_fds, 7u);
  EXPECT_EQ(Find(owners, 50)->comm, "sshd");
}

TEST(ProcessScanTest, UidIsTheOwnerOfTheProcessDirectory) {
  FakeProc proc;
  proc.Process(100, "nginx", {{3, "socket:[1234]"}});
  const uid_t owner = ::geteuid() == 0 ? 4242 : ::geteuid();
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(proc.Path("100").c_str(), owner, 0), 0);
  }
  const SocketOwners owners = Scan(proc.root());
  ASSERT_EQ(owners.processes().size(), 1u);
  EXPECT_EQ(owners.processes()[0].uid, owner);
}

TEST(ProcessScanTest, EmptyTree) {
  FakeProc proc;
  const SocketOwners owners = Scan(proc.root());
  EXPECT_TRUE(owners.processes().empty());
  EXPECT_EQ(owners.holder_count(), 0u);
  EXPECT_EQ(owners.vanished + owners.unreadable, 0u);
}

TEST(ProcessScanTest, UnlistableRootIsAnError) {
  FakeProc proc;
  auto missing = ScanSocketOwners(ProcFs(proc.Path("absent")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().context, proc.Path("absent"));
  EXPECT_FALSE(missing.error().hint.empty());
  EXPECT_NE(missing.error().ToString().find("cannot list the processes"), std::string::npos);

  proc.File("file", "");
  auto not_dir = ScanSocketOwners(ProcFs(proc.Path("file")));
  ASSERT_FALSE(not_dir.ok());
  EXPECT_EQ(not_dir.error().sys_errno, ENOTDIR);
}

// The scan's counts, as a child process reports them through a pipe.
struct ChildCounts {
  int ok = 0;
  uint32_t processes = 0;
  uint32_t unreadable = 0;
  uint32_t vanished = 0;
  uint32_t holders_of_1234 = 0;
};

// Scans `root` as user nobody when running as root (root reads every fd directory), else as
// ourselves, in a child so that the test process keeps its credentials.
ChildCounts ScanAsUnprivileged(const std::string& root) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    ChildCounts counts;
    const bool dropped = ::geteuid() != 0 ||
                         (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 &&
                          ::setresuid(65534, 65534, 65534) == 0);
    auto owners = ScanSocketOwners(ProcFs(root));
    if (dropped && owners.ok()) {
      counts.ok = 1;
      counts.processes = static_cast<uint32_t>(owners->processes().size());
      counts.unreadable = owners->unreadable;
      counts.vanished = owners->vanished;
      counts.holders_of_1234 = static_cast<uint32_t>(owners->HoldersOf(1234).size());
    }
    const ssize_t written = ::write(fds[1], &counts, sizeof counts);
    ::_exit(written == sizeof counts ? 0 : 1);
  }
  ::close(fds[1]);
  ChildCounts counts;
  EXPECT_EQ(::read(fds[0], &counts, sizeof counts), static_cast<ssize_t>(sizeof counts));
  ::close(fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return counts;
}

// nginx (100) and process 500, which shares its socket and whose fd directory gets `mode`:
// 500 must be counted as unreadable and left out.
void ExpectLockedOutProcessCounted(mode_t mode) {
  FakeProc proc;
  proc.Process(100, "nginx", {{3, "socket:[1234]"}});
  proc.Process(500, "secret", {{0, "/dev/null"}, {3, "socket:[1234]"}, {4, "socket:[999]"}});
  proc.Lock("500/fd", mode);
  const ChildCounts counts = ScanAsUnprivileged(proc.root());
  ASSERT_EQ(counts.ok, 1);
  EXPECT_EQ(counts.unreadable, 1u);
  EXPECT_EQ(counts.vanished, 0u);
  EXPECT_EQ(counts.processes, 1u);
  EXPECT_EQ(counts.holders_of_1234, 1u);
}

TEST(ProcessScanTest, UnreadableFdDirectoryIsCountedNotAdded) { ExpectLockedOutProcessCounted(0); }

// What /proc does to a process with capabilities we lack (even as root): its fd directory
// lists, but every readlink is EACCES. Mode r-- does the same to a plain directory.
TEST(ProcessScanTest, UnreadableFdLinksAreCountedNotAdded) { ExpectLockedOutProcessCounted(0444); }

// The entries of /proc/self/fd, not counting the descriptor that lists them.
uint32_t CountOwnFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint32_t entries = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..") ++entries;
  }
  ::closedir(dir);
  return entries - 1;
}

TEST(ProcessScanTest, RealProcFindsOurOwnSocket) {
  const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(sock, &st), 0);
  const uint32_t our_fds = CountOwnFds();
  std::string comm = ReadText("/proc/self/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();

  const SocketOwners owners = Scan("/proc");
  ::close(sock);

  const ProcessInfo* us = nullptr;
  for (const auto& h : owners.HoldersOf(st.st_ino)) {
    if (owners.processes()[h.process].pid == ::getpid()) us = &owners.processes()[h.process];
  }
  ASSERT_NE(us, nullptr) << "socket inode " << st.st_ino;
  EXPECT_EQ(us->comm, comm);
  EXPECT_EQ(us->uid, ::geteuid());
  // The scan holds three directories open while it reads ours: /proc, /proc/PID, its fd; each
  // other scan thread (up to 3 more) may hold two of its own at that moment.
  EXPECT_GE(us->open_fds, our_fds + 3);
  EXPECT_LE(us->open_fds, our_fds + 3 + 2 * 3);
  EXPECT_GT(owners.holder_count(), 0u);
}

// --- details ---

TEST(ProcessScanTest, CmdlineText) {
  using std::string_literals::operator""s;
  EXPECT_EQ(CmdlineText("/usr/sbin/nginx\0-g\0daemon off;\0"s, "nginx"),
            "/usr/sbin/nginx -g daemon off;");
  EXPECT_EQ(CmdlineText("", "kworker/0:1"), "[kworker/0:1]");
  EXPECT_EQ(CmdlineText("\0\0\0"s, "kthreadd"), "[kthreadd]");
  // setproctitle(): no NULs between words, NUL or space padding after them.
  EXPECT_EQ(CmdlineText("nginx: worker process\0\0\0\0\0\0\0\0"s, "nginx"),
            "nginx: worker process");
  EXPECT_EQ(CmdlineText("postgres: checkpointer   "s, "postgres"), "postgres: checkpointer");
  // Escape sequences and newlines do not reach the terminal; empty arguments stay visible.
  EXPECT_EQ(CmdlineText("echo\0a\nb\x1b[31m\0\0x\0"s, "echo"), "echo a?b?[31m  x");
  // Cut at kMaxCmdlineBytes, then "...".
  EXPECT_EQ(CmdlineText(std::string(120, 'a') + '\0', "a"), std::string(120, 'a'));
  EXPECT_EQ(CmdlineText(std::string(121, 'a'), "a"), std::string(120, 'a') + "...");
  EXPECT_EQ(CmdlineText(std::string(100000, 'a'), "a"), std::string(120, 'a') + "...");
  EXPECT_EQ(CmdlineText(std::string(60, 'a') + '\0' + std::string(100, 'b'), "a"),
            std::string(60, 'a') + ' ' + std::string(59, 'b') + "...");
  // Not inside a UTF-8 character: "é" is two bytes at 119 and 120.
  EXPECT_EQ(CmdlineText(std::string(119, 'a') + "\xc3\xa9" + "z", "a"),
            std::string(119, 'a') + "...");
  EXPECT_EQ(CmdlineText(std::string(118, 'a') + "\xc3\xa9" + "z", "a"),
            std::string(118, 'a') + "\xc3\xa9...");
}

TEST(ProcessScanTest, ReadProcessDetails) {
  using std::string_literals::operator""s;
  FakeProc proc;
  proc.Process(100, "nginx", {{3, "socket:[1234]"}});
  proc.File("100/cmdline", "/usr/sbin/nginx\0-g\0daemon off;\0"s);
  proc.File("100/cgroup", "0::/system.slice/nginx.service\n");
  proc.File("100/limits", ReadText(FixturePath("proc/limits/kernel-6.18-soft-1024")));
  proc.Process(2, "kthreadd", {{3, "socket:[5678]"}});
  proc.File("2/cmdline", "");
  proc.File("2/cgroup", "0::/\n");
  proc.File("2/limits", "Limit  Soft Limit  Hard Limit  Units\nMax open files  lots\n");

  SocketOwners owners = Scan(proc.root());
  ASSERT_EQ(owners.processes().size(), 2u);
  for (ProcessInfo& p : owners.mutable_processes()) ReadProcessDetails(ProcFs(proc.root()), p);

  const ProcessInfo& kthreadd = owners.processes()[0];
  EXPECT_TRUE(kthreadd.details_read);
  EXPECT_EQ(kthreadd.cmdline, "[kthreadd]");
  EXPECT_EQ(kthreadd.unit, "");
  EXPECT_EQ(kthreadd.nofile_soft, std::nullopt);  // malformed
  EXPECT_EQ(kthreadd.nofile_hard, std::nullopt);

  const ProcessInfo& nginx = owners.processes()[1];
  EXPECT_TRUE(nginx.details_read);
  EXPECT_EQ(nginx.cmdline, "/usr/sbin/nginx -g daemon off;");
  EXPECT_EQ(nginx.unit, "nginx.service");
  EXPECT_EQ(nginx.nofile_soft, 1024u);
  EXPECT_EQ(nginx.nofile_hard, 20000u);
  if (nginx.uid == 0) {
    EXPECT_EQ(nginx.user, "root");
  }
  EXPECT_FALSE(nginx.user.empty());
}

TEST(ProcessScanTest, DetailsOfAnExitedProcessAreEmpty) {
  FakeProc proc;
  ProcessInfo gone;
  gone.pid = 999;
  gone.comm = "gone";
  gone.uid = 4242421;  // a uid with no name
  ReadProcessDetails(ProcFs(proc.root()), gone);
  EXPECT_TRUE(gone.details_read);
  EXPECT_EQ(gone.user, "4242421");  // known from the scan, so still shown
  EXPECT_EQ(gone.cmdline, "");
  EXPECT_EQ(gone.unit, "");
  EXPECT_EQ(gone.nofile_soft, std::nullopt);
  EXPECT_EQ(gone.nofile_hard, std::nullopt);

  ProcessInfo root_user;
  root_user.pid = 999;
  ReadProcessDetails(ProcFs(proc.root()), root_user);
  EXPECT_EQ(root_user.user, "root");
}

TEST(ProcessScanTest, DetailsOfOurselves) {
  ProcessInfo us;
  us.pid = ::getpid();
  us.uid = ::geteuid();
  ReadProcessDetails(ProcFs("/proc"), us);
  EXPECT_NE(us.cmdline.find("tcpdoctor_tests"), std::string::npos) << us.cmdline;
  ASSERT_TRUE(us.nofile_soft.has_value());
  struct rlimit limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(*us.nofile_soft, limit.rlim_cur == RLIM_INFINITY ? kUnlimited : limit.rlim_cur);
  EXPECT_EQ(*us.nofile_hard, limit.rlim_max == RLIM_INFINITY ? kUnlimited : limit.rlim_max);
  EXPECT_EQ(us.unit, UnitFromCgroup(ReadText("/proc/self/cgroup")));
}

}  // namespace
}  // namespace tcpdoctor
