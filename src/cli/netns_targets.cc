#include "cli/netns_targets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "present/netns_view.h"

namespace tcpdoctor {

Result<std::vector<NetnsTarget>> ResolveTargets(const GlobalOptions& options, CommandIo& io) {
  if (!options.all_netns) {
    NetnsTarget only;
    only.label = options.netns_given ? options.netns : "current";
    only.entry.current = !options.netns_given;
    if (options.netns_given) only.entry.path = options.netns;
    return std::vector<NetnsTarget>{only};
  }
  if (options.netns_given) {
    return Error{ErrorCode::kInvalidArgument, "--all-netns and --netns exclude each other", 0,
                 "--all-netns", "give one namespace with --netns, or every one with --all-netns"};
  }
  auto inventory = ListNetworkNamespaces(ProcFs(options.proc_root));
  if (!inventory) return inventory.TakeError();
  if (inventory->unreadable > 0) {
    io.warn(std::to_string(inventory->unreadable) +
            " processes' network namespaces could not be read" +
            (::geteuid() == 0 ? "" : "; run as root to see every namespace"));
  }
  std::vector<NetnsTarget> targets;
  for (NetnsEntry& entry : inventory->entries) {
    NetnsTarget t;
    t.label = NetnsLabel(entry);
    if (entry.current) entry.path.clear();  // no need to enter, nor the right to
    t.entry = std::move(entry);
    targets.push_back(std::move(t));
  }
  return targets;
}

GlobalOptions OptionsFor(const NetnsTarget& target, const GlobalOptions& options) {
  GlobalOptions here = options;
  if (options.all_netns) {
    here.all_netns = false;
    here.netns_given = !target.entry.path.empty();
    here.netns = target.entry.path;
  }
  return here;
}

Status ForEachTarget(const std::vector<NetnsTarget>& targets, const GlobalOptions& options,
                     CommandIo& io,
                     const std::function<Status(const NetnsTarget&, const GlobalOptions&)>& body) {
  int not_entered = 0;
  for (const NetnsTarget& target : targets) {
    Status status = body(target, OptionsFor(target, options));
    if (status || target.entry.current || !options.all_netns) {
      if (!status) return status;
      continue;
    }
    const Error& e = status.error();
    struct stat st {};
    const bool gone = ::stat(target.entry.path.c_str(), &st) != 0 && errno == ENOENT;
    if (gone || e.sys_errno == ENOENT || e.sys_errno == ESRCH) {
      io.warn("network namespace " + target.label + " vanished during the run; skipped");
    } else if (e.code == ErrorCode::kPermission) {
      ++not_entered;
    } else {
      return status;
    }
  }
  if (not_entered > 0) {
    io.warn(std::to_string(not_entered) +
            " network namespaces could not be entered; run as root (CAP_SYS_ADMIN) to see them");
  }
  return Ok{};
}

Status RunInEachNamespace(const std::function<Status(const GlobalOptions&, CommandIo&)>& run,
                          const GlobalOptions& options, CommandIo& io) {
  auto targets = ResolveTargets(options, io);
  if (!targets) return targets.TakeError();
  nlohmann::ordered_json sections = nlohmann::ordered_json::array();
  Status status =
      ForEachTarget(*targets, options, io, [&](const NetnsTarget& t, const GlobalOptions& here) {
        std::ostringstream buffer;  // a section is printed whole or not at all
        CommandIo section{buffer, io.warn, io.owners};
        Status ran = run(here, section);
        if (!ran) return ran;
        io.exit_code = std::max(io.exit_code, section.exit_code);
        if (options.json) {
          sections.push_back({{"netns", NetnsJson(t.label, t.entry)},
                              {"result", nlohmann::ordered_json::parse(buffer.str())}});
        } else {
          io.out << NetnsHeading(t.label) << buffer.str() << "\n";
        }
        return Status(Ok{});
      });
  if (!status) return status;
  if (options.json) io.out << nlohmann::ordered_json{{"namespaces", sections}}.dump(2) << "\n";
  return Ok{};
}

}  // namespace tcpdoctor
