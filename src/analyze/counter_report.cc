#include "analyze/counter_report.h"

#include <cctype>

#include "analyze/counter_catalog.h"

namespace tcpdoctor {
namespace {

// The nearest key by shared prefix and length: enough for "ListenOverflow" or "listenoverflows".
std::string Nearest(std::string_view typed, const KernelCounters& sample) {
  std::string lowered(typed);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Counter& c : sample.entries()) {
    std::string name = c.name;
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (name == lowered || name.starts_with(lowered) || lowered.starts_with(name)) return c.Key();
  }
  return {};
}

CounterRow MakeRow(const Counter& c, const KernelCounters* later, double interval_seconds) {
  const Counter& now = later != nullptr && later->Find(c.Key()) ? *later->Find(c.Key()) : c;
  CounterRow row;
  row.key = c.Key();
  row.value = now.value;
  row.negative = now.negative;
  const CounterInfo* info = FindCounterInfo(row.key);
  row.is_gauge = IsGaugeCounter(c.section, c.name) || (info != nullptr && info->is_gauge);
  if (info != nullptr) row.meaning = std::string(info->meaning);
  if (later != nullptr && !row.is_gauge && !c.negative && !now.negative && now.value >= c.value) {
    row.delta = now.value - c.value;
    if (interval_seconds > 0)
      row.rate_per_second = static_cast<double>(*row.delta) / interval_seconds;
  }
  return row;
}

}  // namespace

Status ValidateCounterSelection(const CounterSelection& selection, const KernelCounters& sample) {
  for (const std::string& name : selection.names) {
    if (sample.Find(name) != nullptr) continue;
    const std::string near = Nearest(name, sample);
    return Error{
        ErrorCode::kInvalidArgument,
        "no counter named '" + name + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"),
        0, "counters", "`tcpdoctor counters --all` lists every counter this kernel has"};
  }
  return Ok{};
}

std::vector<CounterRow> BuildCounterRows(const CounterSelection& selection,
                                         const KernelCounters& earlier, const KernelCounters* later,
                                         double interval_seconds) {
  std::vector<CounterRow> rows;
  if (selection.all) {
    for (const Counter& c : earlier.entries()) rows.push_back(MakeRow(c, later, interval_seconds));
  } else if (!selection.names.empty()) {
    for (const std::string& name : selection.names) {
      if (const Counter* c = earlier.Find(name))
        rows.push_back(MakeRow(*c, later, interval_seconds));
    }
  } else {
    for (const CounterInfo& info : ImportantCounters()) {
      const std::string key = std::string(info.section) + "." + std::string(info.name);
      // A counter this kernel does not have (an older one) is left out, not shown as 0.
      if (const Counter* c = earlier.Find(key))
        rows.push_back(MakeRow(*c, later, interval_seconds));
    }
  }
  return rows;
}

}  // namespace tcpdoctor
