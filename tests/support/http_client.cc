#include "support/http_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "support/loopback_sockets.h"

namespace tcpdoctor::itest {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

// Waits for `events` on `fd` until the deadline; false on timeout.
bool Await(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, MillisLeft(deadline));
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_case_name) const {
  const auto it = headers.find(lower_case_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::Describe() const {
  const std::string when = " in " + std::to_string(took.count()) + " ms";
  if (status == 0) return "no response: " + error + when;
  std::string s = std::to_string(status) + ", " + std::to_string(body.size()) + " bytes" + when;
  if (!complete) s += " (incomplete: " + error + ")";
  return s;
}

HttpResponse ParseHttpResponse(std::string_view bytes, bool head, bool closed) {
  HttpResponse r;
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    r.error = bytes.empty() ? "nothing received" : "the header did not end";
    return r;
  }
  std::string_view header = bytes.substr(0, end);
  const size_t eol = header.find("\r\n");
  const std::string_view status_line = header.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    r.error = "bad status line: " + std::string(status_line);
    return r;
  }
  std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
  header = eol == std::string_view::npos ? std::string_view() : header.substr(eol + 2);
  while (!header.empty()) {
    const size_t next = header.find("\r\n");
    const std::string_view line = header.substr(0, next);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      r.headers[Lower(Trim(line.substr(0, colon)))] = std::string(Trim(line.substr(colon + 1)));
    }
    header = next == std::string_view::npos ? std::string_view() : header.substr(next + 2);
  }
  r.body = head ? "" : std::string(bytes.substr(end + 4));
  const std::string length_text = r.Header("content-length");
  if (head) {
    r.complete = true;
  } else if (!length_text.empty()) {
    size_t length = 0;
    std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    r.complete = r.body.size() >= length;
    if (r.body.size() > length) r.body.resize(length);
    if (!r.complete) {
      r.error = std::to_string(r.body.size()) + " of " + length_text + " bytes of body";
    }
  } else {
    r.complete = closed;
    if (!closed) r.error = "no Content-Length and the connection stayed open";
  }
  return r;
}

HttpResponse HttpExchange(const Endpoint& to, std::string_view request,
                          const HttpOptions& options) {
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  const auto finish = [start](HttpResponse r) {
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return r;
  };
  HttpResponse failed;
  Connection c = ConnectAndWait(to);
  if (!c.fd) {
    failed.error = std::string("connect: ") + std::strerror(c.error);
    return finish(failed);
  }
  // A server may answer (and close) before it has read everything, e.g. a body too large: the
  // response is read whatever happened to the rest of the request.
  size_t sent = 0;
  while (sent < request.size() && Await(c.fd.get(), POLLOUT, deadline)) {
    const ssize_t n =
        ::send(c.fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string received;
  bool closed = false;
  std::string read_error;
  while (Await(c.fd.get(), POLLIN, deadline)) {
    char buf[16384];
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) read_error = std::strerror(errno);
    if (n <= 0) {
      closed = true;
      break;
    }
    received.append(buf, static_cast<size_t>(n));
    if (ParseHttpResponse(received, options.head, false).complete) break;
  }
  HttpResponse r = ParseHttpResponse(received, options.head, closed);
  if (!r.complete && !read_error.empty()) r.error += " (" + read_error + ")";
  if (!r.complete && !closed && Clock::now() >= deadline) r.error += " (timed out)";
  return finish(r);
}

HttpResponse HttpGet(const Endpoint& to, const std::string& path,
                     std::chrono::milliseconds timeout) {
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + to.WithPort() + "\r\nConnection: close\r\n\r\n";
  return HttpExchange(to, request, HttpOptions{timeout, false});
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace tcpdoctor::itest
