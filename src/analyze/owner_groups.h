// Names the groups of `top --by process`: "nginx[1234]", or "no owner: TIME_WAIT, no file".
#pragma once

#include "analyze/top_groups.h"
#include "model/socket_owners.h"

namespace tcpdoctor {

// Sets each group's key and owner from the owner keys TopGroups grouped by. Reads only the
// processes' scanned fields and, when read, their details (user, unit).
void NameOwnerGroups(TopGroupsResult& top, const SocketOwners& owners);

}  // namespace tcpdoctor
