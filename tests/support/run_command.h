// Runs a program with its output captured, bounded in time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tcpdoctor::itest {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

struct CommandOptions {
  // A bound for hangs, not a speed test: a loaded machine (a parallel build, a benchmark's
  // million sockets in other namespaces, whose holders every owner scan walks) slows commands
  // that take a second when it is quiet.
  std::chrono::milliseconds timeout{30000};
  // Drops to this user and group (and no supplementary groups) before exec.
  std::optional<RunAs> run_as;
  // Called on another thread with the program's pid once it has started, while its output is
  // being read (e.g. to signal it); RunCommand waits for it before returning.
  std::function<void(pid_t)> while_running;
};

struct CommandResult {
  int exit_code = -1;  // -1 when the program did not exit normally
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  std::string out;
  std::string err;

  // "exit 2, stderr: ..." for failure messages.
  std::string Describe() const;
};

// Runs argv[0] (looked up in PATH when it has no '/'), with stdin from /dev/null and no
// inherited descriptors other than stdout/stderr. Kills it with SIGKILL after the timeout and
// always reaps it.
CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options = {});

}  // namespace tcpdoctor::itest
