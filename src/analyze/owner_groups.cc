#include "analyze/owner_groups.h"

#include "analyze/socket_owner.h"

namespace tcpdoctor {

void NameOwnerGroups(TopGroupsResult& top, const SocketOwners& owners) {
  for (Group& g : top.groups) {
    const uint64_t key = g.fields.context;
    GroupOwner owner;
    if (key >> 32 != 0) {
      const auto reason = static_cast<NoOwner>(key & 0xff);
      owner.no_owner = std::string(NoOwnerName(reason));
      g.key = "no owner: " + std::string(NoOwnerText(reason));
    } else if (const auto index = owners.IndexOfPid(static_cast<int64_t>(key))) {
      const ProcessInfo& p = owners.processes()[*index];
      owner.pid = p.pid;
      owner.comm = p.comm;
      owner.user = p.user;
      owner.unit = p.unit;
      g.key = ProcessLabel(p);
    }
    g.owner = std::move(owner);
  }
}

}  // namespace tcpdoctor
