// Who holds a socket: a process, or nobody and why. Sockets with inode 0 have no file, so no
// process can hold them; they are never attributed by guessing (e.g. by port).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/socket_owners.h"
#include "model/socket_record.h"

namespace tcpdoctor {

enum class NoOwner : uint8_t {
  kNone = 0,     // it has an owner
  kTimeWait,     // TIME_WAIT: the kernel keeps only a minisocket, no file
  kRequest,      // SYN_RECV: a request socket waiting for the handshake's last ACK
  kNotAccepted,  // ESTABLISHED/CLOSE_WAIT child in a listener's accept queue: accept() not called
  kOrphan,       // closed by its process while the close handshake goes on (FIN_WAIT, LAST_ACK)
  kHidden,       // has a file, but no process we could read holds it (not ours, or just closed)
};
inline constexpr int kNoOwnerCount = 6;

// Stable names for JSON: "time_wait", "request", "not_accepted", "orphan", "hidden".
std::string_view NoOwnerName(NoOwner reason);
// For people: "TIME_WAIT (no file)", "not yet accept()ed", ...
std::string_view NoOwnerText(NoOwner reason);

// Why `r` has no process, from its state alone (inode 0).
NoOwner NoOwnerReason(const SocketRecord& r);

// The socket's owner for grouping: the lowest pid holding it (the one that created it, before
// workers inherited it), or no process and why.
struct SocketOwner {
  const ProcessInfo* process = nullptr;
  uint32_t index = 0;  // into owners.processes(), when process != nullptr
  NoOwner reason = NoOwner::kNone;

  // One number per owner for group tables: the pid, or 2^32 + reason.
  uint64_t Key() const {
    return process != nullptr ? static_cast<uint64_t>(process->pid)
                              : (uint64_t{1} << 32) | static_cast<uint64_t>(reason);
  }
};

SocketOwner OwnerOf(const SocketRecord& r, const SocketOwners& owners);

// "nginx[1234]" for a process.
std::string ProcessLabel(const ProcessInfo& p);

}  // namespace tcpdoctor
