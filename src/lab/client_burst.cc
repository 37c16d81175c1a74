#include "lab/client_burst.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

#include "lab/interrupt.h"

namespace tcpdoctor {
namespace {

constexpr auto kSlice = std::chrono::milliseconds(100);  // how often Follow looks at Ctrl-C
constexpr const char* kClosedEarly = "closed early";

double MsSince(LabClock::time_point start, LabClock::time_point now) {
  return std::chrono::duration<double, std::milli>(now - start).count();
}

// Retransmitted segments so far: during the handshake, SYNs only.
uint32_t TotalRetransmits(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_total_retrans;
}

double Number(std::string_view text) {
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

std::string BurstResult::ToLine() const {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "burst connected=%d answered=%d connect_ms=%.3f answer_ms=%.3f syn=%u",
                connected ? 1 : 0, answered ? 1 : 0, connect_ms, answer_ms, syn_retransmits);
  // An errno name or "closed early": spaces become '_' so that the line stays key=value.
  std::string err = error;
  std::replace(err.begin(), err.end(), ' ', '_');
  return std::string(buf) + " error=" + err;
}

std::optional<BurstResult> BurstResult::FromLine(std::string_view line) {
  if (!line.starts_with("burst ")) return std::nullopt;
  BurstResult r;
  std::istringstream words{std::string(line.substr(6))};
  std::string word;
  while (words >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string key = word.substr(0, eq);
    const std::string_view value = std::string_view(word).substr(eq + 1);
    if (key == "connected") r.connected = value == "1";
    if (key == "answered") r.answered = value == "1";
    if (key == "connect_ms") r.connect_ms = Number(value);
    if (key == "answer_ms") r.answer_ms = Number(value);
    if (key == "syn") r.syn_retransmits = static_cast<uint32_t>(Number(value));
    if (key == "error") {
      r.error = std::string(value);
      std::replace(r.error.begin(), r.error.end(), '_', ' ');
    }
  }
  return r;
}

ClientBurst ClientBurst::Start(const BurstPlan& plan) {
  ClientBurst burst;
  burst.plan_ = plan;
  const auto start = LabClock::now();
  const auto n = static_cast<size_t>(std::max<int64_t>(plan.clients, 0));
  burst.clients_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    burst.clients_[i].started =
        plan.rate > 0
            ? start + std::chrono::duration_cast<LabClock::duration>(
                          std::chrono::duration<double>(static_cast<double>(i) / plan.rate))
            : start;
  }
  burst.StartDue();
  return burst;
}

LabClock::time_point ClientBurst::StartDue() {
  const auto now = LabClock::now();
  for (Client& c : clients_) {
    if (c.stage != Stage::kWaiting) continue;
    if (c.started > now) return c.started;  // they are in order
    c.started = LabClock::now();
    auto fd = StartConnect(plan_.to);
    if (fd) {
      c.fd = std::move(*fd);
      c.stage = Stage::kConnecting;
    } else {
      c.result.error = fd.error().sys_errno != 0 ? ErrnoName(fd.error().sys_errno) : "failed";
      c.stage = Stage::kDone;
    }
  }
  return LabClock::time_point::max();
}

LabClock::time_point ClientBurst::last_start() const {
  return clients_.empty() ? LabClock::now() : clients_.back().started;
}

void ClientBurst::Advance(Client& c, short revents, LabClock::time_point now) const {
  if (c.stage == Stage::kConnecting) {
    int err = 0;
    socklen_t err_len = sizeof err;
    if (::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
    c.result.syn_retransmits = TotalRetransmits(c.fd.get());
    if (err != 0) {
      c.result.error = ErrnoName(err);
      c.stage = Stage::kDone;
      c.fd.Reset();
      return;
    }
    if ((revents & POLLOUT) == 0) return;  // not yet
    c.result.connected = true;
    c.result.connect_ms = MsSince(c.started, now);
    c.stage = Stage::kDone;
    if (!plan_.request) return;
    // A few bytes into an empty send buffer: a non-blocking send takes them at once.
    if (::send(c.fd.get(), "GET\n", 4, MSG_NOSIGNAL) != 4) {
      c.result.error = ErrnoName(errno);
      c.fd.Reset();
      return;
    }
    c.stage = Stage::kAwaitingAnswer;
    return;
  }
  char buf[256];
  const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    c.result.error = n == 0 ? kClosedEarly : ErrnoName(errno);
  } else {
    c.received.append(buf, static_cast<size_t>(n));
    if (c.received.find('\n') == std::string::npos) return;
    c.result.answered = true;
    c.result.answer_ms = MsSince(c.started, now);
  }
  c.stage = Stage::kDone;
  c.fd.Reset();  // close(): the client closes first
}

Status ClientBurst::Follow(LabClock::time_point until) {
  std::vector<pollfd> fds;
  std::vector<Client*> polled;
  for (;;) {
    if (auto interrupted = CheckInterrupt(); !interrupted) return interrupted;
    const auto next_due = StartDue();
    fds.clear();
    polled.clear();
    for (Client& c : clients_) {
      if (c.stage != Stage::kConnecting && c.stage != Stage::kAwaitingAnswer) continue;
      const short events = c.stage == Stage::kConnecting ? POLLOUT : POLLIN;
      fds.push_back({c.fd.get(), events, 0});
      polled.push_back(&c);
    }
    const auto now = LabClock::now();
    if ((fds.empty() && next_due == LabClock::time_point::max()) || now >= until) return Ok{};
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(std::min(until, next_due) - now);
    const auto wait = std::clamp(left, std::chrono::milliseconds(0), kSlice);
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) return Error::FromErrno(errno, "poll() failed", "clients");
    if (ready <= 0) continue;
    const auto seen = LabClock::now();
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) Advance(*polled[i], fds[i].revents, seen);
    }
  }
}

