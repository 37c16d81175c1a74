// What the user asked to see: --state, -4/-6, --sport, --dport, --port, --addr.
#pragma once

#include <cstdint>
#include <optional>

#include "model/ip_address.h"
#include "model/socket_record.h"
#include "model/tcp_state.h"

namespace tcpdoctor {

struct SocketFilter {
  StateMask states = kAllStates;
  bool ipv4 = true;
  bool ipv6 = true;
  std::optional<uint16_t> local_port;   // --sport
  std::optional<uint16_t> remote_port;  // --dport
  std::optional<uint16_t> any_port;     // --port: either side
  std::optional<Cidr> any_address;      // --addr: either side

  bool Matches(const SocketRecord& r) const {
    if ((states & StateBit(r.state)) == 0) return false;
    if (r.family() == Family::kIpv4 ? !ipv4 : !ipv6) return false;
    if (local_port && r.local_port != *local_port) return false;
    if (remote_port && r.remote_port != *remote_port) return false;
    if (any_port && r.local_port != *any_port && r.remote_port != *any_port) return false;
    if (any_address && !any_address->Contains(r.local) && !any_address->Contains(r.remote)) {
      return false;
    }
    return true;
  }
};

}  // namespace tcpdoctor
