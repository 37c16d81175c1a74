// Ordering a list by a key that is costly to compute (a tuple with a percentage, strings ...):
// each element's key once, not at every comparison.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

namespace tcpdoctor {

// Pointers to the elements of `items`, in ascending order of rank(item); equal ranks keep no
// particular order, so make the rank total.
template <typename T, typename RankFn>
std::vector<const T*> SortedByRank(const std::vector<T>& items, RankFn rank) {
  using Rank = decltype(rank(items.front()));
  std::vector<std::pair<Rank, const T*>> ranked;
  ranked.reserve(items.size());
  for (const T& item : items) ranked.emplace_back(rank(item), &item);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const T*> order;
  order.reserve(ranked.size());
  for (const auto& entry : ranked) order.push_back(entry.second);
  return order;
}

}  // namespace tcpdoctor
