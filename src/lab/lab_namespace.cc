#include "lab/lab_namespace.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "collect/sysctl_reader.h"
#include "core/proc_fs.h"

namespace tcpdoctor {
namespace {

constexpr const char* kNeedRoot =
    "the lab needs root to create a private network namespace: run it with sudo";

// Threads of this process, from /proc/self/task.
Result<size_t> ThreadCount() {
  std::error_code ec;
  size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  if (ec) return Error::FromErrno(ec.value(), "cannot list threads", "/proc/self/task");
  return n;
}

Status BringLoopbackUp() {
  const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::FromErrno(errno, "cannot open a socket to bring lo up", "lab namespace");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) {
    return Error::FromErrno(errno, "cannot read the flags of lo", "lab namespace");
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &ifr) != 0) {
    return Error::FromErrno(errno, "cannot bring lo up", "lab namespace");
  }
  return Ok{};
}

std::string FoldWhitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

Result<uint64_t> CurrentNetnsInode() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) {
    return Error::FromErrno(errno, "cannot identify the current network namespace",
                            "/proc/thread-self/ns/net");
  }
  return static_cast<uint64_t>(st.st_ino);
}

Result<std::unique_ptr<LabNamespace>> LabNamespace::Create() {
  auto threads = ThreadCount();
  if (!threads) return threads.TakeError();
  if (*threads != 1) {
    return Error{ErrorCode::kIo,
                 "the lab must create its namespace while single-threaded, and " +
                     std::to_string(*threads) + " threads are running",
                 0,
                 "lab namespace",
                 {}};
  }
  UniqueFd origin(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!origin) {
    return Error::FromErrno(errno, "cannot open the current network namespace",
                            "/proc/thread-self/ns/net");
  }
  auto origin_inode = CurrentNetnsInode();
  if (!origin_inode) return origin_inode.TakeError();
  if (::unshare(CLONE_NEWNET) != 0) {
    const int err = errno;
    Error e = Error::FromErrno(err, "cannot create a network namespace", "unshare(CLONE_NEWNET)");
    if (err == EPERM) return std::move(e).WithHint(kNeedRoot);
    return e;
  }
  auto inode = CurrentNetnsInode();
  if (!inode) return inode.TakeError();
  // From here on the destructor returns to `origin`, whatever fails next.
  std::unique_ptr<LabNamespace> ns(new LabNamespace(std::move(origin), *origin_inode, *inode));
  if (auto inside = ns->CheckInside(); !inside) return inside.TakeError();
  if (auto up = BringLoopbackUp(); !up) return up.TakeError();
  return ns;
}

LabNamespace::~LabNamespace() {
  // Can only fail if the original namespace vanished, which it cannot while we hold its fd.
  (void)::setns(origin_.get(), CLONE_NEWNET);
}

std::string LabNamespace::Id() const { return "net:[" + std::to_string(inode_) + "]"; }

Status LabNamespace::CheckInside() const {
  auto here = CurrentNetnsInode();
  if (!here) return here.TakeError();
  if (*here == inode_ && inode_ != origin_inode_) return Ok{};
  return Error{ErrorCode::kIo,
               "refusing to change a network namespace the lab did not create: this thread is "
               "in net:[" +
                   std::to_string(*here) + "], the lab's is " + Id(),
               0,
               "lab namespace",
               {}};
}

Result<std::string> LabNamespace::ReadSysctl(std::string_view key) const {
  auto text = ProcFs().ReadFile(SysctlPath(key));
  if (!text) return text.TakeError();
  return FoldWhitespace(*text);
}

Result<std::string> LabNamespace::WriteSysctl(std::string_view key, std::string_view value) {
  if (auto inside = CheckInside(); !inside) return inside.TakeError();
  const std::string path = ProcFs().Path(SysctlPath(key));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "cannot open sysctl for writing", path);
  const std::string line = std::string(value) + "\n";
  const ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    return Error::FromErrno(n < 0 ? errno : EIO,
                            "cannot set " + std::string(key) + " to " + std::string(value), path);
  }
  return ReadSysctl(key);
}

}  // namespace tcpdoctor
