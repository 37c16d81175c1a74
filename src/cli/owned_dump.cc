#include "cli/owned_dump.h"

namespace tcpdoctor {

Result<OwnedDump> OwnedDump::Take(Session& session, OwnerLookup& owners) {
  owners.Prefetch();
  OwnedDump dump;
  auto read = session.ReadSockets(
      kAllStates,
      [&](const SocketRecord& r) {
        dump.kept_.push_back({r.inode, r.state});
      },
      [&] { dump.kept_.clear(); });
  if (!read) return read.TakeError();
  auto map = owners.Get();
  if (!map) return map.TakeError();
  dump.owners_ = *map;
  return dump;
}

}  // namespace tcpdoctor
