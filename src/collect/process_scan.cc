#include "collect/process_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "collect/cgroup_unit.h"
#include "collect/process_limits.h"

namespace tcpdoctor {
namespace {

// A descriptor opened relative to a directory, closed on every path out. On failure get() is
// -1 and error() the errno.
class DirRelativeFd {
 public:
  DirRelativeFd(int dir, const char* name, int flags)
      : fd_(::openat(dir, name, flags | O_CLOEXEC)), error_(fd_ < 0 ? errno : 0) {}
  ~DirRelativeFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirRelativeFd(const DirRelativeFd&) = delete;
  DirRelativeFd& operator=(const DirRelativeFd&) = delete;

  int get() const { return fd_; }
  int error() const { return error_; }

 private:
  int fd_;
  int error_;
};

// Lists directories with getdents64 into one buffer reused for all of them: opendir would
// allocate a buffer per process.
class DirLister {
 public:
  // Calls on_entry(const char* name) for each entry but "." and "..", until it returns false;
  // returns 0 or the errno of a failed read (ENOENT: the process of a /proc directory exited).
  template <typename OnEntry>
  int ForEach(int dir, OnEntry&& on_entry) {
    for (;;) {
      const ssize_t n = ::getdents64(dir, buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      if (n == 0) return 0;
      for (size_t offset = 0; offset < static_cast<size_t>(n);) {
        const char* record = buf_.data() + offset;
        uint16_t length = 0;
        std::memcpy(&length, record + offsetof(struct dirent64, d_reclen), sizeof length);
        const char* name = record + offsetof(struct dirent64, d_name);
        offset += length;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
        if (!on_entry(name)) return 0;
      }
    }
  }

 private:
  std::vector<char> buf_ = std::vector<char>(size_t{64} << 10);
};

// "1234" -> 1234; nullopt for anything else (self, net, "007").
std::optional<int32_t> ParsePid(std::string_view name) {
  int32_t pid = 0;
  if (name.empty() || name.front() < '1' || name.front() > '9') return std::nullopt;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid, 10);
  if (ec != std::errc{} || end != name.data() + name.size()) return std::nullopt;
  return pid;
}

// The pid as a NUL-terminated directory name, in `out`.
void PidName(int32_t pid, char (&out)[16]) {
  const auto [end, ec] = std::to_chars(out, out + sizeof out - 1, pid);
  *end = '\0';
  (void)ec;  // an int32 always fits in 15 characters
}

// "socket:[12345]" -> 12345; 0 for any other link target.
uint64_t SocketInode(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!target.starts_with(kPrefix) || !target.ends_with(']')) return 0;
  const std::string_view digits = target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1);
  uint64_t inode = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inode, 10);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return 0;
  return inode;
}

