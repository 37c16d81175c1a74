#include "analyze/rules/aborted_closes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/rules/evidence_text.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kId = "aborted-closes";

// What tells people where the resets come from, since the counters name no socket.
constexpr std::string_view kFindThem =
    "The counter is per network namespace and the sockets are gone once reset, so no process "
    "can be named from it; `tcpdump -ni any 'tcp[tcpflags] & tcp-rst != 0'` shows the resets "
    "with their ports";

struct Abort {
  std::string_view counter;  // TcpExt name
  std::string_view what;     // for the title
};

std::optional<Finding> Check(const Snapshot& s, const RuleSettings& settings, const Abort& a) {
  const std::string key = "TcpExt." + std::string(a.counter);
  const std::optional<uint64_t> increase = s.Increase(key);
  const std::optional<double> rate = s.RatePerSecond(key);
  if (!increase || !rate || *increase == 0) return std::nullopt;
  if (static_cast<double>(*increase) < settings.Get("min_aborts")) return std::nullopt;

  Finding f;
  f.id = std::string(kId);
  f.severity = *rate >= settings.Get("warning_rate") ? Severity::kWarning : Severity::kInfo;
  f.subject = std::string(a.counter);
  f.title = std::string(a.what) + ": " + std::string(a.counter) + " +" + std::to_string(*increase) +
            " in " + DurationText(s.interval_seconds) + " (" + RateText(*rate) + ")";
  f.evidence.push_back("TcpExt." + std::string(a.counter) + " rose by " +
                       std::to_string(*increase) + " in " + DurationText(s.interval_seconds) +
                       ": " + RateText(*rate) + " connections reset instead of closed");
  if (const auto out_rsts = s.Increase("Tcp.OutRsts")) {
    f.evidence.push_back("RSTs sent (Tcp.OutRsts) over the same interval: +" +
                         std::to_string(*out_rsts));
  }
  f.evidence.push_back(std::string(kFindThem) + ".");
  f.facts.push_back({"counter", std::string(a.counter)});
  f.facts.push_back({"increase", static_cast<int64_t>(*increase)});
  f.facts.push_back({"per_second", *rate});
  f.facts.push_back({"interval_seconds", s.interval_seconds});
  f.topics = {std::string(a.counter)};
  return f;
}

}  // namespace

Rule AbortedClosesRule() {
  return Rule{
      std::string_view(kId),
      "Connections reset at close: data thrown away (SO_LINGER 0, unread data)",
      {
          {"min_aborts", 10,
           "fewer TCPAbortOnData or TCPAbortOnClose over the interval say nothing (a few resets "
           "are normal)"},
          {"warning_rate", 1, "warning from this many aborts per second; info below"},
      },
      [](const Snapshot& s, const RuleSettings& settings) {
        std::vector<Finding> findings;
        if (!s.two_samples()) return findings;  // rates only: one sample says nothing
        if (auto f = Check(s, settings, {"TCPAbortOnData", "Connections closed with an RST"})) {
          f->why =
              "The kernel sent an RST instead of a FIN: the application set SO_LINGER {on, 0} "
              "(linger time 0) before close(), or the peer kept sending after this side had "
              "shut the connection down for reading. The peer gets 'connection reset', data in "
              "flight is lost, and no TIME_WAIT follows.";
          f->fix = {
              "In the application: do not set SO_LINGER with a linger time of 0 to get rid of "
              "TIME_WAIT; reuse connections (keep-alive, pools) or let the client close first, "
              "so that TIME_WAIT is on the client's side.",
              "Close cleanly: shutdown(SHUT_WR), read until read() returns 0 (EOF), then "
              "close(), so the peer is done sending before the socket goes away.",
              "No sysctl fixes this: the resets are what the application asks for.",
          };
          findings.push_back(std::move(*f));
        }
        if (auto f =
                Check(s, settings, {"TCPAbortOnClose", "Connections closed with unread data"})) {
          f->why =
              "The application called close() on sockets that still had received data it had "
              "not read, so the kernel sent an RST instead of a FIN (with SO_LINGER 0 too: "
              "unread data is checked first): the peer gets 'connection reset', possibly before "
              "it has read this side's last response.";
          f->fix = {
              "In the application: read what the peer sent (until read() returns 0, EOF) before "
              "close(); to end a connection early, shutdown(SHUT_WR) first and drain the input "
              "for a moment, so the peer gets the response and a FIN, not an RST.",
              "No sysctl fixes this: it is the application's read and close logic.",
          };
          findings.push_back(std::move(*f));
        }
        return findings;
      }};
}

}  // namespace tcpdoctor
