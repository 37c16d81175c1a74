// Helper processes of a lab run (a server that never closes, a client with a small nofile...):
// forked with a chosen name and RLIMIT_NOFILE, in their own process group, killed with SIGKILL
// if the lab dies (PR_SET_PDEATHSIG), and killed and reaped when their LabProcess is destroyed,
// also when the run ends early (an error, Ctrl-C). They talk to the lab by lines on two pipes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/unique_fd.h"

namespace tcpdoctor {

struct HelperSpec {
  std::string comm;                // PR_SET_NAME: what ps and the checkup show (15 bytes at most)
  std::optional<uint64_t> nofile;  // RLIMIT_NOFILE, soft and hard; unchanged if not given
  // Descriptors of the lab the helper keeps, under the same numbers (e.g. a listener the lab
  // opened). Every other one is closed in the helper: a copy of a lab socket in a helper would
  // keep that connection open after the lab closes it.
  std::vector<int> keep_fds;
};

// The helper's end of the pipes.
class HelperChannel {
 public:
  HelperChannel(int to_lab, int from_lab) : to_lab_(to_lab), from_lab_(from_lab) {}
  // One line to the lab ('\n' is added). False if the lab has gone.
  bool Send(std::string_view line);
  // Readable when the lab sent a line or closed its end (it is stopping): for poll().
  int control_fd() const { return from_lab_; }
  // The next line from the lab, waiting at most `timeout`; nullopt on timeout or when the lab
  // closed its end.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout);

 private:
  int to_lab_;
  int from_lab_;
  std::string buffer_;
};

// The helper's code: runs in the child, returns its exit code. It must not print (stdout is
// the lab's) and must bound its own loops in time.
using HelperBody = std::function<int(HelperChannel&)>;

class LabProcess {
 public:
  // Forks the helper. Fails if fork or the pipes fail; the helper's own setup failures (the
  // nofile limit refused...) are reported as its first line "error: ...", which ReadLine()
  // turns into an error.
  static Result<std::unique_ptr<LabProcess>> Start(const HelperSpec& spec, const HelperBody& body);
  ~LabProcess();  // Kill()
  LabProcess(const LabProcess&) = delete;
  LabProcess& operator=(const LabProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& comm() const { return comm_; }
  // "lab-server[1234]", as the checkup names processes.
  std::string Label() const;

  // The helper's next line, waiting at most `timeout`. Errors: kInterrupted on Ctrl-C, kIo when
  // it exited or timed out, and its own "error: ..." lines.
  Result<std::string> ReadLine(std::chrono::milliseconds timeout);
  // The same, for a lab that has other things to do while it waits: nullopt when no line came
  // within `wait`, which is not an error.
  Result<std::optional<std::string>> NextLine(std::chrono::milliseconds wait);
  // A line to the helper.
  Status Send(std::string_view line);
  // How many descriptors it has open now: the entries of /proc/PID/fd.
  Result<uint64_t> OpenFds() const;
  // SIGKILL to its process group, then reaps it (bounded: 5 s). Idempotent.
  void Kill();

 private:
  LabProcess(pid_t pid, std::string comm, UniqueFd to_helper, UniqueFd from_helper)
      : pid_(pid),
        comm_(std::move(comm)),
        to_helper_(std::move(to_helper)),
        from_helper_(std::move(from_helper)) {}

  pid_t pid_;
  std::string comm_;
  UniqueFd to_helper_;
  UniqueFd from_helper_;
  std::string buffer_;
  bool reaped_ = false;
};

}  // namespace tcpdoctor
