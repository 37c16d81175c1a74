#include "serve/http_exporter.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <set>

#include "serve/bounded_task_queue.h"
#include "serve/request_stream.h"

namespace tcpdoctor {
namespace {

constexpr const char* kExpositionType = "text/plain; version=0.0.4; charset=utf-8";
constexpr size_t kMaxRequestBody = 4096;  // GET has none; anything bigger is not a scrape
// A whole request: the line, the headers (Prometheus sends about 300 bytes) and a body.
constexpr size_t kMaxRequestBytes = 16384;
constexpr int kListenBacklog = 128;
// How long a served connection waits for the client to close first (see AwaitPeerClose), and
// how much it reads meanwhile.
constexpr std::chrono::milliseconds kPeerCloseWait{500};
constexpr size_t kPeerCloseDrain = 16384;

// Every response says "Connection: close", and scrapers (Prometheus, curl) close as soon as
// they have the body. Waiting for their FIN before closing makes them the side that closes
// first, so each scrape's TIME_WAIT lands on the scraper's ephemeral port instead of piling up
// on the exporter's port, where tcpdoctor's own checkup would call it a server closing first.
// Half a second covers a scraper's round trip; a client that stays (one that reads until the
// server closes: it gets its answer half a second later) or a Stop(), which shuts the socket
// down, ends the wait.
void AwaitPeerClose(int fd, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char sink[1024];
  size_t drained = 0;
  while (drained <= kPeerCloseDrain) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    const ssize_t got = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (got <= 0) return;  // the client's FIN (0), or an error such as a reset
    drained += static_cast<size_t>(got);
  }
}

// Why the address cannot be bound, from the kernel: httplib only says that it failed.
int BindErrno(const ListenAddress& address) {
  sockaddr_storage sa{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
  if (::inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    len = sizeof *v6;
  } else {
    return EINVAL;
  }
  const int fd = ::socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  const int err = ::bind(fd, reinterpret_cast<const sockaddr*>(&sa), len) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

std::string BindHint(int err) {
  switch (err) {
    case EADDRINUSE:
      return "another program (another tcpdoctor serve?) listens there; pick another port";
    case EACCES:
      return "ports below 1024 need root or CAP_NET_BIND_SERVICE; pick a port above 1023";
    case EADDRNOTAVAIL:
      return "no interface of this host has that address; see `ip -brief address`";
    default:
      return "check the address with `ss -ltn`";
  }
}

void MethodNotAllowed(const httplib::Request&, httplib::Response& res) {
  res.status = 405;
  res.set_header("Allow", "GET, HEAD");
  res.set_content("only GET and HEAD are served\n", "text/plain");
}

bool IsRoute(const std::string& path) {
  return path == "/" || path == "/metrics" || path == "/healthz";
}

void AddRoutes(httplib::Server& server, HttpRoutes routes) {
  server.Get("/metrics", [metrics = std::move(routes.metrics)](const httplib::Request&,
                                                               httplib::Response& res) {
    const std::shared_ptr<const std::string> text = metrics();
    if (!text) {
      res.status = 503;
      res.set_content("no collection could be made yet; see the exporter's log\n", "text/plain");
      return;
    }
    res.set_content(*text, kExpositionType);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get(
      "/", [html = std::move(routes.index_html)](const httplib::Request&, httplib::Response& res) {
        res.set_content(html, "text/html; charset=utf-8");
      });
  // Any other method is answered from the request line and headers, before httplib would read
  // a body (which it requires a length for, or reads until the client closes).
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (IsRoute(req.path)) {
      MethodNotAllowed(req, res);
    } else {
      res.status = 404;
    }
    return httplib::Server::HandlerResponse::Handled;
  });
}

}  // namespace

// httplib's server, each connection served as one request on a RequestStream (see there why),
// and the connections in flight known, so that Stop() ends them at once rather than after
// their timeout.
class ExporterServer : public httplib::Server {
 public:
  explicit ExporterServer(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  void InterruptConnections() {
    std::lock_guard<std::mutex> lock(mutex_);
    interrupted_ = true;
    for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  // Replaces httplib's keep-alive loop, which also waited for each next request with a
  // per-read timeout: an idle client held a worker for the whole keep-alive time.
  bool process_and_close_socket(int fd) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (interrupted_) ::shutdown(fd, SHUT_RDWR);
      open_.insert(fd);
    }
    RequestStream stream(fd, timeout_, kMaxRequestBytes);
    bool close_asked = false;  // set by httplib when the request said "Connection: close"
    const bool served =
        process_request(stream, /*close_connection=*/true, close_asked, [](httplib::Request&) {});
    if (served) AwaitPeerClose(fd, std::min(timeout_, kPeerCloseWait));
    {
      // Under the lock: InterruptConnections() must never shut down a reused descriptor.
      std::lock_guard<std::mutex> lock(mutex_);
      open_.erase(fd);
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
    return served;
  }

  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::set<int> open_;
  bool interrupted_ = false;
};

HttpExporter::HttpExporter(ListenAddress address, std::unique_ptr<ExporterServer> server)
    : address_(std::move(address)), server_(std::move(server)) {}

HttpExporter::~HttpExporter() = default;

Result<std::unique_ptr<HttpExporter>> HttpExporter::Bind(const ListenAddress& address,
                                                         const HttpLimits& limits,
                                                         HttpRoutes routes) {
  auto server = std::make_unique<ExporterServer>(limits.timeout);
  server->new_task_queue = [limits] {
    return new BoundedTaskQueue(limits.max_connections, limits.max_connections);
  };
  server->set_payload_max_length(kMaxRequestBody);
  // httplib's default adds SO_REUSEPORT, with which a second exporter would bind the same port
  // and silently take half the scrapes. The callback also tells which socket is the listener.
  auto listener = std::make_shared<int>(-1);
  server->set_socket_options([listener](int fd) {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listener = fd;
  });
  AddRoutes(*server, std::move(routes));
  if (!server->bind_to_port(address.host.c_str(), address.port)) {
    const int err = BindErrno(address);
    return Error{ErrorCode::kIo, "cannot listen on " + address.ToString(), err, "--listen",
                 BindHint(err)};
  }
  // Debian's httplib listens with a backlog of 5 (compiled in), too short for a burst of
  // scrapes: their SYNs would be dropped and retried a second later. listen() again only
  // raises the backlog.
  ::listen(*listener, kListenBacklog);
  return std::unique_ptr<HttpExporter>(new HttpExporter(address, std::move(server)));
}

Status HttpExporter::Run() {
  if (!server_->listen_after_bind()) {
    return Error{ErrorCode::kIo,
                 "the HTTP server stopped accepting connections",
                 0,
                 address_.ToString(),
                 {}};
  }
  return Ok{};
}

void HttpExporter::Stop() {
  server_->stop();
  server_->InterruptConnections();
}

}  // namespace tcpdoctor
