// tcpdoctor_micro: Google Benchmark micro-benchmarks of the user-space work per socket and per
// scrape, apart from the kernel's (which bench/run.sh measures with whole commands):
//   - parsing sock_diag messages and feeding them to the doctor's SnapshotBuilder, with the
//     owner map ready (as the exporter does) or kept for later (as the checkup does);
//   - rendering the Prometheus exposition of a namespace with 10,000-long lists.
// Run: build/bench/tcpdoctor_micro [--benchmark_repetitions=5 --benchmark_report_aggregates_only]
#include <benchmark/benchmark.h>
#include <linux/tcp.h>

#include <algorithm>
#include <random>
#include <set>

#include "analyze/snapshot_builder.h"
#include "collect/diag_parser.h"
#include "present/metrics_view.h"
#include "unit/netlink_builder.h"

namespace tcpdoctor {
namespace {

using test_util::Bytes;

constexpr int kSockets = 1000000;
constexpr uint16_t kListenPort = 1000;

// A dump like the bench population's: 60 % ESTABLISHED (half accepted on the listening port),
// 34 % TIME_WAIT, 3 % CLOSE_WAIT, 3 % FIN_WAIT2, from 592 client addresses to 8 listeners.
Bytes PopulationDump() {
  Bytes out;
  std::mt19937 random(42);
  // The kernel walks its hash table: inodes come in no order.
  std::vector<uint32_t> inodes(kSockets);
  for (uint32_t i = 0; i < kSockets; ++i) inodes[i] = 1000 + i;
  std::shuffle(inodes.begin(), inodes.end(), random);
  for (uint32_t i = 0; i < kSockets; ++i) {
    test_util::DiagFields f;
    const uint32_t kind = i % 100;
    f.state = kind < 60 ? 1 : kind < 94 ? 6 : kind < 97 ? 8 : 5;
    f.src = {127, 10, static_cast<uint8_t>(i % 37), static_cast<uint8_t>(i % 16)};
    f.dst = {127, 1, 0, static_cast<uint8_t>(i % 8)};
    f.sport = static_cast<uint16_t>(1024 + random() % 64000);
    f.dport = kListenPort;
    if (kind % 2 == 1 && f.state == 1) std::swap(f.sport, f.dport);  // the accepted end
    f.inode = f.state == 6 ? 0 : inodes[i];
    Bytes attrs;
    if (f.state != 6) {
      tcp_info info{};
      info.tcpi_last_data_recv = 1000;
      Bytes data(sizeof info);
      std::memcpy(data.data(), &info, sizeof info);
      attrs = test_util::Attribute(INET_DIAG_INFO, data);
    }
    const Bytes m = test_util::DiagMessage(f, attrs);
    out.insert(out.end(), m.begin(), m.end());
  }
  return out;
}

// 37 processes holding every socket that has an inode.
SocketOwners PopulationOwners() {
  SocketOwners owners;
  for (int p = 0; p < 37; ++p) {
    ProcessInfo info;
    info.pid = 1000 + p;
    info.comm = "holder-" + std::to_string(p);
    owners.AddProcess(info);
  }
  for (uint32_t i = 0; i < kSockets; ++i) owners.AddHolder(1000 + i, i % 37);
  owners.Finish();
  return owners;
}

void ParseAndBuild(benchmark::State& state, bool owners_ready) {
  const Bytes dump = PopulationDump();
  const SocketOwners owners = PopulationOwners();
  const ProcessInfo details;
  for (auto _ : state) {
    SnapshotBuilder builder(PortBudgetSettings{}, std::set<uint16_t>{kListenPort}, true);
    if (owners_ready) builder.AttributeWith(&owners);
    DiagDumpState dump_state;
    const Status parsed =
        ParseDiagBuffer(dump, dump_state, [&](const SocketRecord& r) { builder.Add(r); });
    if (!parsed) state.SkipWithError(parsed.error().ToString().c_str());
    Snapshot snapshot;
    builder.Finish(
        &owners, [&](uint32_t) -> const ProcessInfo& { return details; }, snapshot);
    benchmark::DoNotOptimize(snapshot);
  }
  state.SetItemsProcessed(state.iterations() * kSockets);
}

void BM_ParseAndBuildOwnersReady(benchmark::State& state) { ParseAndBuild(state, true); }
void BM_ParseAndBuildOwnersLater(benchmark::State& state) { ParseAndBuild(state, false); }
BENCHMARK(BM_ParseAndBuildOwnersReady)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndBuildOwnersLater)->Unit(benchmark::kMillisecond);

// One namespace with 10,000 listeners, destinations, processes and findings.
NamespaceCollection LongLists() {
  NamespaceCollection c;
  c.netns = "current";
  Snapshot s;
  for (uint32_t i = 0; i < 10000; ++i) {
    ListenerQueue l;
    l.address = *IpAddress::Parse("127.0.0.1");
    l.port = static_cast<uint16_t>(1 + i);
    l.inode = i + 1;
    l.backlog = 128;
    l.accept_queue = i % 129;
    s.listeners.push_back(l);
    DestinationPorts d;
    d.local = *IpAddress::Parse("10.0.0.1");
    d.remote = *IpAddress::Parse("10.1.0.1");
    d.remote_port = static_cast<uint16_t>(1 + i);
    d.in_use = 10000 - i;
    d.range_size = 28232;
    s.destinations.push_back(d);
    ProcessSnapshot p;
    p.info.pid = static_cast<int32_t>(100 + i);
    p.info.comm = "worker";
    p.info.details_read = true;
    p.info.nofile_soft = 1024;
    p.states.Add(TcpState::kEstablished, i % 50);
    p.states.Add(TcpState::kCloseWait, i % 7);
    s.processes.push_back(p);
    Finding f;
    f.id = "close-wait-leak";
    f.severity = Severity::kWarning;
    f.subject = "worker[" + std::to_string(100 + i) + "]";
    c.findings.push_back(f);
  }
  s.owners_known = true;
  c.snapshot = std::move(s);
  return c;
}

void BM_RenderMetricsLongLists(benchmark::State& state) {
  const std::vector<NamespaceCollection> namespaces{LongLists()};
  const ExporterFacts facts{"0", 1, 0};
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = RenderMetrics(namespaces, facts, MetricsLimits{});
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderMetricsLongLists)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tcpdoctor

BENCHMARK_MAIN();
