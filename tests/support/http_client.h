// HTTP/1.1 over plain loopback sockets, for the exporter's tests: requests go out byte for byte
// as the test wrote them (malformed ones too), and the response is split into status, headers
// and body. No gtest assertions, so any thread may use it.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "support/endpoint.h"

namespace tcpdoctor::itest {

struct HttpResponse {
  int status = 0;                              // 0 when no status line came
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The status line, the headers and all of the body (Content-Length bytes, or up to the
  // server's close when it gave no length) arrived.
  bool complete = false;
  std::string error;  // why the response is not complete, "" when it is
  std::chrono::milliseconds took{0};

  std::string Header(const std::string& lower_case_name) const;
  // "200, 17562 bytes in 12 ms" or "no response: connection reset (after 3 ms)".
  std::string Describe() const;
};

struct HttpOptions {
  std::chrono::milliseconds timeout{10000};  // for the whole exchange
  bool head = false;  // a HEAD request: the body is empty whatever Content-Length says
};

// Connects to `to`, sends `request` as it is, and reads one response.
HttpResponse HttpExchange(const Endpoint& to, std::string_view request,
                          const HttpOptions& options = {});

// GET `path` (with Host and "Connection: close").
HttpResponse HttpGet(const Endpoint& to, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Splits what a server sent into a response; `complete` and `error` say what is missing.
HttpResponse ParseHttpResponse(std::string_view bytes, bool head, bool closed);

// Percent-encodes everything but unreserved characters, for a query parameter.
std::string UrlEncode(std::string_view text);

}  // namespace tcpdoctor::itest
