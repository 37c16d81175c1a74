#include "serve/scrape_cache.h"

namespace tcpdoctor {

ScrapeCache::ScrapeCache(std::function<std::string()> collect, Clock::duration min_interval)
    : collect_(std::move(collect)), min_interval_(min_interval) {}

std::shared_ptr<const std::string> ScrapeCache::Get() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (collecting_) {
    const uint64_t awaited = finished_ + 1;
    done_.wait(lock, [&] { return finished_ >= awaited; });
    return last_;
  }
  const Clock::time_point now = Clock::now();
  if (last_ && now - last_started_ < min_interval_) return last_;

  collecting_ = true;
  last_started_ = now;
  lock.unlock();
  // Errors are values in a collection, but memory can still run out: the waiters are released
  // on every path.
  std::shared_ptr<const std::string> made;
  try {
    made = std::make_shared<const std::string>(collect_());
  } catch (...) {
    lock.lock();
    collecting_ = false;
    ++finished_;
    done_.notify_all();
    throw;
  }
  lock.lock();
  last_ = std::move(made);
  collecting_ = false;
  ++finished_;
  done_.notify_all();
  return last_;
}

}  // namespace tcpdoctor
