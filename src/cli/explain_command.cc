#include "analyze/explain_topics.h"
#include "cli/commands.h"
#include "present/explain_view.h"

namespace tcpdoctor {
namespace {

// Reads nothing from the system: no root needed, and socket or namespace options do not apply.
Status RunExplain(const std::string& typed, const GlobalOptions& options, CommandIo& io) {
  if (typed.empty()) {
    if (options.json) {
      io.out << TopicListJson().dump(2) << "\n";
    } else {
      io.out << TopicListText();
    }
    return Ok{};
  }
  const Topic* topic = FindTopic(typed);
  if (topic == nullptr) {
    const std::string closest = ClosestTopic(typed);
    Error error;
    error.code = ErrorCode::kInvalidArgument;
    error.message = "unknown topic '" + typed + "'";
    if (!closest.empty()) {
      error.message += " (did you mean '" + closest + "'?)";
    } else {
      error.hint = "`tcpdoctor explain` lists them";
    }
    return error;
  }
  if (options.json) {
    io.out << ExplainJson(*topic).dump(2) << "\n";
  } else {
    io.out << ExplainText(*topic);
  }
  return Ok{};
}

}  // namespace

Command ExplainCommand() {
  Command command{
      "explain",
      "What a TCP state, kernel counter or sysctl means, who sees it, when to worry and what to "
      "do (from kernel-facts.md); without a topic, the list",
      "  tcpdoctor explain                        # every topic, by kind\n"
      "  tcpdoctor explain time-wait\n"
      "  tcpdoctor explain ListenOverflows\n"
      "  tcpdoctor explain tcp_fin_timeout --json",
      [](CLI::App& sub) {
        auto topic = std::make_shared<std::string>();
        sub.add_option("topic", *topic,
                       "A state (time-wait), counter (ListenOverflows) or sysctl "
                       "(net.ipv4.tcp_tw_reuse or tcp_tw_reuse)");
        return [topic](const GlobalOptions& options, CommandIo& io) {
          return RunExplain(*topic, options, io);
        };
      }};
  command.sums_namespaces = true;  // runs once, even with --all-netns: it reads no namespace
  return command;
}

}  // namespace tcpdoctor
