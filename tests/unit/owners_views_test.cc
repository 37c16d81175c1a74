// Rendering of the owner and namespace views: `procs` (ProcsText/ProcsJson), `states
// --all-netns` (StatesByNetnsText), NetnsJson and NetnsLabel. Expected outputs are written out
// by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collect/netns_inventory.h"
#include "present/netns_view.h"
#include "present/procs_view.h"
#include "present/states_view.h"

namespace tcpdoctor {
namespace {

using Json = nlohmann::ordered_json;

StateCounts Counts(std::initializer_list<std::pair<TcpState, uint64_t>> parts) {
  StateCounts c;
  for (const auto& [s, n] : parts) c.Add(s, n);
  return c;
}

// java 4242: 1002 sockets (1000 CLOSE_WAIT), 1010 of 1024 fds. redis 77: 4 sockets, limits
// unreadable, no user name. 12 TIME_WAIT and 7 orphans no process holds.
class ProcsReportWorld {
 public:
  ProcsReportWorld() {
    java.pid = 4242;
    java.comm = "java";
    java.uid = 998;
    java.user = "tomcat";
    java.unit = "tomcat.service";
    java.cmdline = "/usr/bin/java -jar app.jar";
    java.open_fds = 1010;
    java.nofile_soft = 1024;
    java.nofile_hard = 4096;
    java.details_read = true;

    redis.pid = 77;
    redis.comm = "redis-server";
    redis.uid = 1001;
    redis.cmdline = "redis-server *:6379";
    redis.open_fds = 12;
    redis.details_read = true;

    report.rows.push_back(
        {"current", &java,
         Counts(
             {{TcpState::kEstablished, 1}, {TcpState::kCloseWait, 1000}, {TcpState::kListen, 1}})});
    report.rows.push_back(
        {"blue", &redis, Counts({{TcpState::kEstablished, 3}, {TcpState::kListen, 1}})});
    report.no_owner[static_cast<int>(NoOwner::kTimeWait)] = 12;
    report.no_owner[static_cast<int>(NoOwner::kOrphan)] = 7;
    report.total = 1006 + 12 + 7;
    report.file_nr = FileNr{1920, 0, 9223372036854775807};
    report.nr_open = 1048576;
  }
  ProcessInfo java;
  ProcessInfo redis;
  ProcsReport report;
};

TEST(OwnersViewsTest, ProcsText) {
  const ProcsReportWorld w;
  EXPECT_EQ(ProcsText(w.report),
            "file handles: 1920 allocated of 9223372036854775807 (fs.file-max), per-process "
            "ceiling 1048576 (fs.nr_open)\n"
            " PID  USER    COMM          SOCKETS  ESTABLISHED  CLOSE_WAIT  LISTEN   FDS  SOFT  "
            "HARD   FD%  UNIT            COMMAND\n"
            "4242  tomcat  java             1002            1        1000       1  1010  1024  "
            "4096  98.6  tomcat.service  /usr/bin/java -jar app.jar\n"
            "  77  1001    redis-server        4            3           0       1    12     ?  "
            "   ?     -  -               redis-server *:6379\n"
            "held by no process: 12 TIME_WAIT, no file; 7 orphan, closed by its process\n");
}

TEST(OwnersViewsTest, ProcsTextWithNetnsAndUnlimitedAndNoFileNr) {
  ProcsReportWorld w;
  w.report.show_netns = true;
  w.report.file_nr.reset();
  w.report.nr_open.reset();
  w.report.no_owner = {};
  w.redis.nofile_soft = kUnlimited;
  w.redis.nofile_hard = kUnlimited;
  w.redis.cmdline = "";
  w.report.rows[0].states = Counts({{TcpState::kSynRecv, 2}});
  EXPECT_EQ(ProcsText(w.report),
            "file handles: unknown (fs.file-nr unreadable)\n"
            "NETNS     PID  USER    COMM          SOCKETS  ESTABLISHED  SYN_RECV  LISTEN   FDS  "
            "     SOFT       HARD   FD%  UNIT            COMMAND\n"
            "current  4242  tomcat  java                2            0         2       0  1010  "
            "     1024       4096  98.6  tomcat.service  /usr/bin/java -jar app.jar\n"
            "blue       77  1001    redis-server        4            3         0       1    12  "
            "unlimited  unlimited     -  -\n");
}

TEST(OwnersViewsTest, ProcsTextFdPercentIsRoundedToOneDecimal) {
  ProcsReportWorld w;
  w.report.rows.pop_back();
  w.report.no_owner = {};
  w.report.nr_open.reset();
  w.java.open_fds = 2;
  w.java.nofile_soft = 3;  // 66.666...
  w.java.nofile_hard = 3;
  w.java.unit = "";
  w.java.user = "";
  EXPECT_EQ(ProcsText(w.report),
            "file handles: 1920 allocated of 9223372036854775807 (fs.file-max)\n"
            " PID  USER  COMM  SOCKETS  ESTABLISHED  CLOSE_WAIT  LISTEN  FDS  SOFT  HARD   FD%  "
            "UNIT  COMMAND\n"
            "4242  998   java     1002            1        1000       1    2     3     3  66.7  "
            "-     /usr/bin/java -jar app.jar\n");
}

TEST(OwnersViewsTest, ProcsTextEmpty) {
  ProcsReport report;
  report.file_nr = FileNr{100, 0, 1000};
  EXPECT_EQ(ProcsText(report),
            "file handles: 100 allocated of 1000 (fs.file-max)\n"
            "no process holds a TCP socket here\n");
  // Sockets can still be there without a process.
  report.no_owner[static_cast<int>(NoOwner::kRequest)] = 3;
  report.no_owner[static_cast<int>(NoOwner::kNotAccepted)] = 1;
  report.no_owner[static_cast<int>(NoOwner::kHidden)] = 2;
  report.total = 6;
  EXPECT_EQ(ProcsText(report),
            "file handles: 100 allocated of 1000 (fs.file-max)\n"
            "no process holds a TCP socket here\n"
            "held by no process: 3 SYN_RECV request, no file yet; 1 in an accept queue, not yet "
            "accept()ed; 2 held by a process that could not be read, or closed since\n");
}

TEST(OwnersViewsTest, ProcsJson) {
  const ProcsReportWorld w;
  const Json j = ProcsJson(w.report);
  const Json want = Json::parse(R"({
    "file_handles": {"allocated": 1920, "max": 9223372036854775807, "nr_open": 1048576},
    "total": 1025,
    "processes": [
      {"pid": 4242, "comm": "java", "user": "tomcat", "uid": 998, "unit": "tomcat.service",
       "cmdline": "/usr/bin/java -jar app.jar", "sockets": 1002,
       "states": {"ESTABLISHED": 1, "CLOSE_WAIT": 1000, "LISTEN": 1}, "close_wait": 1000,
       "open_fds": 1010, "nofile_soft": 1024, "nofile_hard": 4096, "fd_percent": 98.6328125},
      {"pid": 77, "comm": "redis-server", "user": "", "uid": 1001, "unit": "",
       "cmdline": "redis-server *:6379", "sockets": 4,
       "states": {"ESTABLISHED": 3, "LISTEN": 1}, "close_wait": 0,
       "open_fds": 12, "nofile_soft": null, "nofile_hard": null, "fd_percent": null}
    ],
    "no_owner": {"time_wait": 12, "request": 0, "not_accepted": 0, "orphan": 7, "hidden": 0},
    "unreadable_processes": 0
  })");
  EXPECT_EQ(j, want) << j.dump(2);
  // Field order is part of the format.
  EXPECT_EQ(j.dump(), want.dump());
  EXPECT_TRUE(j["processes"][1]["nofile_soft"].is_null());
  EXPECT_TRUE(j["processes"][1]["fd_percent"].is_null());
  EXPECT_DOUBLE_EQ(j["processes"][0]["fd_percent"].get<double>(), 98.6328125);
  EXPECT_FALSE(j["processes"][0].contains("netns"));
}

TEST(OwnersViewsTest, ProcsJsonWithNetnsUnlimitedAndUnknownFileHandles) {
  ProcsReportWorld w;
  w.report.show_netns = true;
  w.report.file_nr.reset();
  w.report.nr_open.reset();
  w.report.unreadable = 3;
  w.redis.nofile_soft = kUnlimited;
  w.redis.nofile_hard = 65536;
  const Json j = ProcsJson(w.report);
  EXPECT_EQ(j["file_handles"].dump(), R"({"allocated":null,"max":null,"nr_open":null})");
  EXPECT_EQ(j["unreadable_processes"], 3);
  ASSERT_EQ(j["processes"].size(), 2u);
  EXPECT_EQ(j["processes"][0]["netns"], "current");
  EXPECT_EQ(j["processes"][1]["netns"], "blue");
  // netns comes right after cmdline.
  std::vector<std::string> keys;
  for (const auto& [k, v] : j["processes"][1].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"pid", "comm", "user", "uid", "unit", "cmdline",
                                            "netns", "sockets", "states", "close_wait", "open_fds",
                                            "nofile_soft", "nofile_hard", "fd_percent"}));
  // unlimited is null, as documented; a known hard limit is kept.
  EXPECT_TRUE(j["processes"][1]["nofile_soft"].is_null());
  EXPECT_EQ(j["processes"][1]["nofile_hard"], 65536);
  EXPECT_TRUE(j["processes"][1]["fd_percent"].is_null());
}

