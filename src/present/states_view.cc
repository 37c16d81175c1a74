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

}  // namespace tcpdoctor
