// RenderMetrics against docs/metrics.md, family by family: values and labels for a known
// snapshot in two namespaces (and a third whose snapshot failed), the top-N cuts and their
// "other" series, one HELP/TYPE per family, and what is absent when a step failed.
#include "present/metrics_view.h"

#include <gtest/gtest.h>

#include <set>

#include "exposition.h"
#include "metrics_view_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::BlueCollection;
using test_util::Collected;
using test_util::Exposition;
using test_util::FailedCollection;
using test_util::kExporter;
using test_util::Labels;
using test_util::ParseExposition;
using test_util::RichCollection;
using test_util::SmallLimits;

class MetricsViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = RenderMetrics({RichCollection(), BlueCollection(), FailedCollection()}, kExporter,
                          SmallLimits());
    expo_ = ParseExposition(text_);
  }
  std::string V(const std::string& name, const Labels& labels) const {
    return expo_.Value(name, labels).value_or("absent");
  }
  size_t Count(const std::string& name, const Labels& match = {}) const {
    return expo_.Find(name, match).size();
  }

  std::string text_;
  Exposition expo_;
};

TEST_F(MetricsViewTest, EachFamilyHasOneHelpAndTypeBeforeItsSamplesTogether) {
  ASSERT_FALSE(expo_.samples.empty());
  std::map<std::string, std::pair<size_t, size_t>> span;  // first and last line of samples
  for (const auto& s : expo_.samples) {
    auto [it, fresh] = span.emplace(s.name, std::make_pair(s.line, s.line));
    it->second.second = s.line;
  }
  for (const auto& [name, lines] : span) {
    EXPECT_EQ(expo_.help_lines[name], 1) << name;
    EXPECT_EQ(expo_.type_lines[name], 1) << name;
    EXPECT_FALSE(expo_.help[name].empty()) << name;
    EXPECT_EQ(expo_.type_line[name] + 1, lines.first) << name << ": TYPE not right before";
    EXPECT_EQ(lines.second - lines.first + 1, Count(name)) << name << ": samples interleaved";
  }
  // No family without samples.
  for (const auto& [name, n] : expo_.type_lines) EXPECT_TRUE(span.contains(name)) << name;
  // Several namespaces share one family.
  EXPECT_EQ(Count("tcpdoctor_tcp_sockets", {{"netns", "current"}}), 11u);
  EXPECT_EQ(Count("tcpdoctor_tcp_sockets", {{"netns", "blue"}}), 11u);
}

TEST_F(MetricsViewTest, EverySeriesIsUnique) {
  std::set<std::pair<std::string, Labels>> seen;
  for (const auto& s : expo_.samples) {
    EXPECT_TRUE(seen.insert({s.name, s.labels}).second) << "line " << s.line;
  }
}

TEST_F(MetricsViewTest, SocketStatesEveryOneZerosIncluded) {
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "established"}}), "40");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "time_wait"}}), "11");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "syn_recv"}}), "3");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "fin_wait1"}}), "0");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "blue"}, {"state", "established"}}), "1");
  std::set<std::string> states;
  for (const auto* s : expo_.Find("tcpdoctor_tcp_sockets", {{"netns", "blue"}})) {
    states.insert(s->labels.at("state"));
  }
  EXPECT_EQ(states, (std::set<std::string>{"established", "syn_sent", "syn_recv", "fin_wait1",
                                           "fin_wait2", "time_wait", "close", "close_wait",
                                           "last_ack", "listen", "closing"}));
}

