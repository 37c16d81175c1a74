// Snapshots built by hand for the doctor's rule tests: a healthy namespace with the kernel's
// default sysctls, and small builders for the parts a rule looks at.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/rule.h"
#include "analyze/snapshot.h"

namespace tcpdoctor::test_util {

inline IpAddress Addr(std::string_view text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

// A quiet namespace on a 6.x kernel: default sysctls, one sample (no rates), nothing open.
inline Snapshot HealthySnapshot() {
  Snapshot s;
  s.netns_label = "current";
  Sysctls& k = s.sysctls;
  k.somaxconn = 4096;
  k.tcp_max_syn_backlog = 2048;
  k.tcp_syncookies = 1;
  k.ip_local_port_range = PortRange{32768, 60999};
  k.ip_local_reserved_ports = PortSet{};
  k.tcp_tw_reuse = 2;
  k.tcp_tw_reuse_delay_ms = 1000;
  k.tcp_max_tw_buckets = 131072;
  k.tcp_timestamps = 1;
  k.tcp_fin_timeout_s = 60;
  k.tcp_max_orphans = 131072;
  k.tcp_mem = TcpMem{287832, 383779, 575664};
  k.file_max = 2465610;
  k.file_nr = FileNr{412, 0, 2465610};
  k.nr_open = 1048576;
  k.tcp_abort_on_overflow = 0;
  k.tcp_orphan_retries = 0;
  s.port_settings = PortBudgetSettings::From(k);
  s.owners_known = true;
  return s;
}

// Makes `s` a two-sample snapshot `seconds` long in which `counter` ("TcpExt.ListenOverflows")
// rose by `increase` to `value`.
inline void SetCounter(Snapshot& s, std::string_view counter, uint64_t value, uint64_t increase,
                       double seconds = 1) {
  const size_t dot = counter.find('.');
  const std::string section(counter.substr(0, dot));
  const std::string name(counter.substr(dot + 1));
  s.counters.Set(Counter{section, name, value, false});
  if (!s.deltas) s.deltas.emplace();
  s.deltas->Add(CounterDelta{section, name, DeltaStatus::kKnown, increase});
  s.interval_seconds = seconds;
}

// A process holding sockets here, with its fd use against a soft limit.
inline ProcessSnapshot Process(int32_t pid, std::string comm, uint32_t open_fds = 10,
                               uint64_t nofile_soft = 1024, uint64_t nofile_hard = 524288) {
  ProcessSnapshot p;
  p.info.pid = pid;
  p.info.comm = std::move(comm);
  p.info.open_fds = open_fds;
  p.info.details_read = true;
  p.info.cmdline = p.info.comm;
  p.info.nofile_soft = nofile_soft;
  p.info.nofile_hard = nofile_hard;
  p.states.Add(TcpState::kEstablished, 1);
  return p;
}

inline ListenerQueue Listener(std::string_view address, uint16_t port, uint32_t accept_queue,
                              uint32_t backlog, int32_t owner_pid = 100,
                              std::string owner_comm = "server") {
  ListenerQueue l;
  l.address = Addr(address);
  l.port = port;
  l.accept_queue = accept_queue;
  l.backlog = backlog;
  l.owner_pid = owner_pid;
  l.owner_comm = std::move(owner_comm);
  l.owner_processes = owner_pid != 0 ? 1 : 0;
  return l;
}

// The findings of `rule` at its default thresholds. (Not "Run": inside a TEST body that name is
// gtest's Test::Run.)
inline std::vector<Finding> CheckRule(const Rule& rule, const Snapshot& s) {
  return rule.check(s, rule.Defaults());
}

// The rule's defaults with `key` set to `value`, as `--set RULE.KEY=VALUE` would.
inline RuleSettings SettingsWith(const Rule& rule, std::string_view key, double value) {
  std::map<std::string, double, std::less<>> values;
  for (const RuleParam& p : rule.params) values.emplace(std::string(p.key), p.value);
  values[std::string(key)] = value;
  return RuleSettings(std::move(values));
}

// The one finding about `subject`, or nullptr.
inline const Finding* FindingAbout(const std::vector<Finding>& findings, std::string_view subject) {
  auto it = std::find_if(findings.begin(), findings.end(),
                         [&](const Finding& f) { return f.subject == subject; });
  return it == findings.end() ? nullptr : &*it;
}

// The value of fact `name`, as JSON would carry it; fails the test if missing.
inline const Fact* FactOf(const Finding& f, std::string_view name) {
  for (const Fact& fact : f.facts) {
    if (fact.name == name) return &fact;
  }
  ADD_FAILURE() << "finding " << f.id << " has no fact " << name;
  return nullptr;
}

// A fact's value by type; -1 or "" (and a test failure) when the finding lacks it.
inline int64_t IntFact(const Finding& f, std::string_view name) {
  const Fact* fact = FactOf(f, name);
  return fact != nullptr ? std::get<int64_t>(fact->value) : -1;
}
inline double DoubleFact(const Finding& f, std::string_view name) {
  const Fact* fact = FactOf(f, name);
  return fact != nullptr ? std::get<double>(fact->value) : -1;
}
inline std::string TextFact(const Finding& f, std::string_view name) {
  const Fact* fact = FactOf(f, name);
  return fact != nullptr ? std::get<std::string>(fact->value) : "";
}
// Whether the finding has fact `name` (no test failure when not).
inline bool HasFact(const Finding& f, std::string_view name) {
  return std::any_of(f.facts.begin(), f.facts.end(),
                     [name](const Fact& fact) { return fact.name == name; });
}
// Lines joined, each ending in '\n': for searching evidence or fixes.
inline std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  return all;
}

}  // namespace tcpdoctor::test_util
