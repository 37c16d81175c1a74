// The lab's private network namespace: the calling process moves into a new one (with only
// `lo`, brought up), and everything the lab changes (sysctls) or opens (sockets, netlink) is in
// it. Sysctl writes refuse unless the calling thread is in that namespace and it is not the one
// the lab started in, so a lab bug can never change the host's settings.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/unique_fd.h"

namespace tcpdoctor {

class LabNamespace {
 public:
  // unshare(CLONE_NEWNET) of the calling process, which must still be single-threaded (a
  // namespace is per thread: threads started before would stay outside), then `lo` up with
  // SIOCSIFFLAGS. Needs CAP_SYS_ADMIN: kPermission with a hint to run as root otherwise.
  static Result<std::unique_ptr<LabNamespace>> Create();
  // Returns the calling thread to the namespace it started in. The lab's namespace goes away
  // once nothing uses it any more (no process in it, no socket of it open).
  ~LabNamespace();
  LabNamespace(const LabNamespace&) = delete;
  LabNamespace& operator=(const LabNamespace&) = delete;

  uint64_t inode() const { return inode_; }
  uint64_t origin_inode() const { return origin_inode_; }
  // "net:[4026532410]", as /proc/PID/ns/net links name it.
  std::string Id() const;

  // Ok if the calling thread is in the lab namespace (and it differs from where the lab
  // started); otherwise an error saying where it is.
  Status CheckInside() const;

  // The value of sysctl `key` ("net.ipv4.tcp_fin_timeout") in the lab namespace, whitespace
  // folded ("32768 60999").
  Result<std::string> ReadSysctl(std::string_view key) const;
  // Writes `value` to sysctl `key` after CheckInside(), then reads it back: the value the kernel
  // holds (which it may have refused or adjusted, as an error or a different value).
  Result<std::string> WriteSysctl(std::string_view key, std::string_view value);

 private:
  LabNamespace(UniqueFd origin, uint64_t origin_inode, uint64_t inode)
      : origin_(std::move(origin)), origin_inode_(origin_inode), inode_(inode) {}

  UniqueFd origin_;  // the namespace the lab started in, to return to
  uint64_t origin_inode_;
  uint64_t inode_;
};

// The inode of the calling thread's network namespace (/proc/thread-self/ns/net).
Result<uint64_t> CurrentNetnsInode();

}  // namespace tcpdoctor