TEST_F(MetricsViewTest, ListenersFullestFirstReuseportMergedRestInOther) {
  const std::string q = "tcpdoctor_listener_accept_queue_connections";
  const std::string max = "tcpdoctor_listener_accept_queue_max_connections";
  const std::string syn = "tcpdoctor_listener_syn_recv_connections";
  const Labels full{{"netns", "current"}, {"address", "::"}, {"port", "443"}, {"process", "slow"}};
  const Labels nginx{
      {"netns", "current"}, {"address", "0.0.0.0"}, {"port", "80"}, {"process", "nginx"}};
  const Labels other{
      {"netns", "current"}, {"address", "other"}, {"port", "other"}, {"process", "other"}};
  EXPECT_EQ(V(q, full), "129");
  EXPECT_EQ(V(max, full), "128");
  EXPECT_EQ(V(syn, full), "0");
  // Both nginx sockets in one series, although the second ranks past the cut.
  EXPECT_EQ(V(q, nginx), "8");
  EXPECT_EQ(V(max, nginx), "1022");
  EXPECT_EQ(V(syn, nginx), "3");
  // The ownerless listener on 9000 is the rest.
  EXPECT_EQ(V(q, other), "0");
  EXPECT_EQ(V(max, other), "4096");
  EXPECT_EQ(V(syn, other), "0");
  EXPECT_EQ(Count(q, {{"netns", "current"}}), 3u);
  // In rank order.
  const auto rows = expo_.Find(q, {{"netns", "current"}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->labels.at("port"), "443");
  EXPECT_EQ(rows[1]->labels.at("port"), "80");
  EXPECT_EQ(rows[2]->labels.at("port"), "other");
  EXPECT_EQ(Count(q, {{"netns", "blue"}}), 0u);
}

TEST_F(MetricsViewTest, AListenerWithoutReadableOwnerHasAnEmptyProcess) {
  MetricsLimits all = SmallLimits();
  all.top_listeners = 10;
  const Exposition e = ParseExposition(RenderMetrics({RichCollection()}, kExporter, all));
  EXPECT_EQ(
      e.Value("tcpdoctor_listener_accept_queue_max_connections",
              {{"netns", "current"}, {"address", "127.0.0.1"}, {"port", "9000"}, {"process", ""}}),
      "4096");
  EXPECT_TRUE(e.Find("tcpdoctor_listener_syn_recv_connections", {{"port", "other"}}).empty());
}

TEST_F(MetricsViewTest, BacklogUnknownOnTheProcPathLeavesMaxAbsent) {
  NamespaceCollection c = RichCollection();
  for (ListenerQueue& l : c.snapshot->listeners) l.backlog_known = false;
  const Exposition e = ParseExposition(RenderMetrics({c}, kExporter, SmallLimits()));
  EXPECT_TRUE(e.Find("tcpdoctor_listener_accept_queue_max_connections").empty());
  // Ranked by SYN_RECV then queue length instead: nginx (3 SYN_RECV) first, then ::443.
  const auto rows = e.Find("tcpdoctor_listener_accept_queue_connections");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->labels.at("port"), "80");
  EXPECT_EQ(rows[1]->labels.at("port"), "443");
  EXPECT_EQ(rows[2]->labels.at("port"), "other");
}

TEST_F(MetricsViewTest, DestinationsMostUsedFirstRestInOther) {
  const Labels top{{"netns", "current"},
                   {"local_address", "10.0.0.1"},
                   {"remote_address", "10.0.0.9"},
                   {"remote_port", "5432"}};
  const Labels other{{"netns", "current"},
                     {"local_address", "other"},
                     {"remote_address", "other"},
                     {"remote_port", "other"}};
  EXPECT_EQ(V("tcpdoctor_destination_ephemeral_ports", top), "500");
  EXPECT_EQ(V("tcpdoctor_destination_time_wait_sockets", top), "400");
  EXPECT_EQ(V("tcpdoctor_destination_port_range_ports", top), "28232");
  EXPECT_EQ(V("tcpdoctor_destination_ephemeral_ports", other), "35");
  EXPECT_EQ(V("tcpdoctor_destination_time_wait_sockets", other), "15");
  EXPECT_EQ(V("tcpdoctor_destination_port_range_ports", other), "28232");
  EXPECT_EQ(Count("tcpdoctor_destination_ephemeral_ports"), 2u);
}

TEST_F(MetricsViewTest, ListeningPortTimeWaitCutLikeListeners) {
  const std::string name = "tcpdoctor_listener_time_wait_sockets";
  EXPECT_EQ(V(name, {{"netns", "current"}, {"port", "80"}}), "7");
  EXPECT_EQ(V(name, {{"netns", "current"}, {"port", "443"}}), "3");
  EXPECT_EQ(V(name, {{"netns", "current"}, {"port", "other"}}), "1");
  EXPECT_EQ(Count(name), 3u);
}

