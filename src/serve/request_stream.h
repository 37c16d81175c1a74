// One connection of the exporter as cpp-httplib reads and writes it, with the bounds httplib's
// own socket stream lacks. httplib's read timeout applies to each read, so a client sending one
// byte a second held a worker for as long as it liked; and it buffers a header line until the
// line ends, so a line that never ends grew the exporter without limit (300 MiB in 5 s on
// loopback). Here the whole request must arrive before a deadline, at most a budget of bytes
// is read, and the answer must be written within the timeout of its first byte.
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace tcpdoctor {

class RequestStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  // `fd` is a connected socket the caller owns. The request must arrive within `timeout` from
  // now and in at most `max_request_bytes`; reads past either fail (the request is then
  // malformed or lost, and httplib answers 400 or drops the connection).
  RequestStream(int fd, Clock::duration timeout, size_t max_request_bytes);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

 private:
  // Polls for `events` until `deadline`; false when it passes or the socket fails.
  bool WaitFor(short events, Clock::time_point deadline) const;

  int fd_;
  Clock::duration timeout_;
  Clock::time_point read_deadline_;
  std::optional<Clock::time_point> write_deadline_;  // set by the first write
  size_t budget_;                                    // bytes the request may still take
  // httplib reads a request line and headers one byte at a time: read a block, hand out bytes.
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace tcpdoctor
