// Renders `tcpdoctor procs`: the processes holding TCP sockets, riskiest first.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyze/socket_owner.h"
#include "analyze/state_counts.h"
#include "model/process_info.h"
#include "model/sysctls.h"

namespace tcpdoctor {

struct ProcsReport {
  struct Row {
    std::string netns;  // with --all-netns: where these sockets are
    const ProcessInfo* process = nullptr;
    StateCounts states;
  };
  std::vector<Row> rows;  // in the order to print
  std::array<uint64_t, kNoOwnerCount> no_owner{};
  uint64_t total = 0;
  uint32_t unreadable = 0;  // processes whose fds could not be read
  bool show_netns = false;
  std::optional<FileNr> file_nr;  // fs.file-nr
  std::optional<int64_t> nr_open;
};

// A header line with the host's file handles, a table (PID, USER, COMM, SOCKETS, a column per
// state present, FDS, SOFT, HARD, FD%, UNIT, COMMAND), then the sockets no process holds.
std::string ProcsText(const ProcsReport& report);

// {"file_handles": {...}, "total", "processes": [...], "no_owner": {...},
//  "unreadable_processes"}; see docs/json.md.
nlohmann::ordered_json ProcsJson(const ProcsReport& report);

}  // namespace tcpdoctor
