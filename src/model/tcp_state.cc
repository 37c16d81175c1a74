#include "model/tcp_state.h"

#include <string>

namespace tcpdoctor {
namespace {

// Lower-case, and drop '-' and '_', so "Time-Wait" and "TIME_WAIT" compare equal.
std::string Fold(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '-' || c == '_') continue;
    out += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  }
  return out;
}

constexpr StateMask kListenMask = StateBit(TcpState::kListen);
constexpr StateMask kCloseMask = StateBit(TcpState::kClose);
// ss: "connected" is every state but LISTEN and CLOSE; "synchronized" is connected minus SYN-SENT.
constexpr StateMask kConnected = kAllStates & ~(kListenMask | kCloseMask);
constexpr StateMask kSynchronized = kConnected & ~StateBit(TcpState::kSynSent);

}  // namespace

std::string_view StateName(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
      return "ESTABLISHED";
    case TcpState::kSynSent:
      return "SYN_SENT";
    case TcpState::kSynRecv:
      return "SYN_RECV";
    case TcpState::kFinWait1:
      return "FIN_WAIT1";
    case TcpState::kFinWait2:
      return "FIN_WAIT2";
    case TcpState::kTimeWait:
      return "TIME_WAIT";
    case TcpState::kClose:
      return "CLOSE";
    case TcpState::kCloseWait:
      return "CLOSE_WAIT";
    case TcpState::kLastAck:
      return "LAST_ACK";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kClosing:
      return "CLOSING";
  }
  return "UNKNOWN";
}

std::optional<TcpState> StateFromKernel(int number) {
  if (number < 1 || number > 11) return std::nullopt;
  return static_cast<TcpState>(number);
}

const std::array<std::string_view, 16>& StateNameChoices() {
  static constexpr std::array<std::string_view, 16> kChoices = {
      "established", "syn-sent",     "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
      "close",       "close-wait",   "last-ack", "listen",     "closing",    "all",
      "connected",   "synchronized", "bucket",   "big"};
  return kChoices;
}

std::optional<StateMask> ParseStateName(std::string_view name) {
  const std::string folded = Fold(name);
  for (TcpState s : kStatesInOrder) {
    if (folded == Fold(StateName(s))) return StateBit(s);
  }
  // ss's spellings and the obvious aliases.
  if (folded == "synrcvd" || folded == "synreceived") return StateBit(TcpState::kSynRecv);
  if (folded == "finwait1") return StateBit(TcpState::kFinWait1);
  if (folded == "finwait2") return StateBit(TcpState::kFinWait2);
  if (folded == "closed") return kCloseMask;
  if (folded == "listening") return kListenMask;
  if (folded == "estab") return StateBit(TcpState::kEstablished);
  if (folded == "all") return kAllStates;
  if (folded == "connected") return kConnected;
  if (folded == "synchronized") return kSynchronized;
  // ss: "bucket" = minisockets (SYN_RECV requests and TIME_WAIT), "big" = the rest.
  constexpr StateMask kBucket = StateBit(TcpState::kSynRecv) | StateBit(TcpState::kTimeWait);
  if (folded == "bucket") return kBucket;
  if (folded == "big") return kAllStates & ~kBucket;
  return std::nullopt;
}

}  // namespace tcpdoctor
