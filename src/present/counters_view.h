// Renders `tcpdoctor counters`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyze/counter_report.h"
#include "model/counters.h"

namespace tcpdoctor {

// A table (COUNTER, VALUE, and with an interval DELTA and RATE/s, then MEANING), then the
// sockstat figures. `page_size` turns sockstat's mem (pages) into bytes.
std::string CountersText(const std::vector<CounterRow>& rows, std::optional<double> interval,
                         const Sockstat& sockstat, long page_size);

nlohmann::ordered_json CountersJson(const std::vector<CounterRow>& rows,
                                    std::optional<double> interval, const Sockstat& sockstat,
                                    long page_size);

}  // namespace tcpdoctor