TEST_F(MetricsViewTest, ProcessesRiskiestFirstWithFdFiguresAndOther) {
  const auto who = [](const char* pid, const char* comm) {
    return Labels{{"netns", "current"}, {"pid", pid}, {"comm", comm}};
  };
  const auto in_state = [&](const char* pid, const char* comm, const char* state) {
    Labels l = who(pid, comm);
    l["state"] = state;
    return l;
  };
  // leaker (88 % of nofile) first, then nginx, then java (unlimited), sshd in other.
  const auto rows = expo_.Find("tcpdoctor_process_close_wait_sockets", {{"netns", "current"}});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]->labels.at("comm"), "leaker");
  EXPECT_EQ(rows[1]->labels.at("comm"), "nginx");
  EXPECT_EQ(rows[2]->labels.at("comm"), "java");
  EXPECT_EQ(rows[3]->labels.at("comm"), "other");
  EXPECT_EQ(V("tcpdoctor_process_close_wait_sockets", who("200", "leaker")), "2");
  EXPECT_EQ(V("tcpdoctor_process_close_wait_sockets", who("100", "nginx")), "0");
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("200", "leaker", "close_wait")), "2");
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("100", "nginx", "established")), "30");
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("100", "nginx", "listen")), "2");
  // States a process has none in are left out.
  EXPECT_EQ(Count("tcpdoctor_process_sockets", who("100", "nginx")), 2u);
  EXPECT_EQ(V("tcpdoctor_process_open_fds", who("200", "leaker")), "900");
  EXPECT_EQ(V("tcpdoctor_process_max_fds", who("200", "leaker")), "1024");
  EXPECT_EQ(V("tcpdoctor_process_open_fds", who("300", "java")), "10");
  EXPECT_EQ(V("tcpdoctor_process_max_fds", who("300", "java")), "absent");  // unlimited
  // The rest: sshd's one socket, no fd figures.
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("other", "other", "established")), "1");
  EXPECT_EQ(V("tcpdoctor_process_close_wait_sockets", who("other", "other")), "0");
  EXPECT_EQ(V("tcpdoctor_process_open_fds", who("other", "other")), "absent");
  EXPECT_EQ(V("tcpdoctor_process_scan_age_seconds", {{"netns", "current"}}), "2.5");
  // The owner scan failed in blue: no process series at all.
  for (const char* name : {"tcpdoctor_process_sockets", "tcpdoctor_process_close_wait_sockets",
                           "tcpdoctor_process_scan_age_seconds"}) {
    EXPECT_EQ(Count(name, {{"netns", "blue"}}), 0u) << name;
  }
}

TEST_F(MetricsViewTest, KernelCountersAsTheyAreAbsentWhenMissing) {
  const Labels current{{"netns", "current"}};
  const Labels blue{{"netns", "blue"}};
  EXPECT_EQ(V("tcpdoctor_kernel_listen_overflows_total", current), "100");
  EXPECT_EQ(V("tcpdoctor_kernel_time_wait_total", current), "108");
  EXPECT_EQ(V("tcpdoctor_kernel_out_resets_total", current), "120");
  EXPECT_EQ(V("tcpdoctor_kernel_syn_retransmits_total", current), "121");
  EXPECT_EQ(V("tcpdoctor_kernel_retransmitted_segments_total", current), "9007199254740993");
  EXPECT_EQ(expo_.type.at("tcpdoctor_kernel_listen_overflows_total"), "counter");
  EXPECT_EQ(V("tcpdoctor_kernel_listen_overflows_total", blue), "7");
  EXPECT_EQ(V("tcpdoctor_kernel_listen_drops_total", blue), "absent");
  // Sockstat and file handles.
  EXPECT_EQ(V("tcpdoctor_sockstat_orphan_sockets", current), "3");
  EXPECT_EQ(V("tcpdoctor_sockstat_time_wait_sockets", current), "11");
  EXPECT_EQ(V("tcpdoctor_sockstat_memory_bytes", current), "49152");  // 12 pages
  EXPECT_EQ(V("tcpdoctor_sockstat_orphan_sockets", blue), "absent");  // no sockstat read
  EXPECT_EQ(V("tcpdoctor_host_allocated_files", current), "412");
}

TEST_F(MetricsViewTest, SysctlsInTheirUnitsAbsentWhereTheNamespaceLacksThem) {
  const Labels current{{"netns", "current"}};
  const Labels blue{{"netns", "blue"}};
  EXPECT_EQ(V("tcpdoctor_sysctl_somaxconn", current), "4096");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_syncookies", current), "1");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_tw_reuse", current), "2");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_tw_reuse_delay_seconds", current), "1.5");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_fin_timeout_seconds", current), "60");
  EXPECT_EQ(V("tcpdoctor_sysctl_ip_local_port_range_first", current), "32768");
  EXPECT_EQ(V("tcpdoctor_sysctl_ip_local_port_range_last", current), "60999");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_mem_pressure_bytes", current), std::to_string(383779LL * 4096));
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_mem_max_bytes", current), std::to_string(575664LL * 4096));
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_max_orphans", current), "131072");
  EXPECT_EQ(V("tcpdoctor_sysctl_fs_file_max", current), "2465610");
  EXPECT_EQ(V("tcpdoctor_sysctl_fs_nr_open", current), "1048576");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_orphan_retries", current), "0");
  // Global keys are missing inside a child namespace; 6.14's reuse delay on older kernels.
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_max_orphans", blue), "absent");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_mem_max_bytes", blue), "absent");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_tw_reuse_delay_seconds", blue), "absent");
  EXPECT_EQ(V("tcpdoctor_sysctl_somaxconn", blue), "4096");
}

