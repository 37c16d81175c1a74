// cpp-httplib's task queue with a bound: its own ThreadPool queues every accepted connection
// without limit, so a flood of clients would pile up sockets and memory in the exporter.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tcpdoctor {

class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  // `workers` threads serve connections; at most `max_pending` connections are in the exporter
  // at once (being served or queued). When that many are, enqueue() serves the new one on the
  // caller's thread (httplib's accept loop), which therefore stops accepting until it is done.
  BoundedTaskQueue(size_t workers, size_t max_pending);
  ~BoundedTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void Work();

  size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  size_t pending_ = 0;  // queued plus being served by a worker
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tcpdoctor
