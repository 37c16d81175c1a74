#include "core/proc_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/unique_fd.h"

namespace tcpdoctor {
namespace {

Result<int> OpenForReading(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno(errno, "cannot open", path);
  return fd;
}

}  // namespace

std::string ProcFs::Path(std::string_view relative) const {
  std::string path = root_;
  if (!path.empty() && path.back() != '/') path += '/';
  // /proc/net is /proc/self/net: the namespace of the thread group's leader. A thread that
  // entered another namespace (the exporter collects one namespace per thread) must read its
  // own, /proc/thread-self/net.
  if (root_ == "/proc" && relative.starts_with("net/") && ::gettid() != ::getpid()) {
    path += "thread-self/";
  }
  path += relative;
  return path;
}

Result<std::string> ProcFs::ReadFile(std::string_view relative) const {
  const std::string path = Path(relative);
  auto opened = OpenForReading(path);
  if (!opened) return opened.TakeError();
  UniqueFd fd(*opened);
  std::string content;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "cannot read", path);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  return content;
}

Status ProcFs::ForEachLine(std::string_view relative,
                           const std::function<bool(std::string_view)>& on_line) const {
  const std::string path = Path(relative);
  auto opened = OpenForReading(path);
  if (!opened) return opened.TakeError();
  UniqueFd fd(*opened);
  std::vector<char> buf(1 << 16);
  size_t filled = 0;
  for (;;) {
    if (filled == buf.size()) buf.resize(buf.size() * 2);  // a line longer than the buffer
    const ssize_t n = ::read(fd.get(), buf.data() + filled, buf.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "cannot read", path);
    }
    const size_t end = filled + static_cast<size_t>(n);
    size_t start = 0;
    for (size_t i = filled; i < end; ++i) {
      if (buf[i] != '\n') continue;
      if (!on_line(std::string_view(buf.data() + start, i - start))) return Ok{};
      start = i + 1;
    }
    if (n == 0) {
      if (start < end) on_line(std::string_view(buf.data() + start, end - start));
      return Ok{};
    }
    std::copy(buf.begin() + static_cast<long>(start), buf.begin() + static_cast<long>(end),
              buf.begin());
    filled = end - start;
  }
}

}  // namespace tcpdoctor