TEST_F(MetricsViewTest, FindingsTopPerRuleRestCountedPerSeverity) {
  const auto finding = [](const char* rule, const char* severity, const char* subject) {
    return Labels{
        {"netns", "current"}, {"rule", rule}, {"severity", severity}, {"subject", subject}};
  };
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "critical", "leaker[200]")), "1");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "warning", "a[1]")), "1");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "warning", "b[2]")), "absent");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "warning", "other")), "1");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "info", "other")), "1");
  EXPECT_EQ(
      V("tcpdoctor_finding", finding("port-exhaustion", "warning", "10.0.0.1 -> 10.0.0.9:5432")),
      "1");
  EXPECT_EQ(Count("tcpdoctor_finding"), 5u);
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "current"}, {"severity", "critical"}}), "1");
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "current"}, {"severity", "warning"}}), "3");
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "current"}, {"severity", "info"}}), "1");
  // Blue's doctor ran and found nothing: zeros, which say "healthy".
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "blue"}, {"severity", "critical"}}), "0");
  EXPECT_EQ(Count("tcpdoctor_findings", {{"netns", "blue"}}), 3u);
  // The failed namespace has no findings figures, not zeros.
  EXPECT_EQ(Count("tcpdoctor_findings", {{"netns", "docker:0123456789ab"}}), 0u);
}

TEST_F(MetricsViewTest, ADoctorThatFailedLeavesNoFindingFigures) {
  NamespaceCollection c = BlueCollection();
  c.collectors = {{"doctor", false, 0.001, "rule crashed"}};
  const Exposition e = ParseExposition(RenderMetrics({c}, kExporter, SmallLimits()));
  EXPECT_TRUE(e.Find("tcpdoctor_findings").empty());
  EXPECT_EQ(
      e.Value("tcpdoctor_scrape_collector_success", {{"netns", "blue"}, {"collector", "doctor"}}),
      "0");
}

TEST_F(MetricsViewTest, CollectorsOfEveryNamespaceAFailedSnapshotIncluded) {
  const auto run = [](const char* netns, const char* collector) {
    return Labels{{"netns", netns}, {"collector", collector}};
  };
  const std::string ok = "tcpdoctor_scrape_collector_success";
  const std::string took = "tcpdoctor_scrape_collector_duration_seconds";
  EXPECT_EQ(V(ok, run("current", "sockets")), "1");
  EXPECT_EQ(V(took, run("current", "sockets")), "0.25");
  EXPECT_EQ(V(ok, run("current", "doctor")), "1");
  EXPECT_EQ(Count(ok, {{"netns", "current"}}), 5u);
  EXPECT_EQ(V(ok, run("blue", "processes")), "0");
  EXPECT_EQ(V(took, run("blue", "processes")), "0.5");
  EXPECT_EQ(V(ok, run("docker:0123456789ab", "sysctls")), "1");
  EXPECT_EQ(V(ok, run("docker:0123456789ab", "counters")), "0");
  EXPECT_EQ(V(took, run("docker:0123456789ab", "counters")), "0.004");
  // The failed namespace has nothing else.
  for (const auto& s : expo_.samples) {
    if (s.labels.count("netns") && s.labels.at("netns") == "docker:0123456789ab") {
      EXPECT_TRUE(s.name.starts_with("tcpdoctor_scrape_collector_")) << s.name;
    }
  }
  // The exporter's account wins over the snapshot's for the same collector.
  NamespaceCollection c = BlueCollection();
  c.collectors.push_back({"processes", true, 0.03, ""});
  const Exposition e = ParseExposition(RenderMetrics({c}, kExporter, SmallLimits()));
  EXPECT_EQ(e.Value(ok, run("blue", "processes")), "1");
  EXPECT_EQ(e.Value(took, run("blue", "processes")), "0.03");
}

TEST_F(MetricsViewTest, ExporterFactsOnceWithoutNetns) {
  EXPECT_EQ(V("tcpdoctor_exporter_collections_total", {}), "42");
  EXPECT_EQ(expo_.type.at("tcpdoctor_exporter_collections_total"), "counter");
  EXPECT_EQ(V("tcpdoctor_exporter_collection_timestamp_seconds", {}), "1767225600.25");
  EXPECT_EQ(V("tcpdoctor_build_info", {{"version", "0.1.0"}}), "1");
  // Even with no namespace at all.
  const Exposition e = ParseExposition(RenderMetrics({}, kExporter, MetricsLimits{}));
  EXPECT_EQ(e.samples.size(), 3u);
}

// 10,000 of every list: at most the top N series per family and netns plus one "other", and the
}  // namespace
}  // namespace tcpdoctor
