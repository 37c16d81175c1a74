#include "lab/request_client.h"

#include <vector>

#include "lab/lab_run.h"

namespace tcpdoctor {
namespace {

// One request and its answer on `fd`.
Status Exchange(int fd, LabClock::time_point deadline) {
  if (Status sent = SendAll(fd, "GET\n", deadline); !sent) return sent;
  std::string answer;
  while (answer.find('\n') == std::string::npos) {
    auto got = ReceiveSome(fd, deadline);
    if (!got) return got.TakeError();
    if (got->empty()) {
      return Error{ErrorCode::kIo, "the server closed before answering", 0, {}, {}};
    }
    answer += *got;
  }
  return Ok{};
}

// Waits for the server's FIN (read returns 0), ignoring anything else it sends.
Status AwaitClose(int fd, LabClock::time_point deadline) {
  for (;;) {
    auto got = ReceiveSome(fd, deadline);
    if (!got) return got.TakeError();
    if (got->empty()) return Ok{};
  }
}

}  // namespace

void ClientTally::Fail(const Error& e) {
  if (first_failure == 0) first_failure = attempted;
  if (e.sys_errno != 0) {
    ++errors[ErrnoName(e.sys_errno)];
  } else if (e.message.ends_with("timed out")) {
    ++errors["timeout"];
  } else {
    ++errors["closed early"];
  }
}

Result<ClientTally> RunClients(LabRun& run, const ClientPlan& plan) {
  ClientTally tally;
  const auto start = LabClock::now();
  int64_t request_index = 0;
  std::vector<bool> port_used(65536, false);
  for (int64_t i = 0; i < plan.connections; ++i) {
    if (Status go_on = run.Continue(); !go_on) return go_on.TakeError();
    ++tally.attempted;
    const auto deadline = std::min(LabClock::now() + plan.wait, run.deadline());
    auto fd = ConnectTo(plan.to, deadline);
    if (!fd) {
      if (fd.error().code == ErrorCode::kInterrupted) return fd.TakeError();
      tally.Fail(fd.error());
      request_index += plan.requests_each;
      continue;
    }
    if (auto local = LocalAddress(fd->get())) {
      if (port_used[local->port]) ++tally.reused_ports;
      port_used[local->port] = true;
    }
    Status done = Ok{};
    for (int64_t r = 0; r < plan.requests_each && done; ++r, ++request_index) {
      if (plan.rate > 0) {
        const auto due = start + std::chrono::duration_cast<LabClock::duration>(
                                     std::chrono::duration<double>(request_index / plan.rate));
        if (Status waited = run.WaitUntil(due); !waited) return waited.TakeError();
      }
      done = Exchange(fd->get(), std::min(LabClock::now() + plan.wait, run.deadline()));
      if (done) ++tally.requests;
    }
    if (done && plan.close == ClientClose::kAfterServer) {
      done = AwaitClose(fd->get(), std::min(LabClock::now() + plan.wait, run.deadline()));
    }
    if (done && plan.close == ClientClose::kAbort) done = SetLinger(fd->get(), true, 0);
    if (!done) {
      if (done.error().code == ErrorCode::kInterrupted) return done.TakeError();
      tally.Fail(done.error());
      continue;  // the socket closes as it is
    }
    fd->Reset();  // close(): FIN, or RST with SO_LINGER {1, 0}
    ++tally.completed;
  }
  tally.seconds = std::chrono::duration<double>(LabClock::now() - start).count();
  return tally;
}

}  // namespace tcpdoctor
