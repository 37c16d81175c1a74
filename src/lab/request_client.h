// The lab's clients: connections made from the lab process itself, each sending request lines
// and reading the answers, paced at a rate and closed in a chosen way. Every failure is tallied
// by the errno the kernel gave, which is what the narrative reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "core/result.h"
#include "lab/lab_socket.h"

namespace tcpdoctor {

class LabRun;

enum class ClientClose {
  kFirst,        // close() after the last answer: the client closes first
  kAfterServer,  // read until the server's FIN, then close()
  kAbort,        // SO_LINGER {1, 0}, then close(): an RST instead of a FIN
};

struct ClientPlan {
  SocketAddress to;
  int64_t connections = 1;
  int64_t requests_each = 1;  // request/answer exchanges per connection
  double rate = 0;            // requests a second over the whole plan; 0: as fast as they go
  ClientClose close = ClientClose::kFirst;
  // How long a connection waits for its handshake, and for each answer, before it counts as a
  // "timeout".
  std::chrono::milliseconds wait{2000};
};

struct ClientTally {
  int64_t attempted = 0;  // connections tried
  int64_t completed = 0;  // connections that got every answer and were closed as planned
  int64_t requests = 0;   // answers received
  // Connections whose local port an earlier connection of the plan had used: the port came
  // free on the client while the server may still hold that 4-tuple (its TIME_WAIT).
  int64_t reused_ports = 0;
  std::map<std::string, uint64_t> errors;  // errno name ("EADDRNOTAVAIL"), or "timeout"
  int64_t first_failure = 0;  // the number of the first connection that failed (1, 2...); 0: none
  double seconds = 0;         // how long the plan took

  void Fail(const Error& e);
};

// Runs `plan`. A connection that fails is tallied and the next one tried; Ctrl-C and the run's
// budget end it early, as an error.
Result<ClientTally> RunClients(LabRun& run, const ClientPlan& plan);

}  // namespace tcpdoctor