TEST(OwnersViewsTest, ProcsJsonEmpty) {
  const ProcsReport report;
  EXPECT_EQ(ProcsJson(report).dump(),
            R"({"file_handles":{"allocated":null,"max":null,"nr_open":null},"total":0,)"
            R"("processes":[],"no_owner":{"time_wait":0,"request":0,"not_accepted":0,)"
            R"("orphan":0,"hidden":0},"unreadable_processes":0})");
}

TEST(OwnersViewsTest, StatesByNetnsText) {
  const std::vector<NamespaceStates> namespaces = {
      {"current", Counts({{TcpState::kEstablished, 3}, {TcpState::kListen, 2}})},
      {"docker:0123456789ab (nginx, pid 42)",
       Counts({{TcpState::kEstablished, 10}, {TcpState::kTimeWait, 100}})},
  };
  const StateCounts total =
      Counts({{TcpState::kEstablished, 13}, {TcpState::kTimeWait, 100}, {TcpState::kListen, 2}});
  EXPECT_EQ(StatesByNetnsText(namespaces, total, /*all_states=*/false),
            "NETNS                                TOTAL  ESTABLISHED  TIME_WAIT  LISTEN\n"
            "current                                  5            3          0       2\n"
            "docker:0123456789ab (nginx, pid 42)    110           10        100       0\n"
            "TOTAL                                  115           13        100       2\n");
}

