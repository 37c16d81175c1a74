#include "present/counters_view.h"

#include <cstdio>

#include "present/number_text.h"
#include "present/text_table.h"

namespace tcpdoctor {
namespace {

std::string Rate(double r) { return FormatNumber(r, r >= 100 ? "%.0f" : "%.2f"); }

std::string Value(const CounterRow& row) {
  return row.negative ? std::to_string(static_cast<int64_t>(row.value)) : std::to_string(row.value);
}

std::string SockstatText(const Sockstat& sockstat, long page_size) {
  std::string out;
  for (const char* proto : {"TCP", "TCP6"}) {
    const SockstatLine* line = sockstat.Find(proto);
    if (line == nullptr) continue;
    out += std::string("sockstat ") + proto + ":";
    for (const SockstatField& f : line->fields) {
      out += " " + f.name + " " + std::to_string(f.value);
      if (f.name == "mem") {
        out += " pages (" + std::to_string(f.value * static_cast<uint64_t>(page_size) / 1024) +
               " KiB)";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string CountersText(const std::vector<CounterRow>& rows, std::optional<double> interval,
                         const Sockstat& sockstat, long page_size) {
  TextTable table;
  table.AddColumn("COUNTER", TextTable::Align::kLeft);
  table.AddColumn("VALUE", TextTable::Align::kRight);
  if (interval) {
    table.AddColumn("DELTA", TextTable::Align::kRight);
    table.AddColumn("RATE/s", TextTable::Align::kRight);
  }
  table.AddColumn("MEANING", TextTable::Align::kLeft);
  for (const CounterRow& row : rows) {
    std::vector<std::string> cells = {row.key, Value(row)};
    if (interval) {
      cells.push_back(row.delta ? std::to_string(*row.delta) : "-");
      cells.push_back(row.rate_per_second ? Rate(*row.rate_per_second) : "-");
    }
    cells.push_back(row.is_gauge && row.meaning.empty() ? "(a level, not a count)" : row.meaning);
    table.AddRow(std::move(cells));
  }
  std::string out = table.Render();
  if (interval) out += "over " + Rate(*interval) + " s\n";
  return out + SockstatText(sockstat, page_size);
}

nlohmann::ordered_json CountersJson(const std::vector<CounterRow>& rows,
                                    std::optional<double> interval, const Sockstat& sockstat,
                                    long page_size) {
  nlohmann::ordered_json counters = nlohmann::ordered_json::array();
  for (const CounterRow& row : rows) {
    nlohmann::ordered_json c = {{"name", row.key}};
    if (row.negative) {
      c["value"] = static_cast<int64_t>(row.value);
    } else {
      c["value"] = row.value;
    }
    c["delta"] = row.delta ? nlohmann::ordered_json(*row.delta) : nullptr;
    c["rate_per_second"] =
        row.rate_per_second ? nlohmann::ordered_json(*row.rate_per_second) : nullptr;
    c["gauge"] = row.is_gauge;
    c["meaning"] = row.meaning;
    counters.push_back(std::move(c));
  }
  nlohmann::ordered_json stat = nlohmann::ordered_json::object();
  for (const SockstatLine& line : sockstat.lines) {
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    for (const SockstatField& f : line.fields) fields[f.name] = f.value;
    if (line.Get("mem")) fields["mem_bytes"] = *line.Get("mem") * static_cast<uint64_t>(page_size);
    stat[line.protocol] = std::move(fields);
  }
  return {{"interval_seconds", interval ? nlohmann::ordered_json(*interval) : nullptr},
          {"counters", counters},
          {"sockstat", stat}};
}

}  // namespace tcpdoctor
