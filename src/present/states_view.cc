#include "present/states_view.h"

#include "present/text_table.h"

namespace tcpdoctor {

std::string StatesText(const StateCounts& counts, bool all_states) {
  TextTable table;
  table.AddColumn("STATE", TextTable::Align::kLeft);
  table.AddColumn("COUNT", TextTable::Align::kRight);
  for (TcpState s : kStatesInOrder) {
    if (counts.Get(s) == 0 && !all_states) continue;
    table.AddRow({std::string(StateName(s)), std::to_string(counts.Get(s))});
  }
  table.AddRow({"TOTAL", std::to_string(counts.Total())});
  return table.Render(/*with_header=*/false);
}

nlohmann::ordered_json StatesJson(const StateCounts& counts) {
  nlohmann::ordered_json states = nlohmann::ordered_json::object();
  for (TcpState s : kStatesInOrder) states[std::string(StateName(s))] = counts.Get(s);
  return {{"total", counts.Total()}, {"states", states}};
}

std::string StatesByNetnsText(const std::vector<NamespaceStates>& namespaces,
                              const StateCounts& total, bool all_states) {
  std::vector<TcpState> columns;
  for (TcpState s : kStatesInOrder) {
    if (all_states || total.Get(s) != 0) columns.push_back(s);
  }
  TextTable table;
  table.AddColumn("NETNS", TextTable::Align::kLeft);
  table.AddColumn("TOTAL", TextTable::Align::kRight);
  for (TcpState s : columns) table.AddColumn(std::string(StateName(s)), TextTable::Align::kRight);
  const auto row = [&](const std::string& label, const StateCounts& counts) {
    std::vector<std::string> cells = {label, std::to_string(counts.Total())};
    for (TcpState s : columns) cells.push_back(std::to_string(counts.Get(s)));
    table.AddRow(std::move(cells));
  };
  for (const NamespaceStates& ns : namespaces) row(ns.label, ns.counts);
  row("TOTAL", total);
  return table.Render();
}

}  // namespace tcpdoctor
