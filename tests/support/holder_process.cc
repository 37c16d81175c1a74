#include "support/holder_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace tcpdoctor::itest {
namespace {

constexpr int kReportTimeoutMs = 10000;

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0 && errno != EINTR) return;
    if (n > 0) done += static_cast<size_t>(n);
  }
}

[[noreturn]] void Child(const HolderSpec& spec, const std::function<std::string()>& build,
                        int report_fd, int release_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::vector<int*> kept = {&report_fd, &release_fd};
  std::vector<int> keep_fds = spec.keep_fds;
  for (int& fd : keep_fds) kept.push_back(&fd);
  for (int fd = 3; fd < 65536; ++fd) {
    const bool keep =
        std::any_of(kept.begin(), kept.end(), [fd](const int* k) { return *k == fd; });
    if (!keep) ::close(fd);
  }
  // Renumber what is kept to the lowest free numbers, so that a small nofile limit set below
  // still covers every fd (and counting them stays quick).
  std::sort(kept.begin(), kept.end(), [](const int* a, const int* b) { return *a < *b; });
  for (int* fd : kept) {
    const int lower = ::fcntl(*fd, F_DUPFD, 3);
    if (lower >= 0 && lower < *fd) {
      ::close(*fd);
      *fd = lower;
    } else if (lower >= 0) {
      ::close(lower);
    }
  }
  std::string error;
  ::prctl(PR_SET_NAME, spec.comm.c_str());
  if (spec.nofile_soft || spec.nofile_hard) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (spec.nofile_soft) limit.rlim_cur = *spec.nofile_soft;
    if (spec.nofile_hard) limit.rlim_max = *spec.nofile_hard;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
      error = "setrlimit: " + std::string(strerror(errno));
  }
  std::string report = error.empty() ? build() : "";
  if (error.empty() && (spec.uid || spec.gid)) {
    if (spec.gid && ::setresgid(*spec.gid, *spec.gid, *spec.gid) != 0) error = "setresgid";
    if (spec.uid && ::setresuid(*spec.uid, *spec.uid, *spec.uid) != 0) error = "setresuid";
    // A process that changed credentials becomes non-dumpable, and then its /proc/PID/fd
    // belongs to root: make it the user's again, as a normal process of that user is.
    ::prctl(PR_SET_DUMPABLE, 1);
  }
  const int fds = CountOpenFds();
  if (!error.empty() || report.starts_with("error:")) {
    WriteAll(report_fd, (report.starts_with("error:") ? report : "error: " + error) + "\n");
  } else {
    WriteAll(report_fd, std::to_string(fds) + " " + report + "\n");
  }
  char c;
  while (::read(release_fd, &c, 1) < 0 && errno == EINTR) {
  }
  ::_exit(0);
}

}  // namespace

int CountOpenFds() {
  int count = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) ++count;
  }
  return count;
}

HolderProcess::HolderProcess(const HolderSpec& spec, const std::function<std::string()>& build) {
  int report_pipe[2];
  int release_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0 || ::pipe2(release_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << strerror(errno);
    return;
  }
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(report_pipe[0]);
    ::close(release_pipe[1]);
    Child(spec, build, report_pipe[1], release_pipe[0]);
  }
  ::close(report_pipe[1]);
  ::close(release_pipe[0]);
  UniqueFd from_child(report_pipe[0]);
  to_child_.Reset(release_pipe[1]);
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return;
  }
  std::string line;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kReportTimeoutMs);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{from_child.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[256];
    const ssize_t n = ::read(from_child.get(), buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  if (line.find('\n') == std::string::npos || line.starts_with("error:")) {
    ADD_FAILURE() << "holder " << spec.comm << " did not get ready: " << line;
    return;
  }
  line.pop_back();
  const size_t space = line.find(' ');
  open_fds_ = std::stoi(line.substr(0, space));
  report_ = line.substr(space + 1);
  ok_ = true;
}

void HolderProcess::Release() {
  if (pid_ <= 0) return;
  to_child_.Reset();
  int status = 0;
  for (int i = 0; i < 200; ++i) {  // 2 s, then it is killed
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    ::usleep(10000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

HolderProcess::~HolderProcess() { Release(); }

}  // namespace tcpdoctor::itest
