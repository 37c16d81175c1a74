// The lab's server: a helper process that accepts on one or more listening ports and answers
// each request line ("GET\n") with "OK\n", closing each connection as its port's policy says.
// Scenarios use it to put the server's end of connections where they want it (TIME_WAIT on the
// server, CLOSE_WAIT held open...) and ask it what it saw (accepts, resets, errno).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "lab/lab_process.h"
#include "lab/lab_socket.h"

namespace tcpdoctor {

class LabRun;

enum class ServerClose {
  kAfterPeer,  // close once the client has closed (read returns 0): the client closes first
  kFirst,      // close right after answering the first request: the server closes first
  kNever,      // never close: connections the client closed stay in CLOSE_WAIT
};

struct ServerPort {
  uint16_t port = 0;  // on 127.0.0.<last_byte>
  ServerClose close = ServerClose::kAfterPeer;
  int backlog = 128;
  // At most this many accept() a second, one at a time (a server that falls behind); 0: every
  // connection as soon as it is there.
  double accepts_per_second = 0;
  // TCP_DEFER_ACCEPT on the listener, in seconds (0: off): the kernel drops a bare final ACK and
  // keeps the connection a request socket (SYN_RECV) until data arrives or this passes.
  int defer_accept_seconds = 0;
  uint8_t last_byte = 1;
};

// What the server saw on one port.
struct ServerStats {
  uint16_t port = 0;
  uint64_t accepted = 0;
  uint64_t requests = 0;      // answered
  uint64_t peer_closed = 0;   // read() returned 0: the client's FIN
  uint64_t closed_first = 0;  // closed by the server before the client closed
  uint64_t held = 0;          // closed by the client, kept open by the server (CLOSE_WAIT)
  uint64_t resets = 0;        // ECONNRESET from read(): the client's RST
  std::map<std::string, uint64_t> errors;  // other errno seen, by name ("EMFILE" from accept())
};

class RequestServer {
 public:
  // Listens on each port (in the lab), starts helper `comm` with those listeners and closes the
  // lab's copies (so the helper alone holds them), and waits until it is serving. The helper
  // stops when the run ends.
  static Result<RequestServer> Start(LabRun& run, const std::string& comm,
                                     const std::vector<ServerPort>& ports,
                                     std::optional<uint64_t> nofile = std::nullopt);

  LabProcess& process() { return *process_; }
  // What it has seen so far, one entry per port in Start()'s order.
  Result<std::vector<ServerStats>> Report();
  // Report()'s entry for `port` (the first listener on that port).
  Result<ServerStats> ReportOn(uint16_t port);
  // ReportOn(port) once it has seen the end (FIN or RST) of `connections` connections, or as
  // it is after `within`: the server reads a close a moment after the kernel has handled it.
  Result<ServerStats> ReportOnceEnded(uint16_t port, uint64_t connections,
                                      std::chrono::milliseconds within);

 private:
  explicit RequestServer(LabProcess* process) : process_(process) {}
  LabProcess* process_;  // owned by the run
};

// "EMFILE x3, ECONNRESET x1", or "none".
std::string CountsText(const std::map<std::string, uint64_t>& counts);

}  // namespace tcpdoctor
