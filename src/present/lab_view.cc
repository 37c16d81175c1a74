#include "present/lab_view.h"

#include <variant>

#include "present/number_text.h"
#include "present/wrapped_text.h"

namespace tcpdoctor {
namespace {

constexpr const char* kIndent = "  ";

std::string ValueText(double value, bool integer) {
  return FormatNumber(value, integer ? "%.0f" : "%g");
}

nlohmann::ordered_json ValueJson(double value, bool integer) {
  if (integer) return static_cast<int64_t>(value);
  return value;
}

nlohmann::ordered_json FactJson(const Fact& fact) {
  nlohmann::ordered_json value;
  std::visit([&value](const auto& v) { value = v; }, fact.value);
  return value;
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string ScaleText(const LabScale& s) {
  return "--" + s.option + " " + ValueText(s.default_value, s.integer) + " (" +
         ValueText(s.min, s.integer) + " to " + ValueText(s.max, s.integer) + "): " + s.meaning;
}

void AppendHeader(std::string& out, const LabOutcome& o) {
  out += "tcpdoctor lab " + o.scenario + "\n";
  AppendWrapped(out, kIndent, o.summary);
  std::string params;
  for (const LabParameter& p : o.parameters) {
    params += (params.empty() ? "" : ", ") + std::string("--") + p.option + " " +
              ValueText(p.value, p.integer) + " (" + p.meaning + ")";
  }
  if (!params.empty()) AppendWrapped(out, std::string(kIndent) + "parameters: ", params);
  out += "\n";
  AppendWrapped(out, "",
                "The lab namespace net:[" + std::to_string(o.netns_inode) +
                    "] is private to this run and starts from the kernel's compiled-in "
                    "defaults, not this host's settings" +
                    (o.sysctls.empty() ? "." : ":"));
  for (const LabSysctl& s : o.sysctls) {
    out += std::string(kIndent) + s.key + " = " + s.value +
           (s.set_by_lab ? " (set by the lab)" : " (the namespace's default)") + "\n";
    AppendWrapped(out, std::string(kIndent) + kIndent + kIndent, s.why);
  }
}

void AppendSteps(std::string& out, const LabOutcome& o) {
  out += "\nWhat the lab did, and what the kernel did:\n";
  for (size_t i = 0; i < o.steps.size(); ++i) {
    const LabStep& step = o.steps[i];
    const std::string number = std::string(kIndent) + std::to_string(i + 1) + ". ";
    AppendWrapped(out, number, step.did);
    for (const LabObservation& obs : step.observed) {
      AppendWrapped(out, std::string(number.size(), ' ') + "- ", obs.text);
    }
  }
}

void AppendList(std::string& out, const std::string& heading,
                const std::vector<std::string>& items) {
  if (items.empty()) return;
  out += "\n" + heading + "\n";
  for (const std::string& item : items) AppendWrapped(out, std::string(kIndent) + "- ", item);
}

void AppendExpected(std::string& out, const LabOutcome& o) {
  if (o.expected_findings.empty()) return;
  out += "\nWhat the checkup should find:\n";
  for (const LabExpectedFinding& e : o.expected_findings) {
    const std::string verdict =
        e.found ? "found (" + e.severity + ")" : "NOT found: the checkup did not report it";
    AppendWrapped(out, std::string(kIndent) + "- ",
                  "[" + e.rule + "] about \"" + e.subject + "\": " + verdict + "; " + e.why);
  }
}

std::string CleanupText(const LabOutcome& o) {
  std::string pids;
  for (const int32_t pid : o.pids) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
  std::string text = "Done in " + FormatNumber(o.duration_seconds, "%.1f") + " s. ";
  if (!o.pids.empty()) {
    text += "Its " + Plural(o.pids.size(), "helper process", "helper processes") + " (pid " + pids +
            ") " + (o.pids.size() == 1 ? "was" : "were") + " killed and reaped; ";
  }
  return text + "the namespace and its sockets go away with the lab.";
}

}  // namespace

std::string LabListText(const std::vector<LabScenarioInfo>& scenarios) {
  std::string out;
  for (const LabScenarioInfo& s : scenarios) {
    out += s.name + "\n";
    AppendWrapped(out, std::string(kIndent) + kIndent, s.summary);
    for (const LabScale& scale : s.scales) {
      AppendWrapped(out, std::string(kIndent) + kIndent + kIndent, ScaleText(scale));
    }
  }
  out +=
      "Run one with `tcpdoctor lab NAME` (as root): it builds the situation in a private "
      "network namespace on loopback, shows what the kernel did, then runs the checkup on "
      "it.\n";
  return out;
}

nlohmann::ordered_json LabListJson(const std::vector<LabScenarioInfo>& scenarios) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const LabScenarioInfo& s : scenarios) {
    nlohmann::ordered_json options = nlohmann::ordered_json::object();
    for (const LabScale& scale : s.scales) {
      options[scale.option] = {{"default", ValueJson(scale.default_value, scale.integer)},
                               {"min", ValueJson(scale.min, scale.integer)},
                               {"max", ValueJson(scale.max, scale.integer)},
                               {"meaning", scale.meaning}};
    }
    list.push_back({{"name", s.name}, {"summary", s.summary}, {"options", options}});
  }
  return {{"scenarios", list}};
}

