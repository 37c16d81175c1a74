// `tcpdoctor serve` running in the background on a free loopback port of the current network
// namespace, for the exporter's tests: started, waited for until it answers, scraped, measured
// (VmRSS) and stopped by signal.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/background_process.h"
#include "support/endpoint.h"
#include "support/http_client.h"

namespace tcpdoctor::itest {

// A loopback TCP port nothing listens on in the current namespace (the kernel's pick, released
// at once: in a private namespace nobody else can take it meanwhile).
uint16_t FreeLoopbackPort();

class ExporterProcess {
 public:
  // `tcpdoctor serve --listen 127.0.0.1:PORT ARGS...`, waiting (at most 10 s) until it says it
  // serves and /healthz answers 200. Fails the test if it does not (then ready() is false).
  explicit ExporterProcess(const std::vector<std::string>& args);

  bool ready() const { return ready_; }
  const Endpoint& endpoint() const { return endpoint_; }
  pid_t pid() const { return process_.pid(); }
  BackgroundProcess& process() { return process_; }

  // The timeout is generous: a collection scans every process's fds, which takes seconds on a
  // busy host where other programs hold hundreds of thousands of them.
  HttpResponse Get(const std::string& path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // GET /metrics, expecting 200 and a complete body; records a test failure and returns ""
  // otherwise.
  std::string Scrape() const;

  // Its resident set size now (VmRSS of /proc/PID/status), in KiB; nullopt once it is gone.
  std::optional<uint64_t> RssKib() const;

  // Sends `signal` and waits (at most `timeout`) for it to end; always reaps it.
  ProcessExit Stop(int signal = SIGTERM,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return process_.Stop(signal, timeout);
  }

 private:
  void WaitUntilReady();  // sets ready_

  Endpoint endpoint_;
  BackgroundProcess process_;
  bool ready_ = false;
};

}  // namespace tcpdoctor::itest
