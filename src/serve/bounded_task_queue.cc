#include "serve/bounded_task_queue.h"

namespace tcpdoctor {

BoundedTaskQueue::BoundedTaskQueue(size_t workers, size_t max_pending)
    : max_pending_(std::max<size_t>(max_pending, 1)) {
  for (size_t i = 0; i < std::max<size_t>(workers, 1); ++i)
    threads_.emplace_back([this] { Work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_ < max_pending_) {
      ++pending_;
      jobs_.push_back(std::move(fn));
      ready_.notify_one();
      return;
    }
  }
  fn();  // full: serve it here, holding up the accept loop (see the header)
}

void BoundedTaskQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return;
    shutting_down_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void BoundedTaskQueue::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !jobs_.empty() || shutting_down_; });
      if (jobs_.empty()) return;  // shutting down with nothing left to serve
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    std::lock_guard<std::mutex> lock(mutex_);
    --pending_;
  }
}

}  // namespace tcpdoctor
