#include "core/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace tcpdoctor {
namespace {

// Opening another user's /proc/PID/ns/net is a ptrace-access check; setns() needs CAP_SYS_ADMIN.
constexpr const char* kNeedRoot =
    "entering another network namespace needs root (CAP_SYS_ADMIN, and CAP_SYS_PTRACE to open "
    "another user's /proc/PID/ns/net)";

}  // namespace

Result<std::string> ResolveNetnsPath(std::string_view spec) {
  if (spec.empty()) {
    return Error{ErrorCode::kInvalidArgument, "empty network namespace name", 0, "--netns", {}};
  }
  std::string path(spec);
  if (spec.starts_with("pid:")) {
    const std::string_view digits = spec.substr(4);
    int pid = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || pid <= 0) {
      return Error{ErrorCode::kInvalidArgument, "bad process id in '" + path + "'", 0, "--netns",
                   "expected pid:PID with a positive number, e.g. pid:1234"};
    }
    path = "/proc/" + std::to_string(pid) + "/ns/net";
    struct stat proc_dir {};
    if (::stat(("/proc/" + std::to_string(pid)).c_str(), &proc_dir) != 0) {
      return Error{ErrorCode::kNotFound,
                   "no process " + std::to_string(pid) + " (it does not exist or has exited)", 0,
                   "--netns " + std::string(spec),
                   "find it with `pgrep NAME` or `tcpdoctor procs`"};
    }
  } else if (spec.find('/') == std::string_view::npos) {
    path = "/run/netns/" + path;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    Error e = Error::FromErrno(err, "cannot use network namespace", "--netns " + std::string(spec));
    if (err == EACCES || err == EPERM) return std::move(e).WithHint(kNeedRoot);
    if (err != ENOENT) return e;
    e.code = ErrorCode::kInvalidArgument;  // the user named something that is not there
    e.message = "no network namespace at " + path;
    e.sys_errno = 0;
    return std::move(e).WithHint(
        "list them with `ip netns list`, or give a path such as /proc/PID/ns/net");
  }
  return path;
}

Result<NetnsGuard> NetnsGuard::Enter(const std::string& path) {
  const int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return Error::FromErrno(errno, "cannot open current network namespace");
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    const int err = errno;
    ::close(original);
    Error e = Error::FromErrno(err, "cannot open network namespace", path);
    if (err == EACCES || err == EPERM) return std::move(e).WithHint(kNeedRoot);
    return e;
  }
  // Already there (e.g. --netns /proc/self/ns/net): nothing to enter, and no privilege needed.
  struct stat here {};
  struct stat there {};
  if (::fstat(original, &here) == 0 && ::fstat(target, &there) == 0 &&
      here.st_dev == there.st_dev && here.st_ino == there.st_ino) {
    ::close(target);
    return NetnsGuard(original);
  }
  const int rc = ::setns(target, CLONE_NEWNET);
  const int err = errno;
  ::close(target);
  if (rc != 0) {
    ::close(original);
    Error e = Error::FromErrno(err, "cannot enter network namespace", path);
    if (err == EPERM) return std::move(e).WithHint(kNeedRoot);
    if (err == EINVAL) return std::move(e).WithHint("the file is not a network namespace");
    return e;
  }
  return NetnsGuard(original);
}

NetnsGuard::~NetnsGuard() {
  if (original_fd_ < 0) return;
  // Returning can only fail if the original namespace vanished, which it cannot while we hold
  // its fd; nothing useful to do on failure in a destructor.
  (void)::setns(original_fd_, CLONE_NEWNET);
  ::close(original_fd_);
}

}  // namespace tcpdoctor
