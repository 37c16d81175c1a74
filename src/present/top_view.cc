#include "present/top_view.h"

#include <algorithm>
#include <cctype>

#include "present/text_table.h"

namespace tcpdoctor {
namespace {

nlohmann::ordered_json NonZeroStates(const PerStateCounts& states) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (TcpState s : kStatesInOrder) {
    if (states[static_cast<int>(s)] != 0)
      out[std::string(StateName(s))] = states[static_cast<int>(s)];
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::string TopText(const TopGroupsResult& top) {
  PerStateCounts present{};
  const auto note = [&](const Group& g) {
    for (int s = 0; s < kTcpStateCount; ++s) present[s] += g.states[s];
  };
  std::for_each(top.groups.begin(), top.groups.end(), note);
  note(top.other);
  std::vector<TcpState> columns;
  for (TcpState s : kStatesInOrder) {
    if (present[static_cast<int>(s)] != 0 && top.by != GroupBy::kState) columns.push_back(s);
  }

  TextTable table;
  table.AddColumn(Upper(GroupByName(top.by)), TextTable::Align::kLeft);
  table.AddColumn("COUNT", TextTable::Align::kRight);
  for (TcpState s : columns) table.AddColumn(std::string(StateName(s)), TextTable::Align::kRight);
  const auto row = [&](const std::string& key, const Group& g) {
    std::vector<std::string> cells = {key, std::to_string(g.count)};
    for (TcpState s : columns) cells.push_back(std::to_string(g.states[static_cast<int>(s)]));
    table.AddRow(std::move(cells));
  };
  for (const Group& g : top.groups) row(g.key, g);
  if (top.other_groups > 0) {
    row("other (" + std::to_string(top.other_groups) + " groups)", top.other);
  }
  Group total;
  total.count = top.total;
  for (const Group& g : top.groups) {
    for (int s = 0; s < kTcpStateCount; ++s) total.states[s] += g.states[s];
  }
  for (int s = 0; s < kTcpStateCount; ++s) total.states[s] += top.other.states[s];
  row("TOTAL", total);
  return table.Render();
}

nlohmann::ordered_json TopJson(const TopGroupsResult& top) {
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const Group& g : top.groups) {
    nlohmann::ordered_json group = {{"key", g.key}};
    if (g.owner && g.owner->pid != 0) {
      group["pid"] = g.owner->pid;
      group["comm"] = g.owner->comm;
      group["user"] = g.owner->user;
      group["unit"] = g.owner->unit;
    } else if (g.owner) {
      group["no_owner"] = g.owner->no_owner;
    }
    group["count"] = g.count;
    group["states"] = NonZeroStates(g.states);
    groups.push_back(std::move(group));
  }
  return {{"by", std::string(GroupByName(top.by))},
          {"total", top.total},
          {"groups", groups},
          {"other",
           {{"count", top.other.count},
            {"groups", top.other_groups},
            {"states", NonZeroStates(top.other.states)}}}};
}

}  // namespace tcpdoctor
