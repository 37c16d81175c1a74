#include "lab/lab_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "lab/interrupt.h"

namespace tcpdoctor {
namespace {

constexpr int kSliceMs = 100;  // how often a wait looks at the interrupt flag
constexpr int kSetupFailed = 120;

enum class LineRead { kLine, kTimeout, kClosed, kInterrupted };

// Takes the next '\n'-terminated line out of `buffer`, reading `fd` until one is there, the
// deadline passes, the writer closes, or (if `interruptible`) Ctrl-C arrives.
LineRead ReadLineFrom(int fd, std::string& buffer, std::chrono::steady_clock::time_point deadline,
                      bool interruptible, std::string& line) {
  for (;;) {
    const size_t nl = buffer.find('\n');
    if (nl != std::string::npos) {
      line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      return LineRead::kLine;
    }
    if (interruptible && InterruptSignal() != 0) return LineRead::kInterrupted;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return LineRead::kTimeout;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), kSliceMs)));
    if (ready <= 0) continue;  // timeout slice or EINTR: look at the flag and the clock again
    char chunk[512];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return LineRead::kClosed;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Closes every descriptor but `keep`.
void CloseAllBut(const std::set<int>& keep) {
  unsigned int from = 0;
  for (const int fd : keep) {
    if (fd < 0) continue;
    if (static_cast<unsigned int>(fd) > from) ::close_range(from, fd - 1, 0);
    from = fd + 1;
  }
  ::close_range(from, ~0U, 0);
}

[[noreturn]] void RunHelper(const HelperSpec& spec, const HelperBody& body, pid_t lab, int to_lab,
                            int from_lab) {
  ::setpgid(0, 0);  // Ctrl-C at the terminal reaches the lab only; the lab kills us
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != lab) ::_exit(kSetupFailed);  // the lab died before the line above
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_IGN);
  std::set<int> keep(spec.keep_fds.begin(), spec.keep_fds.end());
  keep.insert({0, 1, 2, to_lab, from_lab});
  CloseAllBut(keep);
  // stdout carries the lab's report (JSON perhaps): a helper must never write there.
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0 && null_fd != 1) {
    ::dup2(null_fd, 1);
    ::close(null_fd);
  }
  HelperChannel channel(to_lab, from_lab);
  ::prctl(PR_SET_NAME, spec.comm.substr(0, 15).c_str());
  if (spec.nofile) {
    const rlimit limit{*spec.nofile, *spec.nofile};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      channel.Send("error: cannot set RLIMIT_NOFILE to " + std::to_string(*spec.nofile) + ": " +
                   std::strerror(errno));
      ::_exit(kSetupFailed);
    }
  }
  int code = kSetupFailed;
  try {
    code = body(channel);
  } catch (const std::exception& e) {
    channel.Send(std::string("error: ") + e.what());
  } catch (...) {
    channel.Send("error: unknown exception");
  }
  ::_exit(code);  // no exit handlers, no stdio flush: those belong to the lab
}

}  // namespace

bool HelperChannel::Send(std::string_view line) {
  return WriteAll(to_lab_, std::string(line) + "\n");
}

std::optional<std::string> HelperChannel::Receive(std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (ReadLineFrom(from_lab_, buffer_, deadline, false, line) != LineRead::kLine) {
    return std::nullopt;
  }
  return line;
}

Result<std::unique_ptr<LabProcess>> LabProcess::Start(const HelperSpec& spec,
                                                      const HelperBody& body) {
  int to_helper[2];
  int from_helper[2];
  if (::pipe2(to_helper, O_CLOEXEC) != 0) {
    return Error::FromErrno(errno, "cannot create a pipe", spec.comm);
  }
  UniqueFd to_read(to_helper[0]);
  UniqueFd to_write(to_helper[1]);
  if (::pipe2(from_helper, O_CLOEXEC) != 0) {
    return Error::FromErrno(errno, "cannot create a pipe", spec.comm);
  }
  UniqueFd from_read(from_helper[0]);
  UniqueFd from_write(from_helper[1]);
  const pid_t lab = ::getpid();
  std::fflush(nullptr);  // or the helper could print the lab's buffered output again
  const pid_t pid = ::fork();
  if (pid < 0) return Error::FromErrno(errno, "cannot start helper process", spec.comm);
  if (pid == 0) RunHelper(spec, body, lab, from_write.get(), to_read.get());
  ::setpgid(pid, pid);  // as the helper does, so that killing the group cannot miss it
  return std::unique_ptr<LabProcess>(
      new LabProcess(pid, spec.comm, std::move(to_write), std::move(from_read)));
}

LabProcess::~LabProcess() { Kill(); }

std::string LabProcess::Label() const { return comm_ + "[" + std::to_string(pid_) + "]"; }

Result<std::optional<std::string>> LabProcess::NextLine(std::chrono::milliseconds wait) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  switch (ReadLineFrom(from_helper_.get(), buffer_, deadline, true, line)) {
    case LineRead::kLine:
      if (line.starts_with("error: ")) {
        return Error{ErrorCode::kIo, line.substr(7), 0, Label(), {}};
      }
      return std::optional<std::string>(std::move(line));
    case LineRead::kInterrupted:
      if (auto interrupted = CheckInterrupt(); !interrupted) return interrupted.TakeError();
      break;
    case LineRead::kTimeout:
      return std::optional<std::string>();
    case LineRead::kClosed:
      break;
  }
  return Error{ErrorCode::kIo, "the helper process exited unexpectedly", 0, Label(), {}};
}

Result<std::string> LabProcess::ReadLine(std::chrono::milliseconds timeout) {
  auto line = NextLine(timeout);
  if (!line) return line.TakeError();
  if (!line->has_value()) {
    return Error{ErrorCode::kIo,
                 "no answer within " + std::to_string(timeout.count()) + " ms",
                 0,
                 Label(),
                 {}};
  }
  return std::move(**line);
}

Status LabProcess::Send(std::string_view line) {
  if (!WriteAll(to_helper_.get(), std::string(line) + "\n")) {
    return Error::FromErrno(errno, "cannot talk to the helper process", Label());
  }
  return Ok{};
}

Result<uint64_t> LabProcess::OpenFds() const {
  const std::string dir = "/proc/" + std::to_string(pid_) + "/fd";
  std::error_code ec;
  uint64_t n = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    ++n;
  }
  if (ec) return Error::FromErrno(ec.value(), "cannot count the open files", dir);
  return n;
}

void LabProcess::Kill() {
  if (reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it had not yet made its own group
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  reaped_ = true;
  to_helper_.Reset();
  from_helper_.Reset();
}

}  // namespace tcpdoctor
