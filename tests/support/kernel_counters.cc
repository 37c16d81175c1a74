#include "support/kernel_counters.h"

#include <stdlib.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/run_command.h"

namespace tcpdoctor::itest {
namespace {

// A file of header/value line pairs: "TcpExt: SyncookiesSent ..." then "TcpExt: 0 ...".
bool ReadPairs(const char* path, CounterValues& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = std::string("cannot open ") + path;
    return false;
  }
  std::string names;
  std::string values;
  while (std::getline(in, names) && std::getline(in, values)) {
    std::istringstream n(names);
    std::istringstream v(values);
    std::string section;
    std::string value_section;
    n >> section;
    v >> value_section;
    if (section.empty() || section != value_section || section.back() != ':') {
      error = std::string("unexpected lines in ") + path + ": '" + names + "' / '" + values + "'";
      return false;
    }
    section.pop_back();
    std::string name;
    std::string value;
    while (n >> name) {
      if (!(v >> value)) {
        error = std::string("fewer values than names in ") + path + " for " + section;
        return false;
      }
      int64_t number = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size()) {
        error = std::string("bad value '") + value + "' in " + path;
        return false;
      }
      out[section + "." + name] = number;
    }
  }
  return true;
}

}  // namespace

CounterValues ReadProcCounters(std::string& error) {
  CounterValues out;
  if (!ReadPairs("/proc/net/netstat", out, error) || !ReadPairs("/proc/net/snmp", out, error)) {
    return {};
  }
  return out;
}

CounterValues RunNstat(std::string& error) {
  char dir_template[] = "/tmp/tcpdoctor-nstat-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    error = "mkdtemp failed";
    return {};
  }
  const std::string dir = dir_template;
  const CommandResult run =
      RunCommand({"env", "NSTAT_HISTORY=" + dir + "/history", "nstat", "-a", "-s", "-z", "--json"});
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (run.exit_code != 0) {
    error = "nstat failed: " + run.Describe();
    return {};
  }
  const nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  if (doc.is_discarded() || !doc.contains("kernel") || !doc["kernel"].is_object()) {
    error = "nstat printed unexpected JSON: " + run.out;
    return {};
  }
  CounterValues out;
  for (const auto& [name, value] : doc["kernel"].items()) {
    if (!value.is_number_integer()) {
      error = "nstat: non-integer value for " + name;
      return {};
    }
    out[name] = value.is_number_unsigned() ? static_cast<int64_t>(value.get<uint64_t>())
                                           : value.get<int64_t>();
  }
  return out;
}

std::string NstatName(std::string_view key) {
  std::string name(key);
  if (const size_t dot = name.find('.'); dot != std::string::npos) name.erase(dot, 1);
  return name;
}

nlohmann::json CounterRow(const nlohmann::json& counters_doc, std::string_view key) {
  if (!counters_doc.contains("counters") || !counters_doc["counters"].is_array()) return nullptr;
  for (const nlohmann::json& row : counters_doc["counters"]) {
    if (row.value("name", "") == key) return row;
  }
  return nullptr;
}

SsListeners RunSsListeners() {
  SsListeners result;
  const CommandResult run = RunCommand({"ss", "-ltnH"});
  if (run.exit_code != 0) {
    result.error = "ss failed: " + run.Describe();
    return result;
  }
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string state;
    std::string local;
    SsListener row;
    if (!(fields >> state >> row.recv_q >> row.send_q >> local) || state != "LISTEN") {
      result.error = "unexpected ss line: " + line;
      return result;
    }
    const size_t colon = local.rfind(':');
    if (colon == std::string::npos) {
      result.error = "cannot parse ss address: " + local;
      return result;
    }
    std::string address = local.substr(0, colon);
    if (const size_t percent = address.find('%'); percent != std::string::npos) {
      address.erase(percent);
      if (address.front() == '[') address += ']';
    }
    const auto port = static_cast<uint16_t>(std::stoul(local.substr(colon + 1)));
    if (address == "*") {
      row.local = Endpoint::Any(AF_INET6);
      row.local.port = port;
    } else if (const auto parsed = Endpoint::Parse(address, port)) {
      row.local = *parsed;
    } else {
      result.error = "cannot parse ss address: " + local;
      return result;
    }
    result.rows.push_back(row);
  }
  return result;
}

}  // namespace tcpdoctor::itest
