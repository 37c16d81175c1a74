#include "core/suggest.h"

#include <algorithm>

namespace tcpdoctor {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& choices) {
  std::string best;
  size_t best_distance = 3;  // farther than 2 edits is no suggestion
  for (const std::string& choice : choices) {
    const size_t d = EditDistance(typed, choice);
    if (d < best_distance) {
      best_distance = d;
      best = choice;
    }
  }
  if (!best.empty()) return best;
  std::string prefixed;
  for (const std::string& choice : choices) {
    if (typed.size() >= 2 && choice.starts_with(typed)) {
      if (!prefixed.empty()) return "";  // ambiguous
      prefixed = choice;
    }
  }
  return prefixed;
}

std::string DidYouMean(std::string_view typed, const std::vector<std::string>& choices) {
  const std::string match = ClosestMatch(typed, choices);
  return match.empty() ? "" : " (did you mean '" + match + "'?)";
}

}  // namespace tcpdoctor
