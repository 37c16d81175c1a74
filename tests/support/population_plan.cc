#include "support/population_plan.h"

#include <random>
#include <set>
#include <utility>

namespace tcpdoctor::itest {
namespace {

constexpr Outcome kOutcomes[] = {Outcome::kEstablished,     Outcome::kClientHalfClose,
                                 Outcome::kServerHalfClose, Outcome::kClientTimeWait,
                                 Outcome::kServerTimeWait,  Outcome::kSynRecv,
                                 Outcome::kSynSent,         Outcome::kFinWait1,
                                 Outcome::kLastAck,         Outcome::kClosing};

ListenerKind KindFor(Outcome o) {
  if (o == Outcome::kSynRecv) return ListenerKind::kDeferAccept;
  if (o == Outcome::kSynSent) return ListenerKind::kFull;
  return ListenerKind::kPlain;
}

bool IsV6Only(const std::string& address) {
  return address.find(':') != std::string::npos && address.find('.') == std::string::npos;
}

// Draws with plain modulo arithmetic on mt19937, whose output the standard fixes, so a seed
// gives the same plan with any standard library.
class Draw {
 public:
  explicit Draw(uint32_t seed) : rng_(seed) {}
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

 private:
  std::mt19937 rng_;
};

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kEstablished:
      return "established";
    case Outcome::kClientHalfClose:
      return "client-half-close";
    case Outcome::kServerHalfClose:
      return "server-half-close";
    case Outcome::kClientTimeWait:
      return "client-time-wait";
    case Outcome::kServerTimeWait:
      return "server-time-wait";
    case Outcome::kSynRecv:
      return "syn-recv";
    case Outcome::kSynSent:
      return "syn-sent";
    case Outcome::kFinWait1:
      return "fin-wait-1";
    case Outcome::kLastAck:
      return "last-ack";
    case Outcome::kClosing:
      return "closing";
  }
  return "?";
}

std::string PopulationPlan::ToString() const {
  std::string s = "listeners:";
  for (size_t i = 0; i < listeners.size(); ++i) {
    const ListenerSpec& l = listeners[i];
    s += " #" + std::to_string(i) + " " + l.address + " port " + std::to_string(l.port) +
         (l.kind == ListenerKind::kDeferAccept ? " (defer)"
          : l.kind == ListenerKind::kFull      ? " (full)"
                                               : "") +
         ";";
  }
  s += " batches:";
  for (const BatchSpec& b : batches) {
    s += " " + std::to_string(b.count) + "x " + std::string(OutcomeName(b.outcome)) + " #" +
         std::to_string(b.listener) + " from " + b.client_address + ";";
  }
  return s;
}

PopulationPlan RandomPlan(uint32_t seed) {
  Draw draw(seed);
  PopulationPlan plan;
  std::set<std::pair<std::string, uint16_t>> taken;
  // A small pool of ports, so that listeners on different addresses sometimes share one
  // (lport groups then span addresses). Below the ephemeral range, so never a client's.
  std::vector<uint16_t> pool;
  for (int i = 0; i < 4; ++i) pool.push_back(static_cast<uint16_t>(1024 + draw.Below(30000)));
  const auto add = [&](std::string address, ListenerKind kind) {
    uint16_t port = 0;
    do {
      port = draw.Below(3) == 0 ? static_cast<uint16_t>(1024 + draw.Below(30000))
                                : pool[draw.Below(static_cast<uint32_t>(pool.size()))];
    } while (!taken.insert({address, port}).second);
    plan.listeners.push_back({std::move(address), port, kind});
  };
  const uint32_t plain_v4 = 2 + draw.Below(3);
  for (uint32_t i = 0; i < plain_v4; ++i) {
    add("127.0.0." + std::to_string(2 + draw.Below(3)), ListenerKind::kPlain);
  }
  const uint32_t plain_v6 = 1 + draw.Below(2);
  for (uint32_t i = 0; i < plain_v6; ++i) add("::1", ListenerKind::kPlain);
  add("::ffff:127.0.0.9", ListenerKind::kPlain);
  add("127.0.0.30", ListenerKind::kDeferAccept);
  add("::1", ListenerKind::kDeferAccept);
  add("127.0.0.40", ListenerKind::kFull);
  add("::1", ListenerKind::kFull);

  for (Outcome outcome : kOutcomes) {
    std::vector<size_t> fits;
    for (size_t i = 0; i < plan.listeners.size(); ++i) {
      if (plan.listeners[i].kind == KindFor(outcome)) fits.push_back(i);
    }
    const bool stuck = outcome == Outcome::kFinWait1 || outcome == Outcome::kLastAck ||
                       outcome == Outcome::kClosing;
    const uint32_t batches = 1 + draw.Below(stuck ? 2 : 3);
    for (uint32_t b = 0; b < batches; ++b) {
      BatchSpec batch;
      batch.outcome = outcome;
      batch.listener = fits[draw.Below(static_cast<uint32_t>(fits.size()))];
      batch.client_address = IsV6Only(plan.listeners[batch.listener].address)
                                 ? "::1"
                                 : "127.0.1." + std::to_string(1 + draw.Below(3));
      batch.count = static_cast<int>(1 + draw.Below(stuck ? 2 : 5));
      plan.batches.push_back(batch);
    }
  }
  return plan;
}

}  // namespace tcpdoctor::itest
