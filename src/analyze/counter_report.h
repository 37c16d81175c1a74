// The rows of `tcpdoctor counters`: chosen counters with value, change and rate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/counters.h"

namespace tcpdoctor {

struct CounterRow {
  std::string key;  // "TcpExt.ListenOverflows"
  uint64_t value = 0;
  bool negative = false;  // a signed level below zero (Tcp.MaxConn -1); value is then unusable
  std::optional<uint64_t> delta;  // with an interval: the increase (nullopt if it went back)
  std::optional<double> rate_per_second;
  bool is_gauge = false;
  std::string meaning;  // one line; empty for counters outside the catalog
};

struct CounterSelection {
  bool all = false;                // every counter the kernel has
  std::vector<std::string> names;  // or these ("ListenOverflows", "TcpExt.TW"); empty = catalog
};

// Checks that each selected name exists in `sample` (as "Section.Name" or a bare name):
// an unknown one is an error that suggests the nearest.
Status ValidateCounterSelection(const CounterSelection& selection, const KernelCounters& sample);

// `later` and `interval_seconds` are set when the user asked for -i.
std::vector<CounterRow> BuildCounterRows(const CounterSelection& selection,
                                         const KernelCounters& earlier, const KernelCounters* later,
                                         double interval_seconds);

}  // namespace tcpdoctor
