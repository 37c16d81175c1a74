// The network namespaces a command looks at: the current one, --netns, or --all-netns.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "collect/netns_inventory.h"

namespace tcpdoctor {

struct NetnsTarget {
  std::string label;  // as reports name it: "current", "blue", "docker:0123456789ab (nginx, ...)"
  NetnsEntry entry;   // entry.path is empty for "wherever we already are"
};

// One target without --all-netns (the current namespace, or --netns), else every namespace.
// --all-netns with --netns is a usage error.
Result<std::vector<NetnsTarget>> ResolveTargets(const GlobalOptions& options, CommandIo& io);

// The options for one target of `options`: with --all-netns, that namespace alone.
GlobalOptions OptionsFor(const NetnsTarget& target, const GlobalOptions& options);

// Runs `body` for each target with options that point at it. A namespace that vanished since
// it was listed is skipped with a warning; namespaces that cannot be entered without root are
// skipped and counted in one warning. Other errors stop the run.
Status ForEachTarget(const std::vector<NetnsTarget>& targets, const GlobalOptions& options,
                     CommandIo& io,
                     const std::function<Status(const NetnsTarget&, const GlobalOptions&)>& body);

// For commands that do not sum namespaces themselves: runs `run` in each target, printing each
// namespace's output under a heading, or with --json {"namespaces": [{"netns", "result"}]}.
Status RunInEachNamespace(const std::function<Status(const GlobalOptions&, CommandIo&)>& run,
                          const GlobalOptions& options, CommandIo& io);

}  // namespace tcpdoctor
