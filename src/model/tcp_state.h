// TCP states as the kernel numbers them (include/net/tcp_states.h), named as netstat does.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tcpdoctor {

enum class TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
};

inline constexpr int kTcpStateCount = 12;  // indexable by the kernel number, 0 unused

// A set of states, bit (1 << kernel number): the layout of inet_diag's idiag_states.
using StateMask = uint32_t;
inline constexpr StateMask StateBit(TcpState s) { return StateMask{1} << static_cast<int>(s); }
inline constexpr StateMask kAllStates = 0xffe;  // bits 1..11

// The states in RFC 793 order, as `tcpdoctor states` prints them.
inline constexpr std::array<TcpState, 11> kStatesInOrder = {
    TcpState::kEstablished, TcpState::kSynSent,  TcpState::kSynRecv, TcpState::kFinWait1,
    TcpState::kFinWait2,    TcpState::kTimeWait, TcpState::kClose,   TcpState::kCloseWait,
    TcpState::kLastAck,     TcpState::kListen,   TcpState::kClosing};

// netstat's name: "ESTABLISHED", "TIME_WAIT" ...
std::string_view StateName(TcpState s);

// A kernel state number as a TcpState; nullopt for numbers outside 1..11 (e.g. NEW_SYN_RECV is
// mapped to SYN_RECV by the caller, which knows what it is reading).
std::optional<TcpState> StateFromKernel(int number);

// Parses a state name or one of ss's groups, case- and dash-insensitively: "time-wait",
// "TIME_WAIT", "timewait", "syn-recv", "connected", "synchronized", "all". nullopt if unknown.
std::optional<StateMask> ParseStateName(std::string_view name);

// Every name ParseStateName accepts, in canonical (lower-case, dashed) form, for help and
// "did you mean" suggestions.
const std::array<std::string_view, 16>& StateNameChoices();

}  // namespace tcpdoctor
