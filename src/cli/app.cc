#include "cli/app.h"

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/netns_targets.h"
#include "core/suggest.h"

namespace tcpdoctor {
namespace {

constexpr const char* kDescription =
    "tcpdoctor: what is wrong with this host's TCP connections, from the kernel's own data.";

void AddGlobalOptions(CLI::App& app, GlobalOptions& o) {
  app.add_flag("--json", o.json, "Machine-readable output (schema: docs/json.md)");
  app.add_option("--netns", o.netns,
                 "Look inside a network namespace: a name from `ip netns list`, pid:PID (that "
                 "process's, e.g. a container's), or a path such as /proc/PID/ns/net")
      ->each([&o](const std::string&) { o.netns_given = true; });
  app.add_flag("--all-netns", o.all_netns,
               "Every network namespace on the host (from /run/netns and /proc/*/ns/net), each "
               "reported on its own and summed");
  app.add_flag("-4,--ipv4", o.only_ipv4, "IPv4 sockets only");
  app.add_flag("-6,--ipv6", o.only_ipv6, "IPv6 sockets only");
  // Appended to, not assigned: --state may be given before and after the command, and both
  // the main app and the command have the option.
  app.add_option_function<std::vector<std::string>>(
         "--state",
         [&o](const std::vector<std::string>& v) {
           o.states.insert(o.states.end(), v.begin(), v.end());
         },
         "States to include, comma-separated: established, syn-sent, syn-recv, "
         "fin-wait-1, fin-wait-2, time-wait, close, close-wait, last-ack, listen, "
         "closing, or the groups connected, synchronized, all")
      ->allow_extra_args(false);
  app.add_option("--sport", o.sport, "Local port");
  app.add_option("--dport", o.dport, "Remote port");
  app.add_option("--port", o.port, "Local or remote port");
  app.add_option("--addr", o.addr, "Local or remote address in this CIDR (10.0.0.0/8, ::1)");
  app.add_option("--pid", o.pid, "Sockets held by this process");
  app.add_option("--comm", o.comm, "Sockets held by processes of this name (as in ps -o comm)");
  app.add_option("--record", o.record_path, "Save the raw netlink dump to FILE")->group("");
  app.add_option("--replay", o.replay_path, "Read a dump saved by --record")->group("");
  app.add_option("--source", o.source, "Force a source: netlink or proc")->group("");
  app.add_option("--proc-root", o.proc_root, "Read /proc files from DIR")->group("");
}

std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
  }
  return names;
}

// Explains arguments that no command or option took: a mistyped command or flag.
// CLI11's message for a parse error, on one line, and in tcpdoctor's words where CLI11's
// are cryptic: "Could not convert: --top-listeners = abc" means a value that is not a number.
std::string ParseErrorText(std::string message) {
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  constexpr std::string_view kConvert = "Could not convert: ";
  const size_t equals = message.find(" = ");
  if (message.starts_with(kConvert) && equals != std::string::npos) {
    const std::string option = message.substr(kConvert.size(), equals - kConvert.size());
    return option + ": '" + message.substr(equals + 3) + "' is not a number";
  }
  return message;
}

