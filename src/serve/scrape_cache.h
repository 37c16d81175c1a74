// Scrapes share collections: a scrape that arrives while a collection runs waits for it, and one
// that arrives within `min_interval` of the last collection's start gets that collection. So
// however many clients scrape, the host pays for at most one collection per interval, and
// concurrent scrapes (two Prometheus servers, a curl) see the same numbers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace tcpdoctor {

class ScrapeCache {
 public:
  using Clock = std::chrono::steady_clock;
  // `collect` makes one collection's exposition text; it is never called twice at once.
  ScrapeCache(std::function<std::string()> collect, Clock::duration min_interval);

  // The exposition to answer a scrape with: the last collection if it started less than
  // min_interval ago, the one in progress if any (waiting for it), else a new one made by
  // this caller. Null only if no collection has succeeded yet (collect threw).
  std::shared_ptr<const std::string> Get();

 private:
  std::function<std::string()> collect_;
  Clock::duration min_interval_;

  std::mutex mutex_;
  std::condition_variable done_;
  bool collecting_ = false;
  uint64_t finished_ = 0;  // collections ended, made or failed
  std::shared_ptr<const std::string> last_;
  Clock::time_point last_started_;
};

}  // namespace tcpdoctor
