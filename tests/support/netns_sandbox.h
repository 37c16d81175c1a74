// Runs a test body in a forked child inside a fresh network namespace with `lo` up, so the
// body can build a known socket population on loopback without anything else in the table.
//
// gtest failures in the child are sent to the parent as they happen and re-raised there at
// the same file and line. The child is bounded in time (killed with its process group after
// the timeout), reaps everything it started, and the namespace dies with it; the parent checks
// that no process is left in the child's process group or namespace.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tcpdoctor::itest {

struct SandboxOptions {
  std::chrono::seconds timeout{60};
  // Also a private mount namespace with an empty tmpfs on /run, so the body may bind-mount
  // namespaces at /run/netns/NAME (what `--netns NAME` resolves) without touching the host.
  bool private_run = false;
};

// Called in the parent, in the parent's namespace, when the child calls HandOffToHost().
using HostSide = std::function<void(pid_t child, const std::string& payload)>;

void RunInNetns(const std::function<void()>& body, const SandboxOptions& options = {});
void RunInNetns(const std::function<void()>& body, const HostSide& host_side,
                const SandboxOptions& options = {});

// In the child: runs the parent's host_side with `payload` and waits until it returns (the
// child's sockets stay as they are meanwhile).
void HandOffToHost(const std::string& payload);

// True in a sandbox child: code that changes namespace settings refuses to run elsewhere.
bool InNetnsSandbox();

// "net:[4026532...]": the identity of the calling process's network namespace.
std::string CurrentNetnsId();

// The processes whose network namespace is `netns_id` ("net:[4026532...]").
std::vector<pid_t> ProcessesInNetns(const std::string& netns_id);

}  // namespace tcpdoctor::itest
