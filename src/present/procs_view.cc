#include "present/procs_view.h"

#include "analyze/process_sockets.h"
#include "present/number_text.h"
#include "present/text_table.h"

namespace tcpdoctor {
namespace {

std::string LimitText(const std::optional<uint64_t>& limit) {
  if (!limit) return "?";
  return *limit == kUnlimited ? "unlimited" : std::to_string(*limit);
}

nlohmann::ordered_json LimitJson(const std::optional<uint64_t>& limit) {
  if (!limit || *limit == kUnlimited) return nullptr;
  return *limit;
}

std::string FileHandlesLine(const ProcsReport& r) {
  std::string line = "file handles: ";
  if (r.file_nr) {
    line += std::to_string(r.file_nr->allocated) + " allocated of " +
            std::to_string(r.file_nr->max) + " (fs.file-max)";
  } else {
    line += "unknown (fs.file-nr unreadable)";
  }
  if (r.nr_open) line += ", per-process ceiling " + std::to_string(*r.nr_open) + " (fs.nr_open)";
  return line + "\n";
}

}  // namespace

std::string ProcsText(const ProcsReport& report) {
  std::vector<TcpState> columns;
  for (TcpState s : kStatesInOrder) {
    for (const ProcsReport::Row& row : report.rows) {
      if (row.states.Get(s) != 0) {
        columns.push_back(s);
        break;
      }
    }
  }
  TextTable table;
  if (report.show_netns) table.AddColumn("NETNS", TextTable::Align::kLeft);
  table.AddColumn("PID", TextTable::Align::kRight);
  table.AddColumn("USER", TextTable::Align::kLeft);
  table.AddColumn("COMM", TextTable::Align::kLeft);
  table.AddColumn("SOCKETS", TextTable::Align::kRight);
  for (TcpState s : columns) table.AddColumn(std::string(StateName(s)), TextTable::Align::kRight);
  table.AddColumn("FDS", TextTable::Align::kRight);
  table.AddColumn("SOFT", TextTable::Align::kRight);
  table.AddColumn("HARD", TextTable::Align::kRight);
  table.AddColumn("FD%", TextTable::Align::kRight);
  table.AddColumn("UNIT", TextTable::Align::kLeft);
  table.AddColumn("COMMAND", TextTable::Align::kLeft);
  for (const ProcsReport::Row& row : report.rows) {
    const ProcessInfo& p = *row.process;
    std::vector<std::string> cells;
    if (report.show_netns) cells.push_back(row.netns);
    cells.push_back(std::to_string(p.pid));
    cells.push_back(p.user.empty() ? std::to_string(p.uid) : p.user);
    cells.push_back(p.comm);
    cells.push_back(std::to_string(row.states.Total()));
    for (TcpState s : columns) cells.push_back(std::to_string(row.states.Get(s)));
    cells.push_back(std::to_string(p.open_fds));
    cells.push_back(LimitText(p.nofile_soft));
    cells.push_back(LimitText(p.nofile_hard));
    const auto used = FdUsePercent(p);
    cells.push_back(used ? FormatNumber(*used, "%.1f") : "-");
    cells.push_back(p.unit.empty() ? "-" : p.unit);
    cells.push_back(p.cmdline);
    table.AddRow(std::move(cells));
  }
  std::string out = FileHandlesLine(report);
  out += report.rows.empty() ? "no process holds a TCP socket here\n" : table.Render();

  std::string no_owner;
  for (int i = 1; i < kNoOwnerCount; ++i) {
    if (report.no_owner[i] == 0) continue;
    no_owner += (no_owner.empty() ? "" : "; ") + std::to_string(report.no_owner[i]) + " " +
                std::string(NoOwnerText(static_cast<NoOwner>(i)));
  }
  if (!no_owner.empty()) out += "held by no process: " + no_owner + "\n";
  if (report.unreadable > 0) {
    out += std::to_string(report.unreadable) +
           (report.unreadable == 1 ? " process" : " processes") + " could not be read\n";
  }
  return out;
}

nlohmann::ordered_json ProcsJson(const ProcsReport& report) {
  nlohmann::ordered_json handles = nlohmann::ordered_json::object();
  handles["allocated"] =
      report.file_nr ? nlohmann::ordered_json(report.file_nr->allocated) : nullptr;
  handles["max"] = report.file_nr ? nlohmann::ordered_json(report.file_nr->max) : nullptr;
  handles["nr_open"] = report.nr_open ? nlohmann::ordered_json(*report.nr_open) : nullptr;

  nlohmann::ordered_json processes = nlohmann::ordered_json::array();
  for (const ProcsReport::Row& row : report.rows) {
    const ProcessInfo& p = *row.process;
    nlohmann::ordered_json states = nlohmann::ordered_json::object();
    for (TcpState s : kStatesInOrder) {
      if (row.states.Get(s) != 0) states[std::string(StateName(s))] = row.states.Get(s);
    }
    nlohmann::ordered_json one = {{"pid", p.pid}, {"comm", p.comm}, {"user", p.user},
                                  {"uid", p.uid}, {"unit", p.unit}, {"cmdline", p.cmdline}};
    if (report.show_netns) one["netns"] = row.netns;
    one["sockets"] = row.states.Total();
    one["states"] = std::move(states);
    one["close_wait"] = row.states.Get(TcpState::kCloseWait);
    one["open_fds"] = p.open_fds;
    one["nofile_soft"] = LimitJson(p.nofile_soft);
    one["nofile_hard"] = LimitJson(p.nofile_hard);
    const auto used = FdUsePercent(p);
    one["fd_percent"] = used ? nlohmann::ordered_json(*used) : nullptr;
    processes.push_back(std::move(one));
  }
  nlohmann::ordered_json no_owner = nlohmann::ordered_json::object();
  for (int i = 1; i < kNoOwnerCount; ++i) {
    no_owner[std::string(NoOwnerName(static_cast<NoOwner>(i)))] = report.no_owner[i];
  }
  return {{"file_handles", handles},
          {"total", report.total},
          {"processes", processes},
          {"no_owner", no_owner},
          {"unreadable_processes", report.unreadable}};
}

}  // namespace tcpdoctor