size_t ClientBurst::pending() const {
  return static_cast<size_t>(std::count_if(
      clients_.begin(), clients_.end(), [](const Client& c) { return c.stage != Stage::kDone; }));
}

std::vector<BurstResult> ClientBurst::Results() const {
  std::vector<BurstResult> results;
  results.reserve(clients_.size());
  for (const Client& c : clients_) {
    BurstResult r = c.result;
    if (c.stage == Stage::kConnecting) r.syn_retransmits = TotalRetransmits(c.fd.get());
    if (c.stage == Stage::kWaiting) r.error = "not started";
    results.push_back(std::move(r));
  }
  return results;
}

void ClientBurst::CloseAll() {
  for (Client& c : clients_) c.fd.Reset();
}

std::string SecondsText(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000.0);
  return buf;
}

LatencySummary LatencySummary::Of(std::vector<double> ms) {
  LatencySummary s;
  s.count = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.median_ms =
      ms.size() % 2 == 1 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  s.max_ms = ms.back();
  for (const double v : ms) {
    ++s.buckets[v < 1000 ? 0 : v < 3000 ? 1 : v < 7000 ? 2 : 3];
  }
  return s;
}

std::string LatencySummary::Text() const {
  if (count == 0) return "none";
  return "median " + SecondsText(median_ms) + ", max " + SecondsText(max_ms) +
         "; under 1 s: " + std::to_string(buckets[0]) + ", 1-3 s: " + std::to_string(buckets[1]) +
         ", 3-7 s: " + std::to_string(buckets[2]) + ", 7 s or more: " + std::to_string(buckets[3]);
}

std::string SynRetransmitsText(const std::vector<BurstResult>& results) {
  std::map<uint32_t, uint64_t> by_count;
  for (const BurstResult& r : results) ++by_count[r.syn_retransmits];
  std::string text;
  for (const auto& [times, clients] : by_count) {
    const std::string how = times == 0   ? "none"
                            : times == 1 ? "once"
                            : times == 2 ? "twice"
                                         : std::to_string(times) + " times";
    text += (text.empty() ? "" : ", ") + how + ": " + std::to_string(clients);
  }
  return text.empty() ? "no clients" : text;
}

}  // namespace tcpdoctor
