// Recipes for the doctor's queue and close-state tests (header-only): connections from a chosen
// source address with small buffers, half-closes, a FIN stuck behind data the peer never reads,
// and the checkup JSON's findings.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/endpoint.h"
#include "support/run_command.h"
#include "support/tcpdoctor_runner.h"
#include "support/unique_fd.h"

namespace tcpdoctor::itest::recipes {

// Small buffers: a peer that never reads closes its window after a few KiB, so a FIN queued
// behind data cannot leave.
inline constexpr int kSmallBuffer = 4096;
inline constexpr int kWaitMs = 2000;

inline bool PollFd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r = 0;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

// A blocking-style connect from `from` (port 0: any) to `to`, with small buffers if asked
// (set before connect, so the window is small from the start). Empty and a test failure on
// error.
inline UniqueFd ConnectFrom(const Endpoint& from, const Endpoint& to, bool small_buffers) {
  UniqueFd fd(::socket(to.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return {};
  }
  if (small_buffers) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &kSmallBuffer, sizeof kSmallBuffer);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &kSmallBuffer, sizeof kSmallBuffer);
  }
  sockaddr_storage sa{};
  socklen_t len = from.ToSockaddr(sa);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    ADD_FAILURE() << "bind " << from.WithPort() << ": " << std::strerror(errno);
    return {};
  }
  len = to.ToSockaddr(sa);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    ADD_FAILURE() << "connect " << to.WithPort() << ": " << std::strerror(errno);
    return {};
  }
  return fd;
}

inline void ShutdownWrite(int fd) {
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0) << "shutdown: " << std::strerror(errno);
}

// Reads until the peer's FIN, so that this side is in CLOSE_WAIT.
inline void ExpectEof(int fd) {
  ASSERT_TRUE(PollFd(fd, POLLIN, kWaitMs)) << "no FIN from the peer";
  char buf[64];
  ASSERT_EQ(::recv(fd, buf, sizeof buf, 0), 0) << "expected end of stream";
}

// Writes until data waits behind a closed window (zero window, bytes unsent), judged from
// tcp_info rather than timing.
inline void FillUntilStuck(int fd) {
  ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  static const std::vector<char> kChunk(16384, 'x');
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  tcp_info info{};
  while (std::chrono::steady_clock::now() < deadline) {
    while (::send(fd, kChunk.data(), kChunk.size(), MSG_NOSIGNAL) > 0) {
    }
    ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << "send: " << std::strerror(errno);
    socklen_t len = sizeof info;
    ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0) << std::strerror(errno);
    if (info.tcpi_snd_wnd == 0 && info.tcpi_notsent_bytes > 0) return;
    PollFd(fd, POLLOUT, 10);
  }
  FAIL() << "the peer's window did not close within 5 s";
}

// `tcpdoctor checkup ARGS --json`: it exits 0, 1 or 2 by the worst finding; anything else (or
// invalid JSON) is a test failure and gives null.
inline nlohmann::json Checkup(std::vector<std::string> args, CommandResult* run_out = nullptr) {
  args.insert(args.begin(), "checkup");
  args.emplace_back("--json");
  const CommandResult run = RunTcpdoctor(args);
  if (run_out != nullptr) *run_out = run;
  if (run.exit_code < 0 || run.exit_code > 2) {
    ADD_FAILURE() << CommandLine(args) << ": " << run.Describe();
    return nullptr;
  }
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  if (doc.is_discarded()) {
    ADD_FAILURE() << CommandLine(args) << " printed invalid JSON:\n" << run.out;
    return nullptr;
  }
  return doc;
}

// Parses a checkup run made elsewhere (e.g. in a thread) as above.
inline nlohmann::json CheckupJson(const CommandResult& run, const std::string& what) {
  if (run.exit_code < 0 || run.exit_code > 2) {
    ADD_FAILURE() << what << ": " << run.Describe();
    return nullptr;
  }
  nlohmann::json doc = nlohmann::json::parse(run.out, nullptr, false);
  if (doc.is_discarded()) {
    ADD_FAILURE() << what << " printed invalid JSON:\n" << run.out;
    return nullptr;
  }
  return doc;
}

// The findings of rule `id`.
inline std::vector<nlohmann::json> FindingsOf(const nlohmann::json& doc, const std::string& id) {
  std::vector<nlohmann::json> out;
  if (doc.is_null() || !doc.contains("findings")) return out;
  for (const nlohmann::json& f : doc["findings"]) {
    if (f["id"] == id) out.push_back(f);
  }
  return out;
}

// The finding of rule `id` about `subject`, or null.
inline nlohmann::json FindingAbout(const nlohmann::json& doc, const std::string& id,
                                   const std::string& subject) {
  for (const nlohmann::json& f : FindingsOf(doc, id)) {
    if (f["subject"] == subject) return f;
  }
  return nullptr;
}

// The exit code checkup should have given for `doc`'s findings.
inline int ExpectedExit(const nlohmann::json& doc) {
  int worst = 0;
  for (const nlohmann::json& f : doc["findings"]) {
    const std::string s = f["severity"];
    worst = std::max(worst, s == "critical" ? 2 : s == "warning" ? 1 : 0);
  }
  return worst;
}

}  // namespace tcpdoctor::itest::recipes
