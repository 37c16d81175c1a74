// Renders `tcpdoctor explain`: one topic, or the list of topics.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analyze/explain_topics.h"

namespace tcpdoctor {

// A title line, then labelled paragraphs wrapped at 90 columns, then the source.
std::string ExplainText(const Topic& topic);

// {"name", "kind", "meaning", "who_sees_it", "when_to_worry", "what_to_do", "kernel_changes"
// (null if none), "source"}.
nlohmann::ordered_json ExplainJson(const Topic& topic);

// The topic names grouped by kind, one wrapped line per group.
std::string TopicListText();

// {"states": [...], "counters": [...], "sysctls": [...]}.
nlohmann::ordered_json TopicListJson();

}  // namespace tcpdoctor
