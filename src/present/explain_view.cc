#include "present/explain_view.h"

#include <array>
#include <string_view>

namespace tcpdoctor {
namespace {

constexpr size_t kWidth = 90;

struct Kind {
  std::string_view kind;   // Topic::kind
  std::string_view label;  // in the title and the listing
  std::string_view key;    // in the listing's JSON
};

constexpr std::array<Kind, 3> kKinds = {{
    {"state", "TCP state", "states"},
    {"counter", "kernel counter", "counters"},
    {"sysctl", "sysctl", "sysctls"},
}};

std::string_view KindLabel(std::string_view kind) {
  for (const Kind& k : kKinds) {
    if (k.kind == kind) return k.label;
  }
  return kind;
}

// Words of `text` filled into lines of at most kWidth columns; the first line starts after
// `first` (already `indent` wide), the others with `indent` spaces.
std::string Wrap(std::string_view text, std::string first, size_t indent) {
  std::string out = std::move(first);
  size_t column = out.size();
  bool line_empty = true;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (!line_empty && column + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_empty = false;
    pos = end;
  }
  return out + "\n";
}

std::string Paragraph(std::string_view label, std::string_view text) {
  return std::string(label) + ":\n" + Wrap(text, "  ", 2);
}

}  // namespace

std::string ExplainText(const Topic& topic) {
  const std::string title =
      std::string(topic.name) + " (" + std::string(KindLabel(topic.kind)) + ")";
  std::string out = title + "\n" + std::string(title.size(), '=') + "\n";
  out += Paragraph("Meaning", topic.meaning);
  out += Paragraph("Who sees it", topic.who_sees_it);
  out += Paragraph("When to worry", topic.when_to_worry);
  out += Paragraph("What to do", topic.what_to_do);
  if (!topic.kernel_changes.empty()) out += Paragraph("Kernel changes", topic.kernel_changes);
  out += "Source: " + std::string(topic.source) + " (../shared/reference/kernel-facts.md)\n";
  return out;
}

nlohmann::ordered_json ExplainJson(const Topic& topic) {
  return {{"name", topic.name},
          {"kind", topic.kind},
          {"meaning", topic.meaning},
          {"who_sees_it", topic.who_sees_it},
          {"when_to_worry", topic.when_to_worry},
          {"what_to_do", topic.what_to_do},
          {"kernel_changes", topic.kernel_changes.empty()
                                 ? nlohmann::ordered_json(nullptr)
                                 : nlohmann::ordered_json(topic.kernel_changes)},
          {"source", topic.source}};
}

std::string TopicListText() {
  std::string out;
  for (const Kind& k : kKinds) {
    std::string names;
    size_t count = 0;
    for (const Topic& t : AllTopics()) {
      if (t.kind != k.kind) continue;
      names += (names.empty() ? "" : " ") + std::string(t.name);
      ++count;
    }
    std::string head = std::string(k.key) + " (" + std::to_string(count) + "):";
    head.resize(16, ' ');
    out += Wrap(names, head, 16);
  }
  return out + Wrap(
                   "Run `tcpdoctor explain TOPIC`; names are case-insensitive (time-wait, "
                   "TcpExt.ListenOverflows, tcp_fin_timeout).",
                   "", 0);
}

nlohmann::ordered_json TopicListJson() {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const Kind& k : kKinds) {
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (const Topic& t : AllTopics()) {
      if (t.kind == k.kind) names.push_back(t.name);
    }
    out[std::string(k.key)] = std::move(names);
  }
  return out;
}

}  // namespace tcpdoctor