std::string UnexpectedArguments(const CLI::App& app, const CLI::App* command,
                                const std::vector<std::string>& extras,
                                const std::vector<std::string>& command_names) {
  const std::string& first = extras.front();
  if (first.starts_with("-")) {
    const std::vector<std::string> names = OptionNames(command != nullptr ? *command : app);
    const std::string flag = first.substr(0, first.find('='));
    return "unknown option '" + flag + "'" + DidYouMean(flag, names);
  }
  if (command == nullptr) {
    return "unknown command '" + first + "'" + DidYouMean(first, command_names);
  }
  return "unexpected argument '" + first + "' for '" + command->get_name() + "'";
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app(kDescription, "tcpdoctor");
  app.set_version_flag("--version", std::string("tcpdoctor ") + TCPDOCTOR_VERSION);
  app.allow_extras();
  app.require_subcommand(0, 1);
  GlobalOptions options;
  AddGlobalOptions(app, options);

  struct Registered {
    CLI::App* app;
    std::function<Status(const GlobalOptions&, CommandIo&)> run;
    bool sums_namespaces;
    bool nagios_exit_codes;
  };
  std::vector<Registered> registered;
  std::vector<std::string> command_names;
  for (const Command& command :
       {CheckupCommand(), StatesCommand(), TopCommand(), ProcsCommand(), ListenersCommand(),
        PortsCommand(), CountersCommand(), ExplainCommand(), LabCommand(), ServeCommand()}) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->footer("Examples:\n" + command.examples + "\n");
    sub->allow_extras();
    // Global options are declared on each command too, so they work on either side of it
    // (fallthrough alone would not see "-4" after the command: CLI11 takes it for a number).
    AddGlobalOptions(*sub, options);
    registered.push_back(
        {sub, command.setup(*sub), command.sums_namespaces, command.nagios_exit_codes});
    command_names.push_back(command.name);
  }
  app.footer(
      "Examples:\n"
      "  tcpdoctor                                     # checkup: findings, why, what to do\n"
      "  tcpdoctor states                              # sockets per state\n"
      "  tcpdoctor top --by laddr --state time-wait -n 3\n"
      "  tcpdoctor listeners -i 5                      # accept queues and overflow rates\n"
      "  tcpdoctor ports                               # ephemeral ports per destination\n"
      "  tcpdoctor procs                               # who holds sockets, fds vs nofile\n"
      "  tcpdoctor counters -i 1 --netns blue\n"
      "  tcpdoctor explain time-wait                   # what a state, counter or sysctl means\n"
      "  sudo tcpdoctor lab time-wait-client           # reproduce a problem, see its diagnosis\n"
      "  tcpdoctor serve                               # Prometheus exporter on 127.0.0.1:9947\n"
      "Run `tcpdoctor COMMAND --help` for a command's options and examples.\n");

  // Without a command, tcpdoctor runs the checkup, whose failures exit 3 (Nagios "unknown"):
  // so do mistakes on its command line.
  const auto usage_exit = [&registered] {
    for (const Registered& r : registered) {
      if (r.app->parsed()) return r.nagios_exit_codes ? kCheckupUnknown : kExitUsage;
    }
    return kCheckupUnknown;
  };
  std::vector<std::string> args;
  for (int i = argc - 1; i > 0; --i) args.emplace_back(argv[i]);  // CLI11 wants them reversed
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << app.version() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "tcpdoctor: " << ParseErrorText(e.what()) << " (see tcpdoctor --help)\n";
    return usage_exit();
  }

  const Registered* chosen = nullptr;
  for (const Registered& r : registered) {
    if (r.app->parsed()) chosen = &r;
  }
  // CLI::App::help() wants a mutable app; the subcommand's own help covers `tcpdoctor CMD -h`.
  const std::vector<std::string> extras = app.remaining(true);
  if (!extras.empty()) {
    err << "tcpdoctor: "
        << UnexpectedArguments(app, chosen ? chosen->app : nullptr, extras, command_names)
        << " (see tcpdoctor --help)\n";
    // A mistyped command name was not meant as a checkup.
    const bool unknown_command = chosen == nullptr && !extras.front().starts_with("-");
    return unknown_command ? kExitUsage : usage_exit();
  }
  if (chosen == nullptr) chosen = &registered.front();  // checkup

  const WarningSink warn = [&err](const std::string& w) {
    err << "tcpdoctor: warning: " << w << "\n";
  };
  OwnerLookup owners(ProcFs(options.proc_root), warn);
  CommandIo io{out, warn, owners};
  Status status = options.all_netns && !chosen->sums_namespaces
                      ? RunInEachNamespace(chosen->run, options, io)
                      : chosen->run(options, io);
  if (!status) {
    const Error& e = status.error();
    err << "tcpdoctor: " << e.ToString() << "\n";
    if (e.code == ErrorCode::kInterrupted) return kExitInterrupted;
    if (chosen->nagios_exit_codes) return kCheckupUnknown;
    return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  return io.exit_code;
}

}  // namespace tcpdoctor
