// Many clients connecting at the same moment, as a crowd of users does: non-blocking connect()s
// made back to back, then followed together until each has connected (and, if the plan says so,
// sent a request and read its answer) or failed. Each keeps what the kernel told it: how long its
// connect() took, how many SYNs it retransmitted (tcp_info), the errno that ended it. Scenarios
// about listen queues use it, where one client after the other would never fill a queue.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/unique_fd.h"
#include "lab/lab_socket.h"

namespace tcpdoctor {

struct BurstPlan {
  SocketAddress to;
  int64_t clients = 1;
  // Once connected: send "GET\n", read the answer, then close() (the client closes first).
  // Otherwise the client sends nothing and keeps its socket open.
  bool request = false;
  double rate = 0;  // connect()s a second, started as Follow() goes; 0: all at once in Start()
};

// What one client of a burst saw.
struct BurstResult {
  bool connected = false;  // connect() succeeded: the handshake is done, as the client sees it
  bool answered = false;   // its answer arrived
  double connect_ms = 0;   // from connect() to its success
  double answer_ms = 0;    // from connect() to the answer
  // tcp_info's tcpi_total_retrans when the handshake ended (only SYNs had been sent), or at
  // the last look for a client still in SYN_SENT.
  uint32_t syn_retransmits = 0;
  std::string error;  // what ended it: an errno name, "closed early"; "" if nothing did

  // One line, for a helper process to send it to the lab; FromLine(ToLine()) gives it back.
  std::string ToLine() const;
  static std::optional<BurstResult> FromLine(std::string_view line);
};

class ClientBurst {
 public:
  // Opens and connects the clients due now: all of them, unless the plan paces them. A socket()
  // or connect() that fails at once (EMFILE, EADDRNOTAVAIL...) is that client's error.
  static ClientBurst Start(const BurstPlan& plan);

  // Starts the clients as they come due and follows them until none is pending or `until` has
  // passed; kInterrupted on Ctrl-C.
  Status Follow(LabClock::time_point until);
  // Clients not yet started, still connecting, or still waiting for their answer.
  size_t pending() const;
  // When the last client is due to start.
  LabClock::time_point last_start() const;
  // What each client saw so far, in the order they connected.
  std::vector<BurstResult> Results() const;
  // Closes every client's socket (a FIN for those connected).
  void CloseAll();

 private:
  enum class Stage { kWaiting, kConnecting, kAwaitingAnswer, kDone };
  struct Client {
    UniqueFd fd;
    Stage stage = Stage::kWaiting;
    LabClock::time_point started;  // when it is due to start, then when it did
    std::string received;
    BurstResult result;
  };

  // Connects the clients whose time has come; returns when the next one is due (or max()).
  LabClock::time_point StartDue();
  void Advance(Client& c, short revents, LabClock::time_point now) const;

  BurstPlan plan_;
  std::vector<Client> clients_;
};

// Latencies in milliseconds, as people read them: the median, the largest, and how many fell
// between the moments a lost SYN is sent again (after 1 s, then 3 s, 7 s in all).
struct LatencySummary {
  size_t count = 0;
  double median_ms = 0;
  double max_ms = 0;
  // Under 1 s, 1 to 3 s, 3 to 7 s, 7 s or more.
  std::array<uint64_t, 4> buckets{};

  static LatencySummary Of(std::vector<double> ms);
  // "median 1.03 s, max 1.04 s; under 1 s: 9, 1-3 s: 41, 3-7 s: 0, 7 s or more: 0".
  std::string Text() const;
};

// "1.03 s" for 1030 ms.
std::string SecondsText(double ms);

// How many clients retransmitted their SYN how often: "none: 9, once: 40, twice: 1".
std::string SynRetransmitsText(const std::vector<BurstResult>& results);

}  // namespace tcpdoctor
