// Sysctl settings several scenarios make in the lab namespace, each recorded in the outcome
// with the reason, since a fresh namespace starts from compiled-in defaults (kernel-facts §8).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "model/sysctls.h"

namespace tcpdoctor {

class LabRun;

// Narrows ip_local_port_range to 1.5 x `connections` ports (at least 20; start even, end odd)
// from 32768, so that a small load takes the share of the ports a large one takes on a host
// with the default 28232: the narrative says so. Returns the range as the kernel holds it.
Result<PortRange> NarrowPortRange(LabRun& run, int64_t connections);
// The same with `size` ports (rounded up to an even number, at least 20), for a run that uses
// the whole range up with `size` connections.
Result<PortRange> NarrowPortRangeTo(LabRun& run, uint32_t size, int64_t connections);

// Records ip_local_port_range as the fresh namespace has it (32768-60999), with `why`, and
// returns it.
Result<PortRange> NotePortRange(LabRun& run, std::string why);

// tcp_tw_reuse = 0. Its default 2 lets connect() take over TIME_WAIT ports on loopback only
// (after tcp_tw_reuse_delay), which two hosts would not do: counts of TIME_WAIT would shrink
// for a reason that does not exist off loopback.
Status DisableTimeWaitReuse(LabRun& run);

}  // namespace tcpdoctor
