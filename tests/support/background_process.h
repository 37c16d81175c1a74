// A program that runs in the background while the test talks to it (the exporter, a Prometheus
// server), with its output captured. It is stopped and reaped on every path: by Stop(), or by
// the destructor with SIGKILL; it also dies with the thread that started it (PDEATHSIG).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/unique_fd.h"

namespace tcpdoctor::itest {

struct ProcessExit {
  bool exited = false;  // it ended (by exit or signal) before the deadline
  int exit_code = -1;   // -1 unless it called exit()
  int signal = 0;       // the signal that ended it, if any
  // From Stop()'s signal to the end; for a process that ended by itself, from its start.
  std::chrono::milliseconds took{0};

  // "exit 0 after 12 ms", "killed by signal 9 after 5000 ms (did not stop in time)".
  std::string Describe() const;
};

class BackgroundProcess {
 public:
  // Runs argv[0] (looked up in PATH when it has no '/') with stdin from /dev/null, stdout and
  // stderr captured, no other inherited descriptor. Uses no gtest assertions: check error().
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();  // SIGKILL and reap, if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Why it could not be started ("" when it was).
  const std::string& error() const { return error_; }

  // Whether it still runs; reaps it if it has ended (then exit_status() tells how).
  bool Running();
  const ProcessExit& exit_status() const { return exit_; }

  // Sends `signal`, waits up to `timeout` for it to end, then kills it (SIGKILL) if it has not.
  // Always reaps it. On a process that has already ended, returns how it ended.
  ProcessExit Stop(int signal = SIGTERM,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Everything it printed so far.
  std::string Stdout() const;
  std::string Stderr() const;
  // Waits until its stdout contains `text`; false if it ends or `timeout` passes first.
  bool WaitForStdout(const std::string& text, std::chrono::milliseconds timeout);

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::string error_;
  UniqueFd out_;  // memfds the child writes its output to
  UniqueFd err_;
  std::chrono::steady_clock::time_point started_;
  ProcessExit exit_;
};

// True if a process with this pid exists (a zombie included).
bool ProcessExists(pid_t pid);

}  // namespace tcpdoctor::itest