// Reads at most `max_bytes` of the file `name` under `dir` into `out`; 0 or the errno.
int ReadFileAt(int dir, const char* name, size_t max_bytes, std::string& out) {
  out.clear();
  const DirRelativeFd file(dir, name, O_RDONLY);
  if (file.get() < 0) return file.error();
  char buf[4096];
  while (out.size() < max_bytes) {
    const ssize_t n = ::read(file.get(), buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return 0;
}

// Bounds for the whole-file reads of ReadProcessDetails: enough for any cmdline we show, with
// room for the NUL padding setproctitle() leaves, and for a cgroup or limits file.
constexpr size_t kCmdlineReadBytes = 4096;
constexpr size_t kSmallFileBytes = size_t{64} << 10;

bool Vanished(int err) { return err == ENOENT || err == ESRCH; }

// Threads that read fd links at once; more than the cores only adds contention.
constexpr size_t kMaxScanThreads = 4;

// One scan: the buffers it reuses from process to process, and what it has found.
class OwnerScan {
 public:
  explicit OwnerScan(int root) : root_(root) {}

  // Lists the processes under the root, lowest pid first; 0 or the errno.
  int ListPids(std::vector<int32_t>& pids) {
    const int err = lister_.ForEach(root_, [&pids](const char* name) {
      if (auto pid = ParsePid(name)) pids.push_back(*pid);
      return true;
    });
    std::sort(pids.begin(), pids.end());
    return err;
  }

  void Scan(int32_t pid) {
    const int err = ScanProcess(pid);
    if (err == 0) return;
    if (Vanished(err)) {
      ++owners_.vanished;
    } else {
      ++owners_.unreadable;  // EACCES, EPERM, or anything else that hid its fds from us
    }
  }

  void Absorb(OwnerScan&& other) { owners_.Absorb(std::move(other.owners_)); }

  SocketOwners Finish() && {
    owners_.Finish();
    return std::move(owners_);
  }

 private:
  // Adds the process if it holds a socket; 0 or the errno that stopped it.
  int ScanProcess(int32_t pid) {
    char name[16];
    PidName(pid, name);
    // O_PATH: this descriptor is only fstat'ed and used as the base of the *at() calls.
    const DirRelativeFd pid_dir(root_, name, O_PATH | O_DIRECTORY);
    if (pid_dir.get() < 0) return pid_dir.error();
    struct stat st {};
    if (::fstat(pid_dir.get(), &st) != 0) return errno;
    const DirRelativeFd fd_dir(pid_dir.get(), "fd", O_RDONLY | O_DIRECTORY);
    if (fd_dir.get() < 0) return fd_dir.error();

    inodes_.clear();
    uint32_t open_fds = 0;
    int denied = 0;
    const int err = lister_.ForEach(fd_dir.get(), [&](const char* fd) {
      ++open_fds;
      // A socket's link is "socket:[" + at most 20 digits + "]", 29 bytes; a link that fills
      // the buffer is a longer target (a path).
      char target[64];
      const ssize_t n = ::readlinkat(fd_dir.get(), fd, target, sizeof target);
      if (n < 0) {
        // The directory can open while its links stay closed to us: the kernel checks ptrace
        // access per link, and denies even root a process with capabilities root lacks.
        if (errno == EACCES || errno == EPERM) denied = errno;
        return denied == 0;  // else ENOENT: the fd was closed since the listing
      }
      if (static_cast<size_t>(n) >= sizeof target) return true;
      const uint64_t inode = SocketInode(std::string_view(target, static_cast<size_t>(n)));
      if (inode != 0) inodes_.push_back(inode);
      return true;
    });
    if (err != 0) return err;
    if (denied != 0) return denied;
    if (inodes_.empty()) return 0;

    ProcessInfo info;
    info.pid = pid;
    info.uid = st.st_uid;
    info.open_fds = open_fds;
    const int comm_err = ReadFileAt(pid_dir.get(), "comm", 256, info.comm);
    if (comm_err != 0) return comm_err;
    if (!info.comm.empty() && info.comm.back() == '\n') info.comm.pop_back();
    const uint32_t index = owners_.AddProcess(std::move(info));
    for (uint64_t inode : inodes_) owners_.AddHolder(inode, index);
    return 0;
  }

  int root_;
  DirLister lister_;
  std::vector<uint64_t> inodes_;  // the sockets of the process being scanned
  SocketOwners owners_;
};

// The name of `uid` in the password database, or the number when it has none.
std::string UserName(uint32_t uid) {
  std::vector<char> buf(1024);
  for (;;) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    const int err = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    if (err == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (err == 0 && found != nullptr && found->pw_name[0] != '\0') return found->pw_name;
    return std::to_string(uid);
  }
}

}  // namespace

Result<SocketOwners> ScanSocketOwners(const ProcFs& proc) {
  const DirRelativeFd root(AT_FDCWD, proc.root().c_str(), O_RDONLY | O_DIRECTORY);
  OwnerScan scan(root.get());
  std::vector<int32_t> pids;
  const int err = root.get() < 0 ? root.error() : scan.ListPids(pids);
  if (err != 0) {
    return Error::FromErrno(err, "cannot list the processes", proc.root())
        .WithHint("the owners of sockets are found in procfs; is it mounted there?");
  }
  // Reading fd links costs the kernel ~6 µs each (660,000 links at a million sockets), so
  // the processes are shared out between threads, every n-th to each: neighbouring pids are
  // often a master and its workers, of similar size.
  const size_t threads =
      std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxScanThreads);
  std::deque<OwnerScan> helpers;  // a deque: scans are not moved once they exist
  for (size_t t = 1; t < threads && t < pids.size(); ++t) helpers.emplace_back(root.get());
  std::vector<std::thread> running;
  for (size_t t = 0; t < helpers.size(); ++t) {
    running.emplace_back([&, t] {
      for (size_t i = t + 1; i < pids.size(); i += helpers.size() + 1) helpers[t].Scan(pids[i]);
    });
  }
  for (size_t i = 0; i < pids.size(); i += helpers.size() + 1) scan.Scan(pids[i]);
  for (std::thread& r : running) r.join();
  for (OwnerScan& h : helpers) scan.Absorb(std::move(h));
  return std::move(scan).Finish();
}

std::string CmdlineText(std::string_view raw, std::string_view comm) {
  while (!raw.empty() && (raw.back() == '\0' || raw.back() == ' ')) raw.remove_suffix(1);
  if (raw.empty()) {
    std::string bracketed = "[";  // not "[" + std::string(comm): GCC 12 -Wrestrict misfires
    bracketed.append(comm).append("]");
    return bracketed;
  }
  const bool cut = raw.size() > kMaxCmdlineBytes;
  size_t keep = std::min(raw.size(), kMaxCmdlineBytes);
  // Not inside a UTF-8 character: continuation bytes are 10xxxxxx.
  while (cut && keep > 0 && (static_cast<unsigned char>(raw[keep]) & 0xC0) == 0x80) --keep;
  std::string text(raw.substr(0, keep));
  for (char& c : text) {
    // Control characters would reach the operator's terminal: escape sequences, newlines.
    if (c == '\0') {
      c = ' ';
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  if (cut) text += "...";
  return text;
}

void ReadProcessDetails(const ProcFs& proc, ProcessInfo& info) {
  info.details_read = true;
  info.user = UserName(info.uid);
  const std::string pid_path = proc.Path(std::to_string(info.pid));
  const DirRelativeFd pid_dir(AT_FDCWD, pid_path.c_str(), O_PATH | O_DIRECTORY);
  if (pid_dir.get() < 0) return;
  std::string text;
  if (ReadFileAt(pid_dir.get(), "cmdline", kCmdlineReadBytes, text) == 0) {
    info.cmdline = CmdlineText(text, info.comm);
  }
  if (ReadFileAt(pid_dir.get(), "cgroup", kSmallFileBytes, text) == 0) {
    info.unit = UnitFromCgroup(text);
  }
  if (ReadFileAt(pid_dir.get(), "limits", kSmallFileBytes, text) == 0) {
    auto limits = ParseNofileLimits(pid_path + "/limits", text);
    if (limits) {
      info.nofile_soft = limits->soft;
      info.nofile_hard = limits->hard;
    }
  }
}

}  // namespace tcpdoctor
