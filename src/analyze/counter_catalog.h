// The kernel counters that matter for TCP connection problems, each with one line of meaning
// (Documentation/networking/snmp_counter.rst, kernel-facts.md), in the order `counters` shows.
#pragma once

#include <span>
#include <string_view>

namespace tcpdoctor {

struct CounterInfo {
  std::string_view section;  // "TcpExt" (/proc/net/netstat) or "Tcp" (/proc/net/snmp)
  std::string_view name;
  std::string_view meaning;
  bool is_gauge = false;  // a level (CurrEstab), not a running total
};

std::span<const CounterInfo> ImportantCounters();

// The entry for "ListenOverflows" or "TcpExt.ListenOverflows"; nullptr when not listed.
const CounterInfo* FindCounterInfo(std::string_view name);

}  // namespace tcpdoctor
