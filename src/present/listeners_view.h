// Renders `tcpdoctor listeners`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyze/listener_queues.h"

namespace tcpdoctor {

// What the host says about listen drops, beside the listeners.
struct ListenDropSummary {
  std::optional<int64_t> somaxconn;
  std::optional<uint64_t> listen_overflows;  // absolute
  std::optional<uint64_t> listen_drops;
  std::optional<double> interval_seconds;  // with -i: the deltas below are over it
  std::optional<uint64_t> listen_overflows_delta;
  std::optional<uint64_t> listen_drops_delta;
};

std::string ListenersText(const std::vector<ListenerQueue>& listeners,
                          const ListenDropSummary& summary);
nlohmann::ordered_json ListenersJson(const std::vector<ListenerQueue>& listeners,
                                     const ListenDropSummary& summary);

}  // namespace tcpdoctor