std::string LabText(const LabOutcome& o, const CheckupReport& checkup) {
  std::string out;
  AppendHeader(out, o);
  AppendSteps(out, o);
  AppendList(out, "What it means:", o.conclusions);
  AppendList(out, "Where the kernel did not do what this scenario expected:", o.surprises);
  AppendExpected(out, o);
  out += "\nThe checkup of the lab namespace, taken after step " +
         std::to_string(o.checkup_after_step) + " (its counters cover the run up to then):\n\n";
  out += CheckupText(checkup);
  out += "\n";
  AppendWrapped(out, "", CleanupText(o));
  return out;
}

nlohmann::ordered_json LabJson(const LabOutcome& o, const CheckupReport& checkup) {
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  for (const LabParameter& p : o.parameters) parameters[p.option] = ValueJson(p.value, p.integer);
  nlohmann::ordered_json sysctls = nlohmann::ordered_json::array();
  for (const LabSysctl& s : o.sysctls) {
    sysctls.push_back(
        {{"key", s.key}, {"value", s.value}, {"set_by_lab", s.set_by_lab}, {"why", s.why}});
  }
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  nlohmann::ordered_json observed = nlohmann::ordered_json::object();
  for (const LabStep& step : o.steps) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const LabObservation& obs : step.observed) {
      list.push_back({{"key", obs.fact.name}, {"value", FactJson(obs.fact)}, {"text", obs.text}});
      observed[obs.fact.name] = FactJson(obs.fact);
    }
    steps.push_back({{"did", step.did}, {"observed", list}});
  }
  nlohmann::ordered_json expected = nlohmann::ordered_json::array();
  for (const LabExpectedFinding& e : o.expected_findings) {
    expected.push_back({{"rule", e.rule},
                        {"subject", e.subject},
                        {"why", e.why},
                        {"found", e.found},
                        {"severity", e.found ? nlohmann::ordered_json(e.severity) : nullptr}});
  }
  return {{"scenario", o.scenario},
          {"summary", o.summary},
          {"parameters", parameters},
          {"namespace", {{"inode", o.netns_inode}, {"sysctls", sysctls}}},
          {"steps", steps},
          {"observed", observed},
          {"conclusions", o.conclusions},
          {"surprises", o.surprises},
          {"expected_findings", expected},
          {"checkup_after_step", o.checkup_after_step},
          {"pids", o.pids},
          {"duration_seconds", o.duration_seconds},
          {"checkup", CheckupJson(checkup)}};
}

}  // namespace tcpdoctor