TEST(OwnersViewsTest, StatesByNetnsTextAllStates) {
  const std::vector<NamespaceStates> namespaces = {
      {"blue", Counts({{TcpState::kSynSent, 1}, {TcpState::kClosing, 2}})},
      {"current", Counts({})},
  };
  const StateCounts total = Counts({{TcpState::kSynSent, 1}, {TcpState::kClosing, 2}});
  EXPECT_EQ(StatesByNetnsText(namespaces, total, /*all_states=*/true),
            "NETNS    TOTAL  ESTABLISHED  SYN_SENT  SYN_RECV  FIN_WAIT1  FIN_WAIT2  TIME_WAIT  "
            "CLOSE  CLOSE_WAIT  LAST_ACK  LISTEN  CLOSING\n"
            "blue         3            0         1         0          0          0          0  "
            "    0           0         0       0        2\n"
            "current      0            0         0         0          0          0          0  "
            "    0           0         0       0        0\n"
            "TOTAL        3            0         1         0          0          0          0  "
            "    0           0         0       0        2\n");
  // Without all_states only SYN_SENT and CLOSING.
  EXPECT_EQ(StatesByNetnsText(namespaces, total, /*all_states=*/false),
            "NETNS    TOTAL  SYN_SENT  CLOSING\n"
            "blue         3         1        2\n"
            "current      0         0        0\n"
            "TOTAL        3         1        2\n");
}

