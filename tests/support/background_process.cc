#include "support/background_process.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace tcpdoctor::itest {
namespace {

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void ExecChild(char* const* args, int out_fd, int err_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(125);  // the parent died before prctl took effect
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    ::_exit(126);
  }
  ::close_range(3, ~0U, 0);
  // The test blocks no signal it would want the server to see, but a sandbox thread might.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execvp(args[0], args);
  static constexpr char kMessage[] = "background_process: exec failed\n";
  (void)!::write(2, kMessage, sizeof kMessage - 1);
  ::_exit(127);
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[8192];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
}

}  // namespace

std::string ProcessExit::Describe() const {
  std::string s;
  if (signal != 0) {
    s = "killed by signal " + std::to_string(signal);
  } else if (exit_code >= 0) {
    s = "exit " + std::to_string(exit_code);
  } else {
    s = "still running";
  }
  s += " after " + std::to_string(took.count()) + " ms";
  if (!exited) s += " (did not end in time)";
  return s;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  out_ = UniqueFd(::memfd_create("stdout", MFD_CLOEXEC));
  err_ = UniqueFd(::memfd_create("stderr", MFD_CLOEXEC));
  if (argv.empty() || !out_ || !err_) {
    error_ = argv.empty() ? "no command" : std::string("memfd_create: ") + std::strerror(errno);
    return;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  started_ = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ == 0) ExecChild(args.data(), out_.get(), err_.get(), parent);
  if (pid_ < 0) error_ = std::string("fork: ") + std::strerror(errno);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && !exit_.exited) Stop(SIGKILL);
}

bool BackgroundProcess::Reap(bool block) {
  if (pid_ <= 0) return true;
  if (exit_.exited) return true;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  exit_.exited = true;
  exit_.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  if (r == pid_ && WIFEXITED(status)) exit_.exit_code = WEXITSTATUS(status);
  if (r == pid_ && WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
  return true;
}

bool BackgroundProcess::Running() { return pid_ > 0 && !Reap(false); }

ProcessExit BackgroundProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || Reap(false)) return exit_;
  const auto start = std::chrono::steady_clock::now();
  ::kill(pid_, signal);
  while (!Reap(false) && std::chrono::steady_clock::now() - start < timeout) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ProcessExit result = exit_;
  if (!exit_.exited) {
    ::kill(pid_, SIGKILL);
    Reap(true);
    result = exit_;
    result.exited = false;  // it had to be killed
  }
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

std::string BackgroundProcess::Stdout() const { return out_ ? ReadAll(out_.get()) : ""; }
std::string BackgroundProcess::Stderr() const { return err_ ? ReadAll(err_.get()) : ""; }

bool BackgroundProcess::WaitForStdout(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Stdout().find(text) != std::string::npos) return true;
    if (!Running() || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool ProcessExists(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace tcpdoctor::itest
