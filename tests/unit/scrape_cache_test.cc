#include "serve/scrape_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tcpdoctor {
namespace {

using std::chrono::milliseconds;

TEST(ScrapeCacheTest, ScrapesWithinTheIntervalShareOneCollection) {
  int made = 0;
  ScrapeCache cache([&made] { return "collection " + std::to_string(++made); },
                    std::chrono::hours(1));
  EXPECT_EQ(*cache.Get(), "collection 1");
  EXPECT_EQ(*cache.Get(), "collection 1");
  EXPECT_EQ(made, 1);
}

TEST(ScrapeCacheTest, ANewCollectionOnceTheIntervalHasPassed) {
  int made = 0;
  ScrapeCache cache([&made] { return std::to_string(++made); }, milliseconds(30));
  EXPECT_EQ(*cache.Get(), "1");
  std::this_thread::sleep_for(milliseconds(40));
  EXPECT_EQ(*cache.Get(), "2");
  ScrapeCache every_time([&made] { return std::to_string(++made); }, milliseconds(0));
  EXPECT_EQ(*every_time.Get(), "3");
  EXPECT_EQ(*every_time.Get(), "4");
}

// Scrapes that arrive while a collection runs wait for it and get its result: one collection
// however many clients, even with no minimum interval.
TEST(ScrapeCacheTest, ConcurrentScrapesWaitForTheCollectionInProgress) {
  std::atomic<int> running{0};
  std::atomic<int> most_at_once{0};
  std::atomic<int> made{0};
  ScrapeCache cache(
      [&] {
        const int now = ++running;
        most_at_once = std::max(most_at_once.load(), now);
        std::this_thread::sleep_for(milliseconds(200));
        --running;
        return std::to_string(++made);
      },
      milliseconds(0));
  std::vector<std::thread> clients;
  std::vector<std::string> seen(8);
  for (size_t i = 0; i < seen.size(); ++i) {
    clients.emplace_back([&cache, &seen, i] { seen[i] = *cache.Get(); });
    if (i == 0) std::this_thread::sleep_for(milliseconds(50));  // the first one collects
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(most_at_once.load(), 1);
  EXPECT_EQ(made.load(), 1);
  for (const std::string& s : seen) EXPECT_EQ(s, "1");
}

TEST(ScrapeCacheTest, AFailedCollectionReleasesItsWaitersAndTheNextScrapeRetries) {
  int calls = 0;
  ScrapeCache cache(
      [&calls]() -> std::string {
        if (++calls == 1) throw std::runtime_error("out of memory");
        return "ok";
      },
      std::chrono::hours(1));
  EXPECT_THROW(cache.Get(), std::runtime_error);
  EXPECT_EQ(*cache.Get(), "ok");
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace tcpdoctor
