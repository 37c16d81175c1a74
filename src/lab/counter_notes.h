// Counter increases as a scenario reports them: each under a stable observation key, with the
// counter's name and its one line of meaning (from the counter catalog, or the scenario's own
// for a counter the catalog does not list).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "model/counters.h"

namespace tcpdoctor {

class LabRun;

struct CounterNote {
  std::string_view key;      // the observation's key after the prefix: "listen_overflows"
  std::string_view counter;  // "TcpExt.ListenOverflows"
  std::string_view meaning;  // empty: the counter catalog's
};

// Observes the increase of each counter of `notes` in `deltas` as `prefix` + key ("+12: what it
// counts"), and returns the increases by key (0 for a counter this kernel lacks).
std::map<std::string, uint64_t, std::less<>> ObserveIncreases(LabRun& run,
                                                              const CounterDeltas& deltas,
                                                              std::span<const CounterNote> notes,
                                                              const std::string& prefix = "");

}  // namespace tcpdoctor
