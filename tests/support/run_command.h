// Runs a program with its output captured, bounded in time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tcpdoctor::itest {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

struct CommandOptions {
  std::chrono::milliseconds timeout{10000};
  // Drops to this user and group (and no supplementary groups) before exec.
  std::optional<RunAs> run_as;
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
