#include "analyze/counter_report.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "analyze/counter_catalog.h"
#include "core/suggest.h"

namespace tcpdoctor {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The counter nearest to what was typed, case-insensitively, comparing a qualified name
// ("TcpExt.ListenOverflow") with keys and a bare one with names; "" when nothing is close.
std::string Nearest(std::string_view typed, const KernelCounters& sample) {
  const bool qualified = typed.find('.') != std::string_view::npos;
  std::vector<std::string> choices;
  choices.reserve(sample.size());
  for (const Counter& c : sample.entries()) choices.push_back(Lower(qualified ? c.Key() : c.name));
  const std::string match = ClosestMatch(Lower(typed), choices);
  if (match.empty()) return {};
  const auto at = std::find(choices.begin(), choices.end(), match) - choices.begin();
  return sample.entries()[static_cast<size_t>(at)].Key();
}

CounterRow MakeRow(const Counter& c, const KernelCounters* later, double interval_seconds) {
  const Counter* in_later = later != nullptr ? later->Find(c.Key()) : nullptr;
  const Counter& now = in_later != nullptr ? *in_later : c;
  CounterRow row;
  row.key = c.Key();
  row.value = now.value;
  row.negative = now.negative;
  const CounterInfo* info = FindCounterInfo(row.key);
  row.is_gauge = IsGaugeCounter(c.section, c.name) || (info != nullptr && info->is_gauge);
  if (info != nullptr) row.meaning = std::string(info->meaning);
  // No delta for a gauge, a negative level, a counter that went backwards (a reset), or one
  // missing from the later sample (its file became unreadable).
  if (in_later != nullptr && !row.is_gauge && !c.negative && !now.negative &&
      now.value >= c.value) {
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
