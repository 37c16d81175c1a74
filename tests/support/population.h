// Builds a known TCP socket population on loopback in the current (sandbox) namespace and
// keeps it alive. Every socket it leaves in the table is listed in expected(), with addresses
// and ports taken from getsockname()/getpeername() of the sockets it made, never guessed.
#pragma once

#include <chrono>
#include <vector>

#include "support/endpoint.h"
#include "support/population_plan.h"
#include "support/socket_tuple.h"
#include "support/unique_fd.h"

namespace tcpdoctor::itest {

class Population {
 public:
  // Fails the test outside a netns sandbox: it binds loopback ports the host may use and
  // changes namespace sysctls (tcp_tw_reuse=0 so that connect() never takes over a TIME_WAIT
  // tuple; SYN retransmits backing off exponentially so that SYN_SENT lasts minutes).
  Population();

  // Creates the plan's listeners and connections. Uses gtest assertions: check
  // HasFatalFailure() (or wrap in ASSERT_NO_FATAL_FAILURE) afterwards.
  void Build(const PopulationPlan& plan);

  // Waits until /proc/net/tcp{,6} holds exactly expected() (closing handshakes finish
  // asynchronously), and fails with the difference if it does not within `timeout`.
  void Settle(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const std::vector<SocketTuple>& expected() const { return expected_; }
  const PopulationPlan& plan() const { return plan_; }

 private:
  struct Listener {
    ListenerSpec spec;
    Endpoint endpoint;  // as bound (IPv4-mapped for "::ffff:..." listeners)
    UniqueFd fd;
    bool filled = false;  // kFull: its one accept-queue slot is taken
  };
  // One client socket and, once accepted, its server socket.
  struct Connection {
    UniqueFd client;
    UniqueFd server;
    SocketTuple client_side;
    SocketTuple server_side;
  };

  void AddListener(const ListenerSpec& spec);
  void AddConnection(Outcome outcome, Listener& listener, const Endpoint& client_address);
  // Connects a client bound to `client_address`; accepts it unless `accept` is false. With
  // `wait` false the connect does not wait for the handshake (SYN_SENT).
  void Connect(Listener& listener, const Endpoint& client_address, bool accept, bool wait,
               Connection& c);
  void FillFullListener(Listener& listener, const Endpoint& client_address);
  void Keep(UniqueFd fd) { fds_.push_back(std::move(fd)); }
  void Expect(State state, const SocketTuple& side);

  bool in_sandbox_ = false;
  PopulationPlan plan_;
  std::vector<Listener> listeners_;
  std::vector<UniqueFd> fds_;
  std::vector<SocketTuple> expected_;
};

}  // namespace tcpdoctor::itest
