// What every command gets, and the table of commands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/warning_sink.h"
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
  // Debug and test seams (hidden from --help).
  std::string record_path;  // --record FILE: save the raw netlink dump
  std::string replay_path;  // --replay FILE: read a recorded dump instead of the kernel
  std::string source;       // --source netlink|proc: force a source
  std::string proc_root = "/proc";
};

struct CommandIo {
  std::ostream& out;
  WarningSink warn;
};

struct Command {
  std::string name;
  std::string summary;
  std::string examples;  // shown under the command's --help
  // Declares the command's own options on `sub`; returns what runs it once parsed.
  std::function<std::function<Status(const GlobalOptions&, CommandIo&)>(CLI::App& sub)> setup;
};

// The user's filter, validated: unknown states, bad ports and bad CIDRs are errors that say
// what was expected.
Result<SocketFilter> BuildFilter(const GlobalOptions& options);

}  // namespace tcpdoctor
