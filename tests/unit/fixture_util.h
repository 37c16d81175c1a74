// Shared by the unit tests: fixture paths and files, temporary files, and `ss -tan` text read
// back as socket rows, so recorded dumps are checked against what ss printed at the same time.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "analyze/top_groups.h"
#include "model/socket_record.h"
#include "model/tcp_state.h"

namespace tcpdoctor::test_util {

inline std::string FixturePath(std::string_view relative) {
  return std::string(TCPDOCTOR_FIXTURES) + "/" + std::string(relative);
}

inline std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh file under the test's temporary directory holding `bytes`; returns its path.
inline std::string WriteTempFile(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path =
      ::testing::TempDir() + "/tcpdoctor_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return path;
}

// One row of `ss -tan`, with the address spelled as ss spells it, brackets removed.
struct SsRow {
  std::string state;  // ss's name: ESTAB, TIME-WAIT ...
  uint32_t recv_q = 0;
  uint32_t send_q = 0;
  std::string local;
  uint16_t local_port = 0;
  std::string remote;
  uint16_t remote_port = 0;  // ss's "*" is 0

  friend auto operator<=>(const SsRow&, const SsRow&) = default;
};

// ss writes the wildcard address as "*", "0.0.0.0" or "::" depending on family and v6only;
// the family is checked elsewhere, so all three compare equal here.
inline std::string NormalizeAddress(std::string address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  if (address == "*" || address == "0.0.0.0" || address == "::") return "*";
  return address;
}

inline void SplitEndpoint(const std::string& text, std::string& address, uint16_t& port) {
  const size_t colon = text.rfind(':');
  address = NormalizeAddress(text.substr(0, colon));
  const std::string p = text.substr(colon + 1);
  port = p == "*" ? 0 : static_cast<uint16_t>(std::stoi(p));
}

inline std::vector<SsRow> ReadSsRows(const std::string& path) {
  std::istringstream in(ReadText(path));
  std::string line;
  std::getline(in, line);  // the header
  std::vector<SsRow> rows;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    SsRow row;
    std::string local, remote;
    if (!(fields >> row.state >> row.recv_q >> row.send_q >> local >> remote)) continue;
    SplitEndpoint(local, row.local, row.local_port);
    SplitEndpoint(remote, row.remote, row.remote_port);
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// ss's state names, as `ss -tan` prints them.
inline std::string SsStateName(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
      return "ESTAB";
    case TcpState::kSynSent:
      return "SYN-SENT";
    case TcpState::kSynRecv:
      return "SYN-RECV";
    case TcpState::kFinWait1:
      return "FIN-WAIT-1";
    case TcpState::kFinWait2:
      return "FIN-WAIT-2";
    case TcpState::kTimeWait:
      return "TIME-WAIT";
    case TcpState::kClose:
      return "UNCONN";
    case TcpState::kCloseWait:
      return "CLOSE-WAIT";
    case TcpState::kLastAck:
      return "LAST-ACK";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kClosing:
      return "CLOSING";
  }
  return "?";
}

// A record as the row ss would print for it.
inline SsRow AsSsRow(const SocketRecord& r) {
  SsRow row;
  row.state = SsStateName(r.state);
  row.recv_q = r.recv_queue;
  row.send_q = r.send_queue;
  row.local = NormalizeAddress(r.local.ToString());
  row.local_port = r.local_port;
  row.remote = NormalizeAddress(r.remote.ToString());
  row.remote_port = r.remote_port;
  return row;
}

inline std::vector<SsRow> AsSsRows(const std::vector<SocketRecord>& records) {
  std::vector<SsRow> rows;
  for (const SocketRecord& r : records) rows.push_back(AsSsRow(r));
  std::sort(rows.begin(), rows.end());
  return rows;
}

inline std::ostream& operator<<(std::ostream& os, const SsRow& r) {
  return os << r.state << " " << r.recv_q << " " << r.send_q << " " << r.local << ":"
            << r.local_port << " " << r.remote << ":" << r.remote_port;
}

// The first record matching the endpoints and state, or nullptr.
inline const SocketRecord* FindRecord(const std::vector<SocketRecord>& records, TcpState state,
                                      std::string_view local, uint16_t local_port,
                                      std::string_view remote, uint16_t remote_port) {
  for (const SocketRecord& r : records) {
    if (r.state == state && r.local.ToString() == local && r.local_port == local_port &&
        r.remote.ToString() == remote && r.remote_port == remote_port) {
      return &r;
    }
  }
  return nullptr;
}

// A socket record with the fields filters and groups look at; addresses in text form.
inline SocketRecord Record(TcpState state, const char* local, uint16_t lport, const char* remote,
                           uint16_t rport) {
  SocketRecord r;
  r.state = state;
  r.local = *IpAddress::Parse(local);
  r.remote = *IpAddress::Parse(remote);
  r.local_port = lport;
  r.remote_port = rport;
  return r;
}

// The keys of a top result's groups, in order.
inline std::vector<std::string> Keys(const TopGroupsResult& r) {
  std::vector<std::string> keys;
  for (const Group& g : r.groups) keys.push_back(g.key);
  return keys;
}

inline uint64_t At(const PerStateCounts& states, TcpState s) { return states[static_cast<int>(s)]; }

}  // namespace tcpdoctor::test_util
