// A child process with a chosen name and nofile limit that builds some sockets, reports, and
// holds them until released: the "who holds it" tests need sockets that belong to processes
// other than the test itself.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/unique_fd.h"

namespace tcpdoctor::itest {

struct HolderSpec {
  std::string comm;  // set with PR_SET_NAME (at most 15 characters)
  // RLIMIT_NOFILE for the child; unchanged if not given.
  std::optional<unsigned long> nofile_soft;
  std::optional<unsigned long> nofile_hard;
  // Runs as this uid/gid after `build` (and stays dumpable, so its /proc/PID/fd stays its own).
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  // Inherited fds the child keeps (e.g. a listener the test made); all others above 2 close.
  std::vector<int> keep_fds;
};

// The calling process's open fds below 4096 (a holder's are renumbered below that), found by
// asking the kernel about each number (fcntl), not through /proc/PID/fd, which is what
// tcpdoctor reads.
int CountOpenFds();

class HolderProcess {
 public:
  // Forks; the child closes every inherited fd but 0-2 and keep_fds (renumbering those to the
  // lowest free numbers: `build` must not rely on their numbers), sets its name and limits, runs
  // `build` (which opens and keeps what it likes, and returns a line to report, e.g. a port),
  // then reports its exact count of open fds and waits until Release() or the parent's death.
  // Failures in the child are reported as the line "error: ..." and fail the test.
  HolderProcess(const HolderSpec& spec, const std::function<std::string()>& build);
  ~HolderProcess();  // releases and reaps
  HolderProcess(const HolderProcess&) = delete;
  HolderProcess& operator=(const HolderProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& report() const { return report_; }  // what `build` returned
  // Counted by the child itself, its two pipe ends to the test included (they are open fds
  // of the process like any other).
  int open_fds() const { return open_fds_; }
  bool ok() const { return ok_; }

  void Release();  // the child exits (its sockets close); waits for it

 private:
  pid_t pid_ = -1;
  UniqueFd to_child_;  // closing it releases the child
  std::string report_;
  int open_fds_ = -1;
  bool ok_ = false;
};

}  // namespace tcpdoctor::itest
