// The dump of a command that attributes sockets to processes, taken while the owner scan runs.
#pragma once

#include <cstdint>
#include <vector>

#include "cli/owner_lookup.h"
#include "cli/session.h"

namespace tcpdoctor {

class OwnedDump {
 public:
  // Starts the owner scan, dumps the sockets the user's filter selects meanwhile, and waits for
  // the scan. Only a socket's state and inode are kept (16 bytes a socket instead of a whole
  // record): all that owner attribution reads.
  static Result<OwnedDump> Take(Session& session, OwnerLookup& owners);

  const SocketOwners& owners() const { return *owners_; }

  // Calls fn(const SocketRecord&) for each socket; only `state` and `inode` are set.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    SocketRecord r;
    for (const Kept& k : kept_) {
      r.inode = k.inode;
      r.state = k.state;
      fn(r);
    }
  }

 private:
  struct Kept {
    uint64_t inode;
    TcpState state;
  };
  const SocketOwners* owners_ = nullptr;
  std::vector<Kept> kept_;
};

}  // namespace tcpdoctor
