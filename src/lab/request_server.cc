#include "lab/request_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <sstream>
#include <thread>

#include "lab/lab_run.h"

namespace tcpdoctor {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(2);
constexpr auto kReportTimeout = std::chrono::seconds(2);
constexpr auto kAcceptPause = std::chrono::milliseconds(20);
constexpr int kPollMs = 100;
constexpr auto kReportPause = std::chrono::milliseconds(10);

struct Listening {
  int fd;
  ServerPort spec;
  ServerStats stats;
  LabClock::time_point paused_until{};  // after an accept() error, so it does not spin
};

struct Connection {
  int fd;
  size_t port_index;
  std::string pending;
};

std::string StatsLine(const ServerStats& s) {
  std::string errors;
  for (const auto& [name, n] : s.errors) {
    errors += (errors.empty() ? "" : ",") + name + ":" + std::to_string(n);
  }
  return "port=" + std::to_string(s.port) + " accepted=" + std::to_string(s.accepted) +
         " requests=" + std::to_string(s.requests) +
         " peer_closed=" + std::to_string(s.peer_closed) +
         " closed_first=" + std::to_string(s.closed_first) + " held=" + std::to_string(s.held) +
         " resets=" + std::to_string(s.resets) + " errors=" + errors;
}

uint64_t ToNumber(std::string_view text) {
  uint64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

ServerStats ParseStatsLine(const std::string& line) {
  ServerStats s;
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq);
    const std::string_view value = std::string_view(word).substr(eq + 1);
    if (key == "port") s.port = static_cast<uint16_t>(ToNumber(value));
    if (key == "accepted") s.accepted = ToNumber(value);
    if (key == "requests") s.requests = ToNumber(value);
    if (key == "peer_closed") s.peer_closed = ToNumber(value);
    if (key == "closed_first") s.closed_first = ToNumber(value);
    if (key == "held") s.held = ToNumber(value);
    if (key == "resets") s.resets = ToNumber(value);
    if (key != "errors") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::string_view item = rest.substr(0, rest.find(','));
      rest.remove_prefix(std::min(rest.size(), item.size() + 1));
      const size_t colon = item.find(':');
      if (colon != std::string_view::npos) {
        s.errors[std::string(item.substr(0, colon))] = ToNumber(item.substr(colon + 1));
      }
    }
  }
  return s;
}

// Reads what a connection sent and answers each complete request; false when it is done with
// (closed, or kept open in CLOSE_WAIT).
bool Serve(Connection& c, Listening& l, std::vector<int>& held) {
  char buf[4096];
  const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  if (n < 0) {
    if (errno == ECONNRESET) {
      ++l.stats.resets;
    } else {
      ++l.stats.errors[ErrnoName(errno)];
    }
    ::close(c.fd);
    return false;
  }
  if (n == 0) {
    ++l.stats.peer_closed;
    if (l.spec.close == ServerClose::kNever) {
      ++l.stats.held;
      held.push_back(c.fd);
    } else {
      ::close(c.fd);
    }
    return false;
  }
  c.pending.append(buf, static_cast<size_t>(n));
  for (size_t nl = c.pending.find('\n'); nl != std::string::npos; nl = c.pending.find('\n')) {
    c.pending.erase(0, nl + 1);
    // Tiny answers on loopback fit the send buffer: a non-blocking send takes them at once.
    if (::send(c.fd, "OK\n", 3, MSG_NOSIGNAL) != 3) {
      ++l.stats.errors[ErrnoName(errno)];
      continue;
    }
    ++l.stats.requests;
    if (l.spec.close == ServerClose::kFirst) {
      ++l.stats.closed_first;
      ::close(c.fd);
      return false;
    }
  }
  return true;
}

void AcceptAll(Listening& l, std::vector<Connection>& connections, size_t index) {
  for (;;) {
    const int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      ++l.stats.accepted;
      connections.push_back({fd, index, {}});
      if (l.spec.accepts_per_second > 0) {  // a slow server: the next one later
        l.paused_until =
            LabClock::now() + std::chrono::duration_cast<LabClock::duration>(
                                  std::chrono::duration<double>(1.0 / l.spec.accepts_per_second));
        return;
      }
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == EINTR) continue;
    ++l.stats.errors[ErrnoName(errno)];  // EMFILE when out of fds: what the client never sees
    l.paused_until = LabClock::now() + kAcceptPause;
    return;
  }
}

