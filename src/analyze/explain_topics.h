// What `tcpdoctor explain` knows: every TCP state, every counter `counters` shows and every
// sysctl the rules read, each explained from ../shared/reference/kernel-facts.md, which the
// topic names as its source. Where that file says nothing, the topic says little.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tcpdoctor {

struct Topic {
  std::string_view name;  // "TIME_WAIT", "ListenOverflows", "net.ipv4.tcp_fin_timeout"
  std::string_view kind;  // "state" | "counter" | "sysctl"
  std::string_view meaning;
  std::string_view who_sees_it;
  std::string_view when_to_worry;
  std::string_view what_to_do;
  std::string_view kernel_changes;  // "" if none known
  std::string_view source;          // "kernel-facts §1"
};

// States in RFC order, then counters in `counters` order, then sysctls.
std::span<const Topic> AllTopics();

// Case-insensitive; "time-wait", "time_wait", "TIMEWAIT"; "TcpExt.ListenOverflows" or
// "ListenOverflows"; "net.ipv4.tcp_fin_timeout", "net/ipv4/tcp_fin_timeout", "tcp_fin_timeout"
// or "/proc/sys/net/ipv4/tcp_fin_timeout". nullptr when unknown.
const Topic* FindTopic(std::string_view typed);

// Every name FindTopic is meant to be typed as: the topic names, dashed lower-case states,
// counters with their section, sysctls without their prefix.
std::vector<std::string> TopicSpellings();

// The name of the topic closest to a mistyped one (see core/suggest.h), or "".
std::string ClosestTopic(std::string_view typed);

}  // namespace tcpdoctor
