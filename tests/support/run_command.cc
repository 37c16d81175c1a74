#include "support/run_command.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "support/unique_fd.h"

namespace tcpdoctor::itest {
namespace {

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void ExecChild(char* const* args, const CommandOptions& options, int out_fd,
                            int err_fd) {
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    ::_exit(126);
  }
  ::close_range(3, ~0U, 0);
  if (options.run_as) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(options.run_as->gid) != 0 ||
        ::setuid(options.run_as->uid) != 0) {
      static constexpr char kMessage[] = "run_command: cannot drop privileges\n";
      (void)!::write(2, kMessage, sizeof kMessage - 1);
      ::_exit(126);
    }
  }
  ::execvp(args[0], args);
  static constexpr char kMessage[] = "run_command: exec failed\n";
  (void)!::write(2, kMessage, sizeof kMessage - 1);
  ::_exit(127);
}

}  // namespace

std::string CommandResult::Describe() const {
  std::string s;
  if (timed_out) {
    s = "timed out";
  } else if (signal != 0) {
    s = "killed by signal " + std::to_string(signal);
  } else {
    s = "exit " + std::to_string(exit_code);
  }
  return s + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err + "---";
}

CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options) {
  CommandResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (argv.empty() || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.err = "run_command: no command or pipe failed";
    return result;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    result.err = "run_command: pipe failed";
    return result;
  }
  UniqueFd out_read(out_pipe[0]);
  UniqueFd err_read(err_pipe[0]);
  UniqueFd out_write(out_pipe[1]);
  UniqueFd err_write(err_pipe[1]);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    result.err = std::string("run_command: fork failed: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) ExecChild(args.data(), options, out_write.get(), err_write.get());
  out_write.Reset();
  err_write.Reset();
  std::thread beside;
  if (options.while_running) beside = std::thread(options.while_running, pid);

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  // After the kill, a descendant that kept the pipes open must not hang the test either.
  const auto give_up = deadline + std::chrono::seconds(2);
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < give_up) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !result.timed_out) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);  // its pipes close when it dies; keep reading to EOF
    }
    const int ready = ::poll(fds, 2, result.timed_out ? 1000 : static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[8192];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (beside.joinable()) beside.join();  // before the wait: it may still use the pid
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace tcpdoctor::itest
