// What every command gets, and the table of commands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/owner_lookup.h"
#include "core/result.h"
#include "core/warning_sink.h"
#include "model/owner_filter.h"
#include "model/socket_filter.h"

namespace tcpdoctor {

// Options every command accepts, before or after the command name.
struct GlobalOptions {
  bool json = false;
  std::string netns;         // --netns NAME|PATH
  bool netns_given = false;  // so that --netns "" (an unset variable) is an error, not ignored
  bool only_ipv4 = false;
  bool only_ipv6 = false;
  std::vector<std::string> states;  // --state, may repeat, comma-separated
  std::string sport, dport, port, addr;
  std::string pid;   // --pid: sockets this process holds
  std::string comm;  // --comm: sockets held by processes of this name
  bool all_netns = false;
  // Debug and test seams (hidden from --help).
  std::string record_path;  // --record FILE: save the raw netlink dump
  std::string replay_path;  // --replay FILE: read a recorded dump instead of the kernel
  std::string source;       // --source netlink|proc: force a source
  std::string proc_root = "/proc";
};

struct CommandIo {
  std::ostream& out;
  WarningSink warn;
  OwnerLookup& owners;  // one owner scan per run, shared by every namespace a command visits
  int exit_code = 0;    // what a successful run exits with (checkup: its verdict)
};

// checkup's exit codes, the Nagios plugin convention: a monitoring system runs it as a check.
inline constexpr int kCheckupOk = 0;
inline constexpr int kCheckupWarning = 1;
inline constexpr int kCheckupCritical = 2;
inline constexpr int kCheckupUnknown = 3;  // could not check: bad usage, no permission ...

struct Command {
  std::string name;
  std::string summary;
  std::string examples;  // shown under the command's --help
  // Declares the command's own options on `sub`; returns what runs it once parsed.
  std::function<std::function<Status(const GlobalOptions&, CommandIo&)>(CLI::App& sub)> setup;
  // True if the command reports --all-netns itself (per namespace and summed); otherwise it
  // runs once per namespace, each under its own heading.
  bool sums_namespaces = false;
  // Failures and bad usage exit kCheckupUnknown (3), since 1 and 2 are verdicts.
  bool nagios_exit_codes = false;
};

// The user's filter, validated: unknown states, bad ports and bad CIDRs are errors that say
// what was expected.
Result<SocketFilter> BuildFilter(const GlobalOptions& options);
// For commands that read no sockets (counters): an error naming the socket filter given, which
// would otherwise be silently ignored.
Status RejectSocketFilters(const GlobalOptions& options, const std::string& command);

// --pid and --comm, validated the same way.
Result<OwnerFilter> BuildOwnerFilter(const GlobalOptions& options);

}  // namespace tcpdoctor
