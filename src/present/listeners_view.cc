#include "present/listeners_view.h"

#include <cstdio>

#include "present/number_text.h"
#include "present/text_table.h"

namespace tcpdoctor {
namespace {

std::optional<uint32_t> Somaxconn(const ListenDropSummary& s) {
  if (!s.somaxconn || *s.somaxconn < 0) return std::nullopt;
  return static_cast<uint32_t>(*s.somaxconn);
}

std::string DropLine(const char* name, std::optional<uint64_t> total, std::optional<uint64_t> delta,
                     std::optional<double> interval) {
  if (!total) return std::string(name) + " n/a";
  std::string out = std::string(name) + " " + std::to_string(*total);
  if (interval && delta) {
    out += " (+" + std::to_string(*delta) + ", " + FormatNumber(*delta / *interval, "%.2f") + "/s)";
  }
  return out;
}

}  // namespace

std::string ListenersText(const std::vector<ListenerQueue>& listeners,
                          const ListenDropSummary& summary) {
  const bool sampled = summary.interval_seconds.has_value();
  TextTable table;
  table.AddColumn("LOCAL", TextTable::Align::kLeft);
  table.AddColumn("ACCEPTQ", TextTable::Align::kRight);
  table.AddColumn("BACKLOG", TextTable::Align::kRight);
  table.AddColumn("FILL", TextTable::Align::kRight);
  if (sampled) {
    table.AddColumn("PEAK", TextTable::Align::kRight);
    table.AddColumn("FULL", TextTable::Align::kRight);
  }
  table.AddColumn("SYN_RECV", TextTable::Align::kRight);
  table.AddColumn("NOTE", TextTable::Align::kLeft);
  table.AddColumn("OWNER", TextTable::Align::kLeft);
  for (const ListenerQueue& l : listeners) {
    std::vector<std::string> row = {
        l.address.ToStringForPort() + ":" + std::to_string(l.port), std::to_string(l.accept_queue),
        l.backlog_known ? std::to_string(l.backlog) : "?",
        l.backlog_known ? FormatNumber(l.FillPercent(), "%.0f%%") : "?"};
    if (sampled) {
      row.push_back(std::to_string(l.peak_accept_queue));
      row.push_back(std::to_string(l.samples_full) + "/" + std::to_string(l.samples));
    }
    row.push_back(std::to_string(l.syn_recv));
    std::string note;
    if (l.FullNow()) note = "FULL";
    if (l.CappedBy(Somaxconn(summary))) note += note.empty() ? "capped" : ",capped";
    row.push_back(note);
    std::string owner = "uid " + std::to_string(l.uid) + ", process not visible";
    if (l.owner_pid != 0) {
      owner = l.owner_comm + "[" + std::to_string(l.owner_pid) + "]";
      if (l.owner_processes > 1) owner += " +" + std::to_string(l.owner_processes - 1);
    }
    row.push_back(owner);
    table.AddRow(std::move(row));
  }
  std::string out = listeners.empty() ? "no listening TCP sockets\n" : table.Render();
  out += "somaxconn " + (summary.somaxconn ? std::to_string(*summary.somaxconn) : "n/a") + "; " +
         DropLine("ListenOverflows", summary.listen_overflows, summary.listen_overflows_delta,
                  summary.interval_seconds) +
         "; " +
         DropLine("ListenDrops", summary.listen_drops, summary.listen_drops_delta,
                  summary.interval_seconds);
  if (sampled) out += " over " + FormatNumber(*summary.interval_seconds, "%.2f") + " s";
  out += "\n";
  if (!listeners.empty()) {
    out +=
        "ACCEPTQ/BACKLOG: connections waiting for accept() / min(listen() backlog, somaxconn); "
        "the queue holds BACKLOG+1. capped: the backlog equals somaxconn.\n";
  }
  return out;
}

nlohmann::ordered_json ListenersJson(const std::vector<ListenerQueue>& listeners,
                                     const ListenDropSummary& summary) {
  const auto opt = [](auto v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(); };
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const ListenerQueue& l : listeners) {
    nlohmann::ordered_json row = {
        {"address", l.address.ToString()},
        {"port", l.port},
        {"accept_queue", l.accept_queue},
        {"backlog", l.backlog_known ? nlohmann::ordered_json(l.backlog) : nlohmann::ordered_json()},
        {"fill_percent",
         l.backlog_known ? nlohmann::ordered_json(l.FillPercent()) : nlohmann::ordered_json()},
        {"full", l.FullNow()},
        {"capped_by_somaxconn", l.CappedBy(Somaxconn(summary))},
        {"syn_recv", l.syn_recv},
        {"uid", l.uid},
        {"inode", l.inode},
        {"owner", l.owner_pid == 0 ? nlohmann::ordered_json()
                                   : nlohmann::ordered_json{{"pid", l.owner_pid},
                                                            {"comm", l.owner_comm},
                                                            {"processes", l.owner_processes}}}};
    if (summary.interval_seconds) {
      row["peak_accept_queue"] = l.peak_accept_queue;
      row["samples_full"] = l.samples_full;
      row["samples"] = l.samples;
    }
    rows.push_back(std::move(row));
  }
  return {{"listeners", rows},
          {"somaxconn", opt(summary.somaxconn)},
          {"interval_seconds", opt(summary.interval_seconds)},
          {"listen_overflows", opt(summary.listen_overflows)},
          {"listen_drops", opt(summary.listen_drops)},
          {"listen_overflows_delta", opt(summary.listen_overflows_delta)},
          {"listen_drops_delta", opt(summary.listen_drops_delta)}};
}

}  // namespace tcpdoctor
