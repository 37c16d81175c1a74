// RequestStream on a socket pair: the request as httplib reads it (a byte at a time), the
// deadline for the whole request however the bytes trickle in, the byte budget, and the
// deadline for writing the answer to a peer that does not read.
#include "serve/request_stream.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace tcpdoctor {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0); }
  ~SocketPair() {
    ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  int server() const { return fds_[0]; }
  void Send(const std::string& text) const {
    ASSERT_EQ(::send(fds_[1], text.data(), text.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(text.size()));
  }
  void CloseClient() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// Reads one byte at a time, as httplib's line reader does, until read() stops giving bytes.
std::string ReadAll(RequestStream& stream, ssize_t& last) {
  std::string text;
  char c = 0;
  while ((last = stream.read(&c, 1)) == 1) text += c;
  return text;
}

TEST(RequestStreamTest, ReadsTheRequestByteByByteUntilTheClientCloses) {
  SocketPair pair;
  RequestStream stream(pair.server(), milliseconds(2000), 1024);
  pair.Send("GET /metrics HTTP/1.1\r\n");
  pair.Send("Host: x\r\n\r\n");
  pair.CloseClient();
  ssize_t last = 0;
  EXPECT_EQ(ReadAll(stream, last), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(last, 0);  // end of stream, not an error
}

TEST(RequestStreamTest, StopsReadingAtTheByteBudget) {
  SocketPair pair;
  RequestStream stream(pair.server(), milliseconds(2000), 10);
  pair.Send(std::string(100, 'a'));
  ssize_t last = 0;
  EXPECT_EQ(ReadAll(stream, last), std::string(10, 'a'));
  EXPECT_EQ(last, -1);
  EXPECT_FALSE(stream.is_readable());
}

TEST(RequestStreamTest, ASilentClientFailsTheReadAtTheDeadline) {
  SocketPair pair;
  const auto start = Clock::now();
  RequestStream stream(pair.server(), milliseconds(150), 1024);
  char c = 0;
  EXPECT_EQ(stream.read(&c, 1), -1);
  const auto took = Clock::now() - start;
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(1000));
}

// Every byte arrives well within the timeout of the one before: the deadline is for the whole
// request, so the client is cut off all the same.
TEST(RequestStreamTest, ADribblingClientIsCutOffAtTheDeadline) {
  SocketPair pair;
  const auto start = Clock::now();
  RequestStream stream(pair.server(), milliseconds(200), 1024);
  std::jthread dribble([&pair](std::stop_token stop) {
    for (int i = 0; i < 100 && !stop.stop_requested(); ++i) {
      pair.Send("x");
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  ssize_t last = 0;
  const std::string got = ReadAll(stream, last);
  const auto took = Clock::now() - start;
  dribble.request_stop();
  EXPECT_EQ(last, -1);
  EXPECT_GT(got.size(), 3u);
  EXPECT_LT(got.size(), 20u);
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, milliseconds(1000));
}

// The answer's deadline starts at its first byte, not when the request came.
TEST(RequestStreamTest, WritingToAPeerThatDoesNotReadFailsAtTheDeadline) {
  SocketPair pair;
  RequestStream stream(pair.server(), milliseconds(150), 1024);
  std::this_thread::sleep_for(milliseconds(200));  // past the read deadline: writing still may
  const std::string chunk(65536, 'x');
  const auto start = Clock::now();
  ssize_t n = 0;
  size_t written = 0;
  while ((n = stream.write(chunk.data(), chunk.size())) > 0) written += static_cast<size_t>(n);
  const auto took = Clock::now() - start;
  EXPECT_EQ(n, -1);
  EXPECT_GT(written, 0u);
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(1000));
}

}  // namespace
}  // namespace tcpdoctor
