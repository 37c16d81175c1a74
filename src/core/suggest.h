// "did you mean ...?" for mistyped commands, options and values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tcpdoctor {

// The closest of `choices` to `typed` (edit distance at most 2, or a unique prefix), or "".
std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& choices);

// " (did you mean 'x'?)" or "" when nothing is close.
std::string DidYouMean(std::string_view typed, const std::vector<std::string>& choices);

}  // namespace tcpdoctor