// The helper's loop: until the lab closes the pipe or `lifetime` passes.
int ServeUntilStopped(HelperChannel& channel, std::vector<Listening> listening,
                      LabClock::duration lifetime) {
  const auto end = LabClock::now() + lifetime;
  std::vector<Connection> connections;
  std::vector<int> held;  // CLOSE_WAIT kept open on purpose, until the process ends
  if (!channel.Send("ready")) return 1;
  std::vector<pollfd> fds;
  while (LabClock::now() < end) {
    fds.clear();
    fds.push_back({channel.control_fd(), POLLIN, 0});
    const auto now = LabClock::now();
    // Until the first paused listener may accept again, so that a paced one keeps its pace.
    auto wait = std::chrono::milliseconds(kPollMs);
    for (const Listening& l : listening) {
      const bool paused = now < l.paused_until;
      fds.push_back({paused ? -1 : l.fd, POLLIN, 0});
      if (paused) {
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(l.paused_until - now));
      }
    }
    for (const Connection& c : connections) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) <= 0) continue;
    if (fds[0].revents != 0) {
      const auto line = channel.Receive(std::chrono::milliseconds(kPollMs));
      if (!line) return 0;  // the lab is done with us
      if (*line == "report") {
        for (const Listening& l : listening) channel.Send(StatsLine(l.stats));
        channel.Send("end");
      }
    }
    // Connections first (their indices in `fds` are those of this round), then new ones.
    std::vector<Connection> still_open;
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      const bool ready = fds[1 + listening.size() + i].revents != 0;
      if (!ready || Serve(c, listening[c.port_index], held)) still_open.push_back(std::move(c));
    }
    connections = std::move(still_open);
    for (size_t i = 0; i < listening.size(); ++i) {
      if (fds[1 + i].revents != 0) AcceptAll(listening[i], connections, i);
    }
  }
  return 0;
}

}  // namespace

Result<RequestServer> RequestServer::Start(LabRun& run, const std::string& comm,
                                           const std::vector<ServerPort>& ports,
                                           std::optional<uint64_t> nofile) {
  std::vector<UniqueFd> listeners;
  std::vector<Listening> listening;
  HelperSpec spec{comm, nofile, {}};
  for (const ServerPort& p : ports) {
    const SocketAddress at = SocketAddress::Loopback(p.port, p.last_byte);
    auto fd = ListenOn(at, p.backlog);
    if (!fd) return fd.TakeError();
    if (p.defer_accept_seconds > 0 &&
        ::setsockopt(fd->get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &p.defer_accept_seconds,
                     sizeof p.defer_accept_seconds) != 0) {
      return Error::FromErrno(errno, "setsockopt(TCP_DEFER_ACCEPT) failed", at.ToString());
    }
    ServerStats stats;
    stats.port = p.port;
    listening.push_back({fd->get(), p, stats});
    spec.keep_fds.push_back(fd->get());
    listeners.push_back(std::move(*fd));
  }
  const auto lifetime = run.deadline() - LabClock::now();
  auto started = run.StartHelper(spec, [listening, lifetime](HelperChannel& channel) {
    for (const Listening& l : listening) {
      // Non-blocking, so that one slow accept() never stalls the others.
      const int flags = ::fcntl(l.fd, F_GETFL);
      ::fcntl(l.fd, F_SETFL, flags | O_NONBLOCK);
    }
    return ServeUntilStopped(channel, listening, lifetime);
  });
  if (!started) return started.TakeError();
  listeners.clear();  // the helper holds them now; the checkup names it as their owner
  RequestServer server(*started);
  auto ready = server.process_->ReadLine(kStartTimeout);
  if (!ready) return ready.TakeError();
  return server;
}

Result<std::vector<ServerStats>> RequestServer::Report() {
  if (Status sent = process_->Send("report"); !sent) return sent.TakeError();
  std::vector<ServerStats> stats;
  for (;;) {
    auto line = process_->ReadLine(kReportTimeout);
    if (!line) return line.TakeError();
    if (*line == "end") return stats;
    stats.push_back(ParseStatsLine(*line));
  }
}

Result<ServerStats> RequestServer::ReportOn(uint16_t port) {
  auto all = Report();
  if (!all) return all.TakeError();
  for (const ServerStats& s : *all) {
    if (s.port == port) return s;
  }
  return Error{
      ErrorCode::kIo, "no figures for port " + std::to_string(port), 0, process_->Label(), {}};
}

Result<ServerStats> RequestServer::ReportOnceEnded(uint16_t port, uint64_t connections,
                                                   std::chrono::milliseconds within) {
  const auto until = LabClock::now() + within;
  for (;;) {
    auto stats = ReportOn(port);
    if (!stats) return stats;
    const uint64_t ended = stats->peer_closed + stats->resets + stats->closed_first;
    if (ended >= connections || LabClock::now() >= until) return stats;
    std::this_thread::sleep_for(kReportPause);
  }
}

std::string CountsText(const std::map<std::string, uint64_t>& counts) {
  std::string text;
  for (const auto& [name, n] : counts) {
    text += (text.empty() ? "" : ", ") + name + " x" + std::to_string(n);
  }
  return text.empty() ? "none" : text;
}

}  // namespace tcpdoctor
