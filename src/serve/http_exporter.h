// The exporter's HTTP side (cpp-httplib): GET /metrics, /healthz and a short index page at /,
// nothing that changes anything. Bounded: per-request read and write timeouts, a cap on the
// connections being served or waiting, small request limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "serve/listen_address.h"

namespace httplib {
class Server;
}

namespace tcpdoctor {

struct HttpLimits {
  std::chrono::seconds timeout{10};  // to read a request, and to write a response
  size_t workers = 4;                // threads serving connections
  // Connections accepted and not yet finished (served or queued). Beyond it, the accept loop
  // serves the next one itself, so it stops accepting: further clients wait in the kernel's
  // listen queue instead of piling up in the exporter.
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
  // Makes Run() return; safe from any thread.
  void Stop();

 private:
  HttpExporter(ListenAddress address, std::unique_ptr<httplib::Server> server);
  ListenAddress address_;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace tcpdoctor
