// The text and JSON of `listeners`, `ports` and `counters` (present/*_view) on small hand-made
// inputs: columns that depend on -i, notes (FULL, capped, "?" for an unknown backlog), the
// ports header and footers, and sockstat's mem converted from pages.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "collect/proc_net_counters.h"
#include "present/counters_view.h"
#include "present/listeners_view.h"
#include "present/ports_view.h"

namespace tcpdoctor {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

// The words of the first line that starts with `prefix`; empty when there is none.
std::vector<std::string> RowWords(const std::string& text, const std::string& prefix) {
  for (const std::string& line : Lines(text)) {
    if (line.starts_with(prefix)) return Words(line);
  }
  return {};
}

bool HasLine(const std::string& text, const std::string& wanted) {
  for (const std::string& line : Lines(text)) {
    if (line == wanted) return true;
  }
  return false;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- listeners --------------------------------------------------------------------------------

ListenerQueue Listener(const char* address, uint16_t port, uint32_t accept_queue, uint32_t backlog,
                       uint32_t syn_recv = 0) {
  ListenerQueue l;
  l.address = *IpAddress::Parse(address);
  l.port = port;
  l.accept_queue = accept_queue;
  l.backlog = backlog;
  l.syn_recv = syn_recv;
  l.uid = 1000;
  l.inode = 77;
  l.samples = 1;
  l.peak_accept_queue = accept_queue;
  return l;
}

std::vector<ListenerQueue> ThreeListeners() {
  std::vector<ListenerQueue> listeners = {
      // listen(100000) capped to somaxconn 4096, and 4097 waiting: full (it holds 4097).
      Listener("0.0.0.0", 80, 4097, 4096, 3),
      Listener("::", 443, 2, 3),  // 2 of 4; no process we can read holds it
      Listener("127.0.0.1", 8080, 0, 4096),
  };
  // A master and two workers share port 80; one process holds 8080.
  listeners[0].owner_pid = 100;
  listeners[0].owner_comm = "nginx";
  listeners[0].owner_processes = 3;
  listeners[2].owner_pid = 7;
  listeners[2].owner_comm = "java";
  listeners[2].owner_processes = 1;
  return listeners;
}

ListenDropSummary Summary() {
  ListenDropSummary s;
  s.somaxconn = 4096;
  s.listen_overflows = 12;
  s.listen_drops = 15;
  return s;
}

TEST(Issue4ViewsTest, ListenersTextRowsAndNotes) {
  const std::string text = ListenersText(ThreeListeners(), Summary());
  const std::vector<std::string> lines = Lines(text);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(Words(lines[0]), (std::vector<std::string>{"LOCAL", "ACCEPTQ", "BACKLOG", "FILL",
                                                       "SYN_RECV", "NOTE", "OWNER"}));
  EXPECT_EQ(RowWords(text, "0.0.0.0:80"),
            (std::vector<std::string>{"0.0.0.0:80", "4097", "4096", "100%", "3", "FULL,capped",
                                      "nginx[100]", "+2"}));
  EXPECT_EQ(RowWords(text, "[::]:443"),
            (std::vector<std::string>{"[::]:443", "2", "3", "50%", "0", "uid", "1000,", "process",
                                      "not", "visible"}));
  EXPECT_EQ(
      RowWords(text, "127.0.0.1:8080"),
      (std::vector<std::string>{"127.0.0.1:8080", "0", "4096", "0%", "0", "capped", "java[7]"}));
  EXPECT_TRUE(HasLine(text, "somaxconn 4096; ListenOverflows 12; ListenDrops 15")) << text;
  EXPECT_TRUE(Contains(text, "the queue holds BACKLOG+1")) << text;
  // The rows come in the order given, after the header.
  EXPECT_TRUE(lines[1].starts_with("0.0.0.0:80"));
  EXPECT_TRUE(lines[2].starts_with("[::]:443"));
  EXPECT_TRUE(lines[3].starts_with("127.0.0.1:8080"));
}

TEST(Issue4ViewsTest, ListenersTextWithoutSomaxconnHasNoCap) {
  ListenDropSummary s = Summary();
  s.somaxconn.reset();
  s.listen_overflows.reset();
  s.listen_drops.reset();
  const std::string text = ListenersText(ThreeListeners(), s);
  EXPECT_EQ(RowWords(text, "0.0.0.0:80")[5], "FULL");
  EXPECT_EQ(RowWords(text, "127.0.0.1:8080"),
            (std::vector<std::string>{"127.0.0.1:8080", "0", "4096", "0%", "0", "java[7]"}));
  EXPECT_TRUE(HasLine(text, "somaxconn n/a; ListenOverflows n/a; ListenDrops n/a")) << text;
  // A negative somaxconn is not a cap either.
  s.somaxconn = -1;
  EXPECT_EQ(RowWords(ListenersText(ThreeListeners(), s), "0.0.0.0:80")[5], "FULL");
}

TEST(Issue4ViewsTest, ListenersTextUnknownBacklogShowsQuestionMarks) {
  ListenerQueue l = Listener("0.0.0.0", 80, 5, 0);
  l.backlog_known = false;
  const std::string text = ListenersText({l}, Summary());
  // No FULL although 5 > 0: the 0 is not a backlog.
  EXPECT_EQ(RowWords(text, "0.0.0.0:80"),
            (std::vector<std::string>{"0.0.0.0:80", "5", "?", "?", "0", "uid", "1000,", "process",
                                      "not", "visible"}));
}

TEST(Issue4ViewsTest, ListenersTextWithAnInterval) {
  std::vector<ListenerQueue> listeners = ThreeListeners();
  listeners[0].peak_accept_queue = 4097;
  listeners[0].samples = 11;
  listeners[0].samples_full = 4;
  listeners[1].samples = 11;
  listeners[1].peak_accept_queue = 3;
  ListenDropSummary s = Summary();
  s.interval_seconds = 5;
  s.listen_overflows_delta = 3;
  s.listen_drops_delta = 4;
  const std::string text = ListenersText(listeners, s);
  EXPECT_EQ(Words(Lines(text)[0]),
            (std::vector<std::string>{"LOCAL", "ACCEPTQ", "BACKLOG", "FILL", "PEAK", "FULL",
                                      "SYN_RECV", "NOTE", "OWNER"}));
  EXPECT_EQ(RowWords(text, "0.0.0.0:80"),
            (std::vector<std::string>{"0.0.0.0:80", "4097", "4096", "100%", "4097", "4/11", "3",
                                      "FULL,capped", "nginx[100]", "+2"}));
  EXPECT_EQ(RowWords(text, "[::]:443"),
            (std::vector<std::string>{"[::]:443", "2", "3", "50%", "3", "0/11", "0", "uid", "1000,",
                                      "process", "not", "visible"}));
  EXPECT_TRUE(HasLine(text,
                      "somaxconn 4096; ListenOverflows 12 (+3, 0.60/s); ListenDrops 15 (+4, "
                      "0.80/s) over 5.00 s"))
      << text;
}

TEST(Issue4ViewsTest, ListenersTextWithNoListeners) {
  const std::string text = ListenersText({}, Summary());
  EXPECT_EQ(text, "no listening TCP sockets\nsomaxconn 4096; ListenOverflows 12; ListenDrops 15\n");
}

TEST(Issue4ViewsTest, ListenersJson) {
  std::vector<ListenerQueue> listeners = ThreeListeners();
  ListenerQueue unknown = Listener("10.0.0.1", 9000, 5, 0);
  unknown.backlog_known = false;
  listeners.push_back(unknown);
  const nlohmann::ordered_json j = ListenersJson(listeners, Summary());
  ASSERT_TRUE(j["listeners"].is_array());
  ASSERT_EQ(j["listeners"].size(), 4u);
  const auto& full = j["listeners"][0];
  EXPECT_EQ(full["address"], "0.0.0.0");
  EXPECT_EQ(full["port"], 80);
  EXPECT_EQ(full["accept_queue"], 4097);
  EXPECT_EQ(full["backlog"], 4096);
  EXPECT_DOUBLE_EQ(full["fill_percent"].get<double>(), 100.0);
  EXPECT_EQ(full["full"], true);
  EXPECT_EQ(full["capped_by_somaxconn"], true);
  EXPECT_EQ(full["syn_recv"], 3);
  EXPECT_EQ(full["uid"], 1000);
  EXPECT_EQ(full["inode"], 77);
  EXPECT_FALSE(full.contains("peak_accept_queue"));  // only with -i
  EXPECT_FALSE(full.contains("samples"));
  const auto& v6 = j["listeners"][1];
  EXPECT_EQ(v6["address"], "::");  // no brackets in JSON
  EXPECT_DOUBLE_EQ(v6["fill_percent"].get<double>(), 50.0);
  EXPECT_EQ(v6["full"], false);
  EXPECT_EQ(v6["capped_by_somaxconn"], false);
  const auto& unknown_json = j["listeners"][3];
  EXPECT_TRUE(unknown_json["backlog"].is_null());
  EXPECT_TRUE(unknown_json["fill_percent"].is_null());
  EXPECT_EQ(unknown_json["full"], false);
  EXPECT_EQ(unknown_json["capped_by_somaxconn"], false);
  EXPECT_EQ(unknown_json["accept_queue"], 5);
  EXPECT_EQ(j["somaxconn"], 4096);
  EXPECT_TRUE(j["interval_seconds"].is_null());
  EXPECT_EQ(j["listen_overflows"], 12);
  EXPECT_EQ(j["listen_drops"], 15);
  EXPECT_TRUE(j["listen_overflows_delta"].is_null());
  EXPECT_TRUE(j["listen_drops_delta"].is_null());
}

TEST(Issue4ViewsTest, ListenersJsonWithAnInterval) {
  std::vector<ListenerQueue> listeners = ThreeListeners();
  listeners[0].samples = 11;
  listeners[0].samples_full = 4;
  ListenDropSummary s = Summary();
  s.interval_seconds = 5;
  s.listen_overflows_delta = 3;
  s.listen_drops_delta = 4;
  const nlohmann::ordered_json j = ListenersJson(listeners, s);
  EXPECT_EQ(j["listeners"][0]["peak_accept_queue"], 4097);
  EXPECT_EQ(j["listeners"][0]["samples_full"], 4);
  EXPECT_EQ(j["listeners"][0]["samples"], 11);
  EXPECT_DOUBLE_EQ(j["interval_seconds"].get<double>(), 5.0);
  EXPECT_EQ(j["listen_overflows_delta"], 3);
  EXPECT_EQ(j["listen_drops_delta"], 4);
}

// --- ports ----------------------------------------------------------------------------------

DestinationPorts Destination(const char* local, const char* remote, uint16_t rport, uint64_t in_use,
                             uint64_t time_wait, uint32_t range) {
  DestinationPorts d;
  d.local = *IpAddress::Parse(local);
  d.remote = *IpAddress::Parse(remote);
  d.remote_port = rport;
  d.in_use = in_use;
  d.time_wait = time_wait;
  d.range_size = range;
  return d;
}

PortsReport ThreeDestinations() {
  PortsReport r;  // default settings: 32768-60999, 28232 ports, tw_reuse 2, timestamps on
  DestinationPorts a = Destination("10.0.0.1", "10.0.0.2", 80, 14116, 14000, 28232);  // 50%
  a.rate_per_second = 233.3;
  a.sustainable_rate_per_second = 28116.0 / 60;  // 468.6
  a.bind_parity = 1;
  DestinationPorts b = Destination("::1", "::1", 5432, 100, 90, 28232);
  b.rate_per_second = 1.5;
  b.sustainable_rate_per_second = 28222;
  b.time_wait_reusable = true;
  DestinationPorts c = Destination("10.0.0.1", "10.0.0.3", 443, 10, 0, 28232);
  c.bind_parity = 2;
  r.destinations = {a, b, c};
  r.shown = 2;
  return r;
}

TEST(Issue4ViewsTest, PortsTextHeaderTableAndFooters) {
  const std::string text = PortsText(ThreeDestinations());
  const std::vector<std::string> lines = Lines(text);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "ip_local_port_range 32768-60999: 28232 usable ports per destination (0 reserved); "
            "tcp_tw_reuse 2 (loopback only), timestamps on");
  EXPECT_EQ(Words(lines[1]), (std::vector<std::string>{"DESTINATION", "IN_USE", "TIME_WAIT", "USED",
                                                       "NEW/s", "MAX/s", "TW_REUSE"}));
  EXPECT_EQ(RowWords(text, "10.0.0.1 -> 10.0.0.2:80"),
            (std::vector<std::string>{"10.0.0.1", "->", "10.0.0.2:80", "14116", "14000", "50.0%",
                                      "233.3", "469", "no"}));
  EXPECT_EQ(RowWords(text, "::1 -> [::1]:5432"),
            (std::vector<std::string>{"::1", "->", "[::1]:5432", "100", "90", "0.4%", "1.5",
                                      "28222", "yes"}));
  // -n 2: the third is summarised, not shown.
  EXPECT_TRUE(RowWords(text, "10.0.0.1 -> 10.0.0.3:443").empty());
  EXPECT_TRUE(HasLine(text, "(1 more destination; -n to see them)")) << text;
  // The bind-parity note counts every destination, shown or not: 1 + 2.
  EXPECT_TRUE(Contains(text, "3 sockets use ports of the parity bind() prefers")) << text;
  EXPECT_TRUE(Contains(text, "IP_BIND_ADDRESS_NO_PORT"));
  EXPECT_TRUE(Contains(text, "NEW/s: connections closed by us in the last 60 s")) << text;
}

TEST(Issue4ViewsTest, PortsTextSettingsVariants) {
  PortsReport r;
  r.settings.range_low = 1000;
  r.settings.range_high = 1009;
  r.settings.reserved_in_range = 8;
  r.settings.tw_reuse = 0;
  r.settings.timestamps = false;
  EXPECT_EQ(PortsText(r),
            "ip_local_port_range 1000-1009: 2 usable ports per destination (8 reserved); "
            "tcp_tw_reuse 0 (off), timestamps off\n"
            "no outgoing connections from the ephemeral range\n");
  r.settings.tw_reuse = 1;
  EXPECT_TRUE(Contains(PortsText(r), "tcp_tw_reuse 1 (on), timestamps off"));
}

TEST(Issue4ViewsTest, PortsTextAllShownAndNoBindParity) {
  PortsReport r = ThreeDestinations();
  for (DestinationPorts& d : r.destinations) d.bind_parity = 0;
  r.shown = 10;
  const std::string text = PortsText(r);
  EXPECT_FALSE(Contains(text, "more destinations")) << text;
  EXPECT_FALSE(Contains(text, "parity")) << text;
  EXPECT_EQ(RowWords(text, "10.0.0.1 -> 10.0.0.3:443"),
            (std::vector<std::string>{"10.0.0.1", "->", "10.0.0.3:443", "10", "0", "0.0%", "0.0",
                                      "0", "no"}));
}

TEST(Issue4ViewsTest, PortsTextWithAnInterval) {
  PortsReport r = ThreeDestinations();
  r.shown = 3;
  r.interval_seconds = 5;
  r.rate_window_seconds = 5;
  r.destinations[0].net_growth_per_second = 10;
  r.destinations[0].seconds_to_exhaustion = 600;  // 10 minutes
  r.destinations[1].net_growth_per_second = -2.5;
  r.destinations[2].net_growth_per_second = 0.5;
  r.destinations[2].seconds_to_exhaustion = 9000;  // 2.5 hours
  const std::string text = PortsText(r);
  EXPECT_EQ(Words(Lines(text)[1]),
            (std::vector<std::string>{"DESTINATION", "IN_USE", "TIME_WAIT", "USED", "NEW/s",
                                      "MAX/s", "TW_REUSE", "GROWTH/s", "FULL_IN"}));
  const std::vector<std::string> a = RowWords(text, "10.0.0.1 -> 10.0.0.2:80");
  ASSERT_EQ(a.size(), 11u);
  EXPECT_EQ(a[9], "+10.0");
  EXPECT_EQ(a[10], "10m");
  const std::vector<std::string> b = RowWords(text, "::1 -> [::1]:5432");
  ASSERT_EQ(b.size(), 11u);
  EXPECT_EQ(b[9], "-2.5");
  EXPECT_EQ(b[10], "-");  // shrinking: never runs out
  const std::vector<std::string> c = RowWords(text, "10.0.0.1 -> 10.0.0.3:443");
  ASSERT_EQ(c.size(), 11u);
  EXPECT_EQ(c[9], "+0.5");
  EXPECT_EQ(c[10], "2.5h");
  EXPECT_TRUE(Contains(text, "in the last 5 s")) << text;

  r.destinations[0].seconds_to_exhaustion = 90;
  EXPECT_EQ(RowWords(PortsText(r), "10.0.0.1 -> 10.0.0.2:80")[10], "90s");
}

TEST(Issue4ViewsTest, PortsJson) {
  const nlohmann::ordered_json j = PortsJson(ThreeDestinations());
  EXPECT_EQ(j["range"]["low"], 32768);
  EXPECT_EQ(j["range"]["high"], 60999);
  EXPECT_EQ(j["reserved_in_range"], 0);
  EXPECT_EQ(j["usable_ports"], 28232);
  EXPECT_EQ(j["tcp_tw_reuse"], 2);
  EXPECT_EQ(j["timestamps"], true);
  EXPECT_DOUBLE_EQ(j["tw_reuse_delay_seconds"].get<double>(), 1.0);
  EXPECT_TRUE(j["interval_seconds"].is_null());
  ASSERT_EQ(j["destinations"].size(), 2u);  // as shown
  EXPECT_EQ(j["other_destinations"], 1);
  const auto& a = j["destinations"][0];
  EXPECT_EQ(a["local"], "10.0.0.1");
  EXPECT_EQ(a["remote"], "10.0.0.2");
  EXPECT_EQ(a["remote_port"], 80);
  EXPECT_EQ(a["in_use"], 14116);
  EXPECT_EQ(a["time_wait"], 14000);
  EXPECT_EQ(a["range_size"], 28232);
  EXPECT_DOUBLE_EQ(a["percent_used"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(a["new_per_second"].get<double>(), 233.3);
  EXPECT_DOUBLE_EQ(a["sustainable_per_second"].get<double>(), 28116.0 / 60);
  EXPECT_EQ(a["time_wait_reusable"], false);
  EXPECT_TRUE(a["growth_per_second"].is_null());
  EXPECT_TRUE(a["seconds_to_exhaustion"].is_null());
  EXPECT_EQ(a["bind_parity_sockets"], 1);
  EXPECT_EQ(j["destinations"][1]["remote"], "::1");
  EXPECT_EQ(j["destinations"][1]["time_wait_reusable"], true);
}

TEST(Issue4ViewsTest, PortsJsonWithAnInterval) {
  PortsReport r = ThreeDestinations();
  r.interval_seconds = 5;
  r.destinations[0].net_growth_per_second = 10;
  r.destinations[0].seconds_to_exhaustion = 1411.6;
  const nlohmann::ordered_json j = PortsJson(r);
  EXPECT_DOUBLE_EQ(j["interval_seconds"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(j["destinations"][0]["growth_per_second"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["destinations"][0]["seconds_to_exhaustion"].get<double>(), 1411.6);
  EXPECT_TRUE(j["destinations"][1]["seconds_to_exhaustion"].is_null());
}

// --- counters -------------------------------------------------------------------------------

std::vector<CounterRow> SomeRows(bool with_deltas) {
  CounterRow overflows;
  overflows.key = "TcpExt.ListenOverflows";
  overflows.value = 12;
  overflows.meaning = "accept queue full";
  CounterRow tw;
  tw.key = "TcpExt.TW";
  tw.value = 5000;
  tw.meaning = "entered TIME_WAIT";
  CounterRow estab;
  estab.key = "Tcp.CurrEstab";
  estab.value = 2;
  estab.is_gauge = true;
  estab.meaning = "connections now in ESTABLISHED or CLOSE_WAIT";
  CounterRow max_conn;
  max_conn.key = "Tcp.MaxConn";
  max_conn.value = std::numeric_limits<uint64_t>::max();  // -1
  max_conn.negative = true;
  max_conn.is_gauge = true;
  CounterRow other;
  other.key = "IpExt.InOctets";
  other.value = 1500;
  if (with_deltas) {
    overflows.delta = 5;
    overflows.rate_per_second = 1.25;
    tw.delta = 1000;
    tw.rate_per_second = 250;
  }
  return {overflows, tw, estab, max_conn, other};
}

Sockstat SomeSockstat() {
  auto v4 = ParseSockstat(
      "sockets: used 40\n"
      "TCP: inuse 5 orphan 0 tw 2 alloc 8 mem 3\n"
      "UDP: inuse 1 mem 2\n");
  auto v6 = ParseSockstat("TCP6: inuse 2\nUDP6: inuse 0\n");
  EXPECT_TRUE(v4.ok() && v6.ok());
  Sockstat s = *v4;
  for (const SockstatLine& line : v6->lines) s.lines.push_back(line);
  return s;
}

TEST(Issue4ViewsTest, CountersTextWithoutAnInterval) {
  const std::string text = CountersText(SomeRows(false), std::nullopt, SomeSockstat(), 4096);
  const std::vector<std::string> lines = Lines(text);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(Words(lines[0]), (std::vector<std::string>{"COUNTER", "VALUE", "MEANING"}));
  EXPECT_EQ(RowWords(text, "TcpExt.ListenOverflows"),
            (std::vector<std::string>{"TcpExt.ListenOverflows", "12", "accept", "queue", "full"}));
  EXPECT_EQ(RowWords(text, "Tcp.MaxConn"),
            (std::vector<std::string>{"Tcp.MaxConn", "-1", "(a", "level,", "not", "a", "count)"}));
  EXPECT_EQ(RowWords(text, "IpExt.InOctets"), (std::vector<std::string>{"IpExt.InOctets", "1500"}));
  EXPECT_FALSE(Contains(text, "DELTA"));
  EXPECT_FALSE(Contains(text, "RATE/s"));
  EXPECT_FALSE(Contains(text, "over "));
  // sockstat: TCP and TCP6 only; mem in pages and KiB (3 pages of 4 KiB).
  EXPECT_TRUE(HasLine(text, "sockstat TCP: inuse 5 orphan 0 tw 2 alloc 8 mem 3 pages (12 KiB)"))
      << text;
  EXPECT_TRUE(HasLine(text, "sockstat TCP6: inuse 2")) << text;
  EXPECT_FALSE(Contains(text, "UDP"));
  EXPECT_FALSE(Contains(text, "sockets: used"));
}

TEST(Issue4ViewsTest, CountersTextWithAnInterval) {
  const std::string text = CountersText(SomeRows(true), 4.0, SomeSockstat(), 16384);
  EXPECT_EQ(Words(Lines(text)[0]),
            (std::vector<std::string>{"COUNTER", "VALUE", "DELTA", "RATE/s", "MEANING"}));
  EXPECT_EQ(RowWords(text, "TcpExt.ListenOverflows"),
            (std::vector<std::string>{"TcpExt.ListenOverflows", "12", "5", "1.25", "accept",
                                      "queue", "full"}));
  EXPECT_EQ(RowWords(text, "TcpExt.TW"),
            (std::vector<std::string>{"TcpExt.TW", "5000", "1000", "250", "entered", "TIME_WAIT"}));
  const std::vector<std::string> estab = RowWords(text, "Tcp.CurrEstab");
  ASSERT_GE(estab.size(), 4u);
  EXPECT_EQ(estab[1], "2");
  EXPECT_EQ(estab[2], "-");  // a level: no delta
  EXPECT_EQ(estab[3], "-");
  EXPECT_EQ(RowWords(text, "IpExt.InOctets"),
            (std::vector<std::string>{"IpExt.InOctets", "1500", "-", "-"}));
  EXPECT_TRUE(HasLine(text, "over 4.00 s")) << text;
  // 3 pages of 16 KiB.
  EXPECT_TRUE(HasLine(text, "sockstat TCP: inuse 5 orphan 0 tw 2 alloc 8 mem 3 pages (48 KiB)"))
      << text;
}

TEST(Issue4ViewsTest, CountersJson) {
  const nlohmann::ordered_json j = CountersJson(SomeRows(true), 4.0, SomeSockstat(), 4096);
  EXPECT_DOUBLE_EQ(j["interval_seconds"].get<double>(), 4.0);
  ASSERT_EQ(j["counters"].size(), 5u);
  const auto& overflows = j["counters"][0];
  EXPECT_EQ(overflows["name"], "TcpExt.ListenOverflows");
  EXPECT_EQ(overflows["value"], 12);
  EXPECT_EQ(overflows["delta"], 5);
  EXPECT_DOUBLE_EQ(overflows["rate_per_second"].get<double>(), 1.25);
  EXPECT_EQ(overflows["gauge"], false);
  EXPECT_EQ(overflows["meaning"], "accept queue full");
  const auto& estab = j["counters"][2];
  EXPECT_EQ(estab["gauge"], true);
  EXPECT_TRUE(estab["delta"].is_null());
  EXPECT_TRUE(estab["rate_per_second"].is_null());
  const auto& max_conn = j["counters"][3];
  EXPECT_EQ(max_conn["name"], "Tcp.MaxConn");
  EXPECT_EQ(max_conn["value"].get<int64_t>(), -1);
  EXPECT_TRUE(max_conn["value"].is_number_integer());
  // sockstat: every line, mem also in bytes.
  const auto& stat = j["sockstat"];
  EXPECT_EQ(stat["sockets"]["used"], 40);
  EXPECT_EQ(stat["TCP"]["inuse"], 5);
  EXPECT_EQ(stat["TCP"]["tw"], 2);
  EXPECT_EQ(stat["TCP"]["mem"], 3);
  EXPECT_EQ(stat["TCP"]["mem_bytes"], 3 * 4096);
  EXPECT_EQ(stat["UDP"]["mem_bytes"], 2 * 4096);
  EXPECT_EQ(stat["TCP6"]["inuse"], 2);
  EXPECT_FALSE(stat["TCP6"].contains("mem_bytes"));
}

TEST(Issue4ViewsTest, CountersJsonWithoutAnInterval) {
  const nlohmann::ordered_json j = CountersJson(SomeRows(false), std::nullopt, Sockstat{}, 4096);
  EXPECT_TRUE(j["interval_seconds"].is_null());
  for (const auto& c : j["counters"]) {
    EXPECT_TRUE(c["delta"].is_null()) << c["name"];
    EXPECT_TRUE(c["rate_per_second"].is_null()) << c["name"];
  }
  EXPECT_TRUE(j["sockstat"].is_object());
  EXPECT_TRUE(j["sockstat"].empty());
}

}  // namespace
}  // namespace tcpdoctor
