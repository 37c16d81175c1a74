#include "analyze/socket_owner.h"

namespace tcpdoctor {

std::string_view NoOwnerName(NoOwner reason) {
  switch (reason) {
    case NoOwner::kNone:
      return "none";
    case NoOwner::kTimeWait:
      return "time_wait";
    case NoOwner::kRequest:
      return "request";
    case NoOwner::kNotAccepted:
      return "not_accepted";
    case NoOwner::kOrphan:
      return "orphan";
    case NoOwner::kHidden:
      return "hidden";
  }
  return "none";
}

std::string_view NoOwnerText(NoOwner reason) {
  switch (reason) {
    case NoOwner::kNone:
      return "";
    case NoOwner::kTimeWait:
      return "TIME_WAIT, no file";
    case NoOwner::kRequest:
      return "SYN_RECV request, no file yet";
    case NoOwner::kNotAccepted:
      return "in an accept queue, not yet accept()ed";
    case NoOwner::kOrphan:
      return "orphan, closed by its process";
    case NoOwner::kHidden:
      return "held by a process that could not be read, or closed since";
  }
  return "";
}

NoOwner NoOwnerReason(const SocketRecord& r) {
  if (r.inode != 0) return NoOwner::kHidden;
  switch (r.state) {
    case TcpState::kTimeWait:
      return NoOwner::kTimeWait;
    case TcpState::kSynRecv:
      return NoOwner::kRequest;
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      return NoOwner::kNotAccepted;
    default:
      // FIN_WAIT1/2, CLOSING, LAST_ACK after close(); also CLOSE/SYN_SENT, which only lose
      // their file the same way.
      return NoOwner::kOrphan;
  }
}

SocketOwner OwnerOf(const SocketRecord& r, const SocketOwners& owners) {
  const auto holders = owners.HoldersOf(r.inode);
  if (holders.empty()) return SocketOwner{nullptr, 0, NoOwnerReason(r)};
  const uint32_t index = holders.front().process;
  return SocketOwner{&owners.processes()[index], index, NoOwner::kNone};
}

std::string ProcessLabel(const ProcessInfo& p) {
  return p.comm + "[" + std::to_string(p.pid) + "]";
}

}  // namespace tcpdoctor
