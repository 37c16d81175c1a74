#include "core/suggest.h"

#include <algorithm>

namespace tcpdoctor {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters ("tpo" -> "top") each cost one edit.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& choices) {
  std::string best;
  // Short words are close to too much: "fin" is 2 edits from "big". Allow 1 edit up to 4
  // letters, 2 beyond.
  size_t best_distance = typed.size() <= 4 ? 2 : 3;
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
