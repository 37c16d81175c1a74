// Every network namespace on the host: the named ones (`ip netns add` bind-mounts them under
// /run/netns) and the ones processes live in (/proc/PID/ns/net), one entry per namespace
// (de-duplicated by the namespace's inode).
#pragma once

#include <string>
#include <vector>

#include "core/proc_fs.h"
#include "core/result.h"
#include "model/netns_entry.h"

namespace tcpdoctor {

struct NetnsInventory {
  std::vector<NetnsEntry> entries;  // current first, then named by name, then by pid
  uint32_t unreadable = 0;          // processes whose namespace could not be read (needs root)
};

// `run_netns` is where `ip netns` keeps its names; a missing directory just means no names.
Result<NetnsInventory> ListNetworkNamespaces(const ProcFs& proc,
                                             const std::string& run_netns = "/run/netns");

// How a namespace is called in reports: its name, "current", or "docker:0123456789ab (nginx,
// pid 1234)" / "nginx (pid 1234)".
std::string NetnsLabel(const NetnsEntry& entry);

}  // namespace tcpdoctor