TEST(OwnersViewsTest, StatesByNetnsTextNoSockets) {
  EXPECT_EQ(StatesByNetnsText({{"current", {}}}, {}, /*all_states=*/false),
            "NETNS    TOTAL\n"
            "current      0\n"
            "TOTAL        0\n");
}

TEST(OwnersViewsTest, NetnsJsonLeavesOutEmptyFields) {
  NetnsEntry full;
  full.inode = 4026532981;
  full.name = "blue";
  full.path = "/run/netns/blue";
  full.pid = 1234;
  full.comm = "nginx";
  full.unit = "docker:0123456789ab";
  full.current = false;
  EXPECT_EQ(NetnsJson("blue", full).dump(),
            R"({"label":"blue","inode":4026532981,"name":"blue","pid":1234,"comm":"nginx",)"
            R"("unit":"docker:0123456789ab","current":false})");

  NetnsEntry bare;
  EXPECT_EQ(NetnsJson("x", bare).dump(), R"({"label":"x","current":false})");

  NetnsEntry current;
  current.inode = 4026531840;
  current.pid = 1;
  current.comm = "systemd";
  current.current = true;
  EXPECT_EQ(NetnsJson("current", current).dump(),
            R"({"label":"current","inode":4026531840,"pid":1,"comm":"systemd",)"
            R"("current":true})");
  EXPECT_EQ(NetnsHeading("blue"), "== netns blue ==\n");
}

TEST(OwnersViewsTest, NetnsLabel) {
  NetnsEntry e;
  e.pid = 42;
  e.comm = "nginx";
  e.unit = "docker:0123456789ab";
  EXPECT_EQ(NetnsLabel(e), "docker:0123456789ab (nginx, pid 42)");
  e.comm = "";
  EXPECT_EQ(NetnsLabel(e), "docker:0123456789ab (pid 42)");

  e.unit = "nginx.service";
  e.comm = "nginx";
  EXPECT_EQ(NetnsLabel(e), "nginx (pid 42)");
  e.unit = "";
  EXPECT_EQ(NetnsLabel(e), "nginx (pid 42)");
  e.comm = "";
  EXPECT_EQ(NetnsLabel(e), "pid 42");
  e.unit = "nginx.service";
  EXPECT_EQ(NetnsLabel(e), "pid 42");

  // The current namespace, and a name, win over the process.
  e.comm = "nginx";
  e.current = true;
  EXPECT_EQ(NetnsLabel(e), "current");
  e.name = "blue";
  EXPECT_EQ(NetnsLabel(e), "blue");
  e.current = false;
  e.unit = "docker:0123456789ab";
  EXPECT_EQ(NetnsLabel(e), "blue");
}

TEST(OwnersViewsTest, ProcsTextCountsUnreadableProcesses) {
  ProcsReportWorld w;
  EXPECT_EQ(ProcsText(w.report).find("could not be read"), std::string::npos);
  w.report.unreadable = 1;
  EXPECT_TRUE(ProcsText(w.report).ends_with("\n1 process could not be read\n"));
  w.report.unreadable = 3;
  EXPECT_TRUE(ProcsText(w.report).ends_with("\n3 processes could not be read\n"));
}

}  // namespace
}  // namespace tcpdoctor
