// Paragraphs of report text wrapped for a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tcpdoctor {

inline constexpr size_t kTextWidth = 100;  // text wraps here

// Appends `text` wrapped at kTextWidth, the first line after `first`, the rest indented as
// deep.
void AppendWrapped(std::string& out, std::string_view first, std::string_view text);

}  // namespace tcpdoctor
