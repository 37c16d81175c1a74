#include "present/wrapped_text.h"

namespace tcpdoctor {

void AppendWrapped(std::string& out, std::string_view first, std::string_view text) {
  const std::string indent(first.size(), ' ');
  std::string line(first);
  bool line_has_words = false;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (word.empty()) continue;
    if (line_has_words && line.size() + 1 + word.size() > kTextWidth) {
      out += line + "\n";
      line = indent;
      line_has_words = false;
    }
    if (line_has_words) line += ' ';
    line += word;
    line_has_words = true;
  }
  out += line + "\n";
}

}  // namespace tcpdoctor
