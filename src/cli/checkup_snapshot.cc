#include "cli/checkup_snapshot.h"

#include <linux/inet_diag.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "analyze/snapshot_builder.h"
#include "collect/proc_net_counters.h"
#include "collect/sysctl_config.h"
#include "collect/sysctl_reader.h"

namespace tcpdoctor {
namespace {

constexpr uint8_t kTcpInfo = 1 << (INET_DIAG_INFO - 1);

void SortByInode(std::vector<CloseWaitSeen>& seen) {
  std::sort(seen.begin(), seen.end(),
            [](const CloseWaitSeen& a, const CloseWaitSeen& b) { return a.inode < b.inode; });
}

// When the earlier samples first saw socket `inode` in CLOSE_WAIT, if they did.
std::optional<std::chrono::steady_clock::time_point> SeenSince(const EarlierSample* earlier,
                                                               uint64_t inode) {
  if (earlier == nullptr || inode == 0) return std::nullopt;
  const auto it = std::lower_bound(earlier->close_wait.begin(), earlier->close_wait.end(), inode,
                                   [](const CloseWaitSeen& c, uint64_t i) { return c.inode < i; });
  if (it == earlier->close_wait.end() || it->inode != inode) return std::nullopt;
  return it->since;
}

// The sysctl files and whether this kernel has each key.
void ReadConfiguredSysctls(const std::string& root, const ProcFs& proc, const WarningSink& warn,
                           Snapshot& snapshot) {
  auto config = ReadSysctlConfig(root);
  if (!config) {
    warn(config.error().ToString() + "; sysctl files not audited");
    return;
  }
  for (const std::string& problem : config->problems) warn(problem);
  for (SysctlSetting& s : config->settings) {
    const bool exists = KeyExists(proc, s.key);
    snapshot.sysctl_config.push_back({std::move(s), exists});
  }
}

}  // namespace

Result<EarlierSample> TakeEarlierSample(Session& session, const WarningSink& warn) {
  EarlierSample sample;
  sample.taken = std::chrono::steady_clock::now();
  auto counters = ReadKernelCounters(session.proc());
  if (!counters) return counters.TakeError();
  for (const std::string& missing : counters->missing_files()) {
    warn(missing + " is missing: rules that need its counters cannot fire");
  }
  sample.counters = std::move(*counters);
  auto read = session.ReadAllSockets(
      StateBit(TcpState::kCloseWait),
      [&](const SocketRecord& r) {
        sample.close_wait.push_back({r.inode, sample.taken});
      },
      [&] { sample.close_wait.clear(); });
  if (!read) return read.TakeError();
  SortByInode(sample.close_wait);
  return sample;
}

EarlierSample AsEarlierSample(const Snapshot& snapshot) {
  return {snapshot.counters, snapshot.close_wait_seen, snapshot.taken};
}

Result<Snapshot> TakeSnapshot(Session& session, OwnerLookup& owners, const EarlierSample* earlier,
                              const SnapshotOptions& options, const WarningSink& warn) {
  Snapshot snapshot;
  snapshot.netns_label = options.netns_label;
  snapshot.page_size = ::sysconf(_SC_PAGESIZE);
  // Records how a step went; a failed step's error is returned as it is.
  const auto record = [&snapshot](const char* collector, auto start, const auto& result) {
    snapshot.collector_runs.push_back({collector, result.ok(), SecondsSince(start),
                                       result.ok() ? "" : result.error().ToString()});
  };

  auto start = std::chrono::steady_clock::now();
  auto sysctls = ReadSysctls(session.proc());
  record("sysctls", start, sysctls);
  if (!sysctls) return sysctls.TakeError();
  snapshot.sysctls = std::move(*sysctls);

  start = snapshot.taken = std::chrono::steady_clock::now();
  auto counters = ReadKernelCounters(session.proc());
  if (counters) {
    if (earlier != nullptr) {
      snapshot.interval_seconds = SecondsSince(earlier->taken);
      snapshot.deltas = counters->Delta(earlier->counters);
    } else {
      for (const std::string& missing : counters->missing_files()) {
        warn(missing + " is missing: rules that need its counters cannot fire");
      }
    }
    snapshot.counters = std::move(*counters);
  }
  Result<Sockstat> sockstat = counters ? ReadSockstat(session.proc()) : counters.TakeError();
  record("counters", start, sockstat);
  if (!sockstat) return sockstat.TakeError();
  snapshot.sockstat = std::move(*sockstat);

  // The owner scan runs while the kernel dumps the sockets.
  owners.Prefetch();
  start = std::chrono::steady_clock::now();
  auto listening = session.ListeningPorts();
  if (!listening) {
    record("sockets", start, listening);
    return listening.TakeError();
  }
  SnapshotBuilder builder(PortBudgetSettings::From(snapshot.sysctls), std::move(*listening),
                          session.backlog_known());
  if (earlier != nullptr) {
    std::vector<uint64_t> inodes;
    for (const CloseWaitSeen& c : earlier->close_wait) inodes.push_back(c.inode);
    builder.SetEarlierCloseWait(std::move(inodes));
  }
  builder.AttributeWith(owners.AlreadyScanned());
  const auto dumped = std::chrono::steady_clock::now();
  auto read = session.ReadAllSockets(
      kAllStates,
      [&](const SocketRecord& r) {
        if (r.state != TcpState::kCloseWait) return builder.Add(r);
        const auto since = SeenSince(earlier, r.inode);
        snapshot.close_wait_seen.push_back({r.inode, since.value_or(dumped)});
        if (options.tcp_info || !since) return builder.Add(r);
        SocketRecord aged = r;
        aged.last_data_recv_ms = static_cast<uint32_t>(std::min<int64_t>(
            UINT32_MAX,
            std::chrono::duration_cast<std::chrono::milliseconds>(dumped - *since).count()));
        builder.Add(aged);
      },
      [&] {
        builder.Reset();
        snapshot.close_wait_seen.clear();
      },
      options.tcp_info ? kTcpInfo : uint8_t{0});
  record("sockets", start, read);
  if (!read) return read.TakeError();
  SortByInode(snapshot.close_wait_seen);

  // The processes' cost: the scan (alongside the dump, or none with a kept map; any wait for it
  // is inside its time) and attributing the sockets.
  auto owner_map = owners.Get();
  start = std::chrono::steady_clock::now();
  if (!owner_map) warn(owner_map.error().ToString() + "; rules about processes are skipped");
  builder.Finish(
      owner_map ? *owner_map : nullptr,
      [&owners](uint32_t index) -> const ProcessInfo& { return owners.Details(index); }, snapshot);
  record("processes", start, owner_map);
  snapshot.collector_runs.back().seconds += owners.scan_seconds();
  if (!options.sysctl_root.empty()) {
    ReadConfiguredSysctls(options.sysctl_root, session.proc(), warn, snapshot);
  }
  return snapshot;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tcpdoctor
