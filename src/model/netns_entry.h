// One network namespace of the host, as --all-netns lists it.
#pragma once

#include <cstdint>
#include <string>

namespace tcpdoctor {

struct NetnsEntry {
  uint64_t inode = 0;    // the namespace's identity (as in `ls -L -i /proc/PID/ns/net`)
  std::string name;      // from /run/netns, or ""
  std::string path;      // what to enter: /run/netns/NAME or /proc/PID/ns/net
  int32_t pid = 0;       // the lowest pid living in it, 0 if none was seen
  std::string comm;      // that process's name
  std::string unit;      // that process's container or service (see UnitFromCgroup)
  bool current = false;  // the namespace tcpdoctor runs in
};

}  // namespace tcpdoctor
