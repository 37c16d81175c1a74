// The namespace's TCP counters from references other than tcpdoctor: /proc/net/netstat and
// /proc/net/snmp read directly, and `nstat` (iproute2). Also reading `tcpdoctor counters
// --json` rows and `ss -ltn` listener queues.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "support/endpoint.h"

namespace tcpdoctor::itest {

// Counters keyed "Section.Name" ("TcpExt.ListenOverflows", "Tcp.ActiveOpens").
using CounterValues = std::map<std::string, int64_t>;

// /proc/net/netstat and /proc/net/snmp of the calling process's namespace; empty and
// `error` set if they cannot be read or parsed.
CounterValues ReadProcCounters(std::string& error);

// `nstat -a -s -z --json` in the calling process's namespace: every counter's absolute value,
// with nstat's history neither read (-a) nor written (-s), and NSTAT_HISTORY pointed at a
// private temporary directory in any case. Keyed as nstat spells them: "TcpExtListenOverflows".
CounterValues RunNstat(std::string& error);

// "TcpExt.ListenOverflows" -> "TcpExtListenOverflows".
std::string NstatName(std::string_view key);

// The row {"name", "value", "delta", ...} of `tcpdoctor counters --json` output named `key`,
// or null if there is none.
nlohmann::json CounterRow(const nlohmann::json& counters_doc, std::string_view key);

// One listening socket as `ss -ltn` shows it: Recv-Q (accept queue now) and Send-Q (backlog).
struct SsListener {
  Endpoint local;
  uint64_t recv_q = 0;
  uint64_t send_q = 0;
};
struct SsListeners {
  std::vector<SsListener> rows;
  std::string error;  // empty when ss ran and every row parsed
};
SsListeners RunSsListeners();

}  // namespace tcpdoctor::itest
