#include "collect/socket_source.h"

namespace tcpdoctor {

bool MatchesQuery(const DumpQuery& query, const SocketRecord& r) {
  return r.family() == query.family && (query.states & StateBit(r.state)) != 0 &&
         (query.local_port == 0 || r.local_port == query.local_port) &&
         (query.remote_port == 0 || r.remote_port == query.remote_port);
}

}  // namespace tcpdoctor
