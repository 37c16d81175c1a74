// The exporter's HTTP side (cpp-httplib): GET /metrics, /healthz and a short index page at /,
// nothing that changes anything. Bounded: one request per connection, which must arrive within
// the timeout and a few KiB, and whose answer must be written within the timeout; a cap on the
// connections served at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "serve/listen_address.h"

namespace tcpdoctor {

class ExporterServer;

struct HttpLimits {
  // To read a request (all of it), and again to write the answer. A client slower than that is
  // cut off, so it holds a connection slot at most this long.
  std::chrono::milliseconds timeout{10000};
  // Connections served at once, each by a thread of its own. When that many are, the accept
  // loop serves the next one itself, so it stops accepting: further clients wait in the
  // kernel's listen queue instead of piling up in the exporter. So a scrape that comes after
  // S slow clients is served at once if S <= max_connections; beyond, each slow client ahead of
  // it can delay it by a timeout at worst, and usually max_connections + 1 of them share one.
  size_t max_connections = 32;
};

// What the routes answer with.
struct HttpRoutes {
  // The exposition for GET /metrics; null means no collection could be made yet (503).
  std::function<std::shared_ptr<const std::string>()> metrics;
  std::string index_html;  // GET /
};

class HttpExporter {
 public:
  // Binds and listens at `address` now, so that a taken port or a missing address is an error
  // before the caller says it is serving. The port is not shared (no SO_REUSEPORT): a second
  // exporter on the same port fails with EADDRINUSE instead of splitting the scrapes.
  static Result<std::unique_ptr<HttpExporter>> Bind(const ListenAddress& address,
                                                    const HttpLimits& limits, HttpRoutes routes);
  ~HttpExporter();
  HttpExporter(const HttpExporter&) = delete;
  HttpExporter& operator=(const HttpExporter&) = delete;

  // Serves until Stop(); an error if the accept loop failed.
  Status Run();
  // Makes Run() return, ending the connections in flight at once (a collection under way is
  // finished first); safe from any thread, and again.
  void Stop();

 private:
  HttpExporter(ListenAddress address, std::unique_ptr<ExporterServer> server);
  ListenAddress address_;
  std::unique_ptr<ExporterServer> server_;
};

}  // namespace tcpdoctor
