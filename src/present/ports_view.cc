#include "present/ports_view.h"

#include <algorithm>
#include <cstdio>

#include "present/number_text.h"
#include "present/text_table.h"

namespace tcpdoctor {
namespace {

std::string Duration(double seconds) {
  if (seconds < 120) return FormatNumber(seconds, "%.0fs");
  if (seconds < 7200) return FormatNumber(seconds / 60, "%.0fm");
  return FormatNumber(seconds / 3600, "%.1fh");
}

std::string ReuseText(int tw_reuse) {
  switch (tw_reuse) {
    case 0:
      return "0 (off)";
    case 1:
      return "1 (on)";
    case 2:
      return "2 (loopback only)";
    default:
      return std::to_string(tw_reuse);
  }
}

std::string DestinationText(const DestinationPorts& d) {
  return d.local.ToString() + " -> " + d.remote.ToStringForPort() + ":" +
         std::to_string(d.remote_port);
}

}  // namespace

std::string PortsText(const PortsReport& r) {
  const PortBudgetSettings& s = r.settings;
  std::string out = "ip_local_port_range " + std::to_string(s.range_low) + "-" +
                    std::to_string(s.range_high) + ": " + std::to_string(s.RangeSize()) +
                    " usable ports per destination (" + std::to_string(s.reserved_in_range) +
                    " reserved); tcp_tw_reuse " + ReuseText(s.tw_reuse) + ", timestamps " +
                    (s.timestamps ? "on" : "off") + "\n";
  if (r.destinations.empty()) return out + "no outgoing connections from the ephemeral range\n";

  TextTable table;
  table.AddColumn("DESTINATION", TextTable::Align::kLeft);
  table.AddColumn("IN_USE", TextTable::Align::kRight);
  table.AddColumn("TIME_WAIT", TextTable::Align::kRight);
  table.AddColumn("USED", TextTable::Align::kRight);
  table.AddColumn("NEW/s", TextTable::Align::kRight);
  table.AddColumn("MAX/s", TextTable::Align::kRight);
  table.AddColumn("TW_REUSE", TextTable::Align::kLeft);
  if (r.interval_seconds) {
    table.AddColumn("GROWTH/s", TextTable::Align::kRight);
    table.AddColumn("FULL_IN", TextTable::Align::kRight);
  }
  const size_t shown = std::min(r.shown, r.destinations.size());
  uint64_t bind_parity = 0;
  for (const DestinationPorts& d : r.destinations) bind_parity += d.bind_parity;
  for (size_t i = 0; i < shown; ++i) {
    const DestinationPorts& d = r.destinations[i];
    std::vector<std::string> row = {DestinationText(d),
                                    std::to_string(d.in_use),
                                    std::to_string(d.time_wait),
                                    FormatNumber(d.PercentUsed(), "%.1f%%"),
                                    FormatNumber(d.rate_per_second, "%.1f"),
                                    FormatNumber(d.sustainable_rate_per_second, "%.0f"),
                                    d.time_wait_reusable ? "yes" : "no"};
    if (r.interval_seconds) {
      row.push_back(d.net_growth_per_second ? FormatNumber(*d.net_growth_per_second, "%+.1f")
                                            : "-");
      row.push_back(d.seconds_to_exhaustion ? Duration(*d.seconds_to_exhaustion) : "-");
    }
    table.AddRow(std::move(row));
  }
  out += table.Render();
  if (shown < r.destinations.size()) {
    const size_t more = r.destinations.size() - shown;
    out += "(" + std::to_string(more) + (more == 1 ? " more destination" : " more destinations") +
           "; -n to see them)\n";
  }
  out += "NEW/s: connections closed by us in the last " +
         FormatNumber(r.rate_window_seconds, "%.0f") +
         " s (TIME_WAIT age); MAX/s: the rate the free ports sustain (a port is held 60 s in "
         "TIME_WAIT, or tcp_tw_reuse_delay when reuse applies).\n";
  if (bind_parity > 0) {
    out += std::to_string(bind_parity) +
           " sockets use ports of the parity bind() prefers: if the client binds before "
           "connect(), its ports are exclusive across all destinations (use "
           "IP_BIND_ADDRESS_NO_PORT).\n";
  }
  return out;
}

nlohmann::ordered_json PortsJson(const PortsReport& r) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  const size_t shown = std::min(r.shown, r.destinations.size());
  for (size_t i = 0; i < shown; ++i) {
    const DestinationPorts& d = r.destinations[i];
    const auto opt = [](std::optional<double> v) {
      return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
    };
    rows.push_back({{"local", d.local.ToString()},
                    {"remote", d.remote.ToString()},
                    {"remote_port", d.remote_port},
                    {"in_use", d.in_use},
                    {"time_wait", d.time_wait},
                    {"range_size", d.range_size},
                    {"percent_used", d.PercentUsed()},
                    {"new_per_second", d.rate_per_second},
                    {"sustainable_per_second", d.sustainable_rate_per_second},
                    {"time_wait_reusable", d.time_wait_reusable},
                    {"growth_per_second", opt(d.net_growth_per_second)},
                    {"seconds_to_exhaustion", opt(d.seconds_to_exhaustion)},
                    {"bind_parity_sockets", d.bind_parity}});
  }
  const PortBudgetSettings& s = r.settings;
  return {{"range", {{"low", s.range_low}, {"high", s.range_high}}},
          {"reserved_in_range", s.reserved_in_range},
          {"usable_ports", s.RangeSize()},
          {"tcp_tw_reuse", s.tw_reuse},
          {"timestamps", s.timestamps},
          {"tw_reuse_delay_seconds", s.tw_reuse_delay_seconds},
          {"interval_seconds", r.interval_seconds ? nlohmann::ordered_json(*r.interval_seconds)
                                                  : nlohmann::ordered_json()},
          {"destinations", rows},
          {"other_destinations", r.destinations.size() - shown}};
}

}  // namespace tcpdoctor
