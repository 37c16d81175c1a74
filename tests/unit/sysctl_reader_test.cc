// The sysctl parsers on strings, and ReadSysctls on tests/fixtures/proc/counters (see its
// README.md): a 6.18 host, a child netns of it (global keys absent), and a 4.9 layout.
#include "collect/sysctl_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;

std::string Root(const std::string& host) { return FixturePath("proc/counters/" + host); }

Sysctls ReadFixture(const std::string& host) {
  auto s = ReadSysctls(ProcFs(Root(host)));
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return s.ok() ? *s : Sysctls{};
}

void ExpectParseErrorNaming(const Error& e, std::string_view key, std::string_view text) {
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_NE(e.message.find(key), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("\"" + std::string(text) + "\""), std::string::npos) << e.message;
}

// --- pure parsers ---

TEST(ParseSysctlTest, Int) {
  EXPECT_EQ(*ParseSysctlInt("net.core.somaxconn", "4096\n"), 4096);
  EXPECT_EQ(*ParseSysctlInt("k", " -1 \n"), -1);
  EXPECT_EQ(*ParseSysctlInt("fs.file-max", "9223372036854775807\n"), INT64_MAX);
  for (std::string_view bad : {"", "lots", "12abc", "1 2", "0x10", "99999999999999999999"}) {
    auto v = ParseSysctlInt("net.core.somaxconn", std::string(bad) + "\n");
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().context, "net.core.somaxconn");
    ExpectParseErrorNaming(v.error(), "net.core.somaxconn", bad);  // shown without the newline
  }
}

TEST(ParseSysctlTest, Ints) {
  auto mem = ParseSysctlInts("net.ipv4.tcp_mem", "287901\t383869\t575802\n", 3);
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(*mem, (std::vector<int64_t>{287901, 383869, 575802}));
  auto short_mem = ParseSysctlInts("net.ipv4.tcp_mem", "1\t2\n", 3);
  ASSERT_FALSE(short_mem.ok());
  EXPECT_NE(short_mem.error().message.find("expected 3 integers"), std::string::npos);
  ExpectParseErrorNaming(short_mem.error(), "net.ipv4.tcp_mem", "1\t2");
  EXPECT_FALSE(ParseSysctlInts("fs.file-nr", "1 2 3 4", 3).ok());
  EXPECT_FALSE(ParseSysctlInts("fs.file-nr", "1 x 3", 3).ok());
}

TEST(ParseSysctlTest, PortRange) {
  auto r = ParsePortRange("net.ipv4.ip_local_port_range", "32768\t60999\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (PortRange{32768, 60999}));
  EXPECT_EQ(r->size(), 28232u);
  for (std::string_view bad : {"60999 32768", "1 70000", "1", "", "a b", "1 2 3"}) {
    auto v = ParsePortRange("net.ipv4.ip_local_port_range", bad);
    ASSERT_FALSE(v.ok()) << bad;
    ExpectParseErrorNaming(v.error(), "net.ipv4.ip_local_port_range", bad);
  }
}

TEST(ParseSysctlTest, PortList) {
  auto empty = ParsePortList("net.ipv4.ip_local_reserved_ports", "\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  auto ports = ParsePortList("net.ipv4.ip_local_reserved_ports", "8080,9000-9010\n");
  ASSERT_TRUE(ports.ok()) << ports.error().ToString();
  EXPECT_EQ(ports->ranges(), (std::vector<PortRange>{{8080, 8080}, {9000, 9010}}));
  EXPECT_EQ(ports->size(), 12u);
  EXPECT_TRUE(ports->Contains(8080));
  EXPECT_TRUE(ports->Contains(9010));
  EXPECT_FALSE(ports->Contains(9011));
  EXPECT_EQ(ports->CountWithin({9005, 60000}), 6u);
  EXPECT_EQ(ports->CountWithin({32768, 60999}), 0u);
  EXPECT_EQ(ports->CountWithin({0, 65535}), 12u);

  // Overlapping, touching and unsorted items merge.
  auto merged = ParsePortList("k", "40000-40009,10-20,15-30,31,0");
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->ranges(), (std::vector<PortRange>{{0, 0}, {10, 31}, {40000, 40009}}));

  for (std::string_view bad : {"8080,", ",8080", "9010-9000", "abc", "1-2-3", "70000", "1,,2"}) {
    auto v = ParsePortList("net.ipv4.ip_local_reserved_ports", bad);
    ASSERT_FALSE(v.ok()) << bad;
    ExpectParseErrorNaming(v.error(), "net.ipv4.ip_local_reserved_ports", bad);
  }
}

TEST(PortSetTest, AddKeepsSortedDisjointRanges) {
  PortSet s;
  s.Add({100, 200});
  s.Add({300, 400});
  s.Add({50, 60});
  s.Add({201, 299});  // fills the gap between the first two
  EXPECT_EQ(s.ranges(), (std::vector<PortRange>{{50, 60}, {100, 400}}));
  s.Add({0, 65535});
  EXPECT_EQ(s.ranges(), (std::vector<PortRange>{{0, 65535}}));
  EXPECT_EQ(s.size(), 65536u);
}

TEST(ApplySysctlTest, SetsTheFieldOfTheKey) {
  Sysctls s;
  ASSERT_TRUE(ApplySysctl("net.ipv4.tcp_tw_reuse_delay", "1000\n", s).ok());
  EXPECT_EQ(s.tcp_tw_reuse_delay_ms, 1000);
  ASSERT_TRUE(ApplySysctl("fs.file-nr", "412\t0\t2465610\n", s).ok());
  ASSERT_TRUE(s.file_nr.has_value());
  EXPECT_EQ(s.file_nr->allocated, 412);
  EXPECT_EQ(s.file_nr->max, 2465610);
  auto unknown = ApplySysctl("net.ipv4.tcp_tw_recycle", "0", s);  // removed in 4.12
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
}

TEST(SysctlPathTest, DotsBecomeSlashes) {
  EXPECT_EQ(SysctlPath("net.core.somaxconn"), "sys/net/core/somaxconn");
  EXPECT_EQ(SysctlPath("fs.file-nr"), "sys/fs/file-nr");
  EXPECT_EQ(SysctlKeys().size(), 17u);
}

// --- fixture trees ---

TEST(ReadSysctlsTest, Kernel618Host) {
  const Sysctls s = ReadFixture("kernel-6.18");
  EXPECT_TRUE(s.missing.empty());
  EXPECT_EQ(s.somaxconn, 4096);
  EXPECT_EQ(s.tcp_max_syn_backlog, 2048);
  EXPECT_EQ(s.tcp_syncookies, 1);
  EXPECT_EQ(s.ip_local_port_range, (PortRange{32768, 60999}));
  ASSERT_TRUE(s.ip_local_reserved_ports.has_value());  // present, and empty
  EXPECT_TRUE(s.ip_local_reserved_ports->empty());
  EXPECT_EQ(s.tcp_tw_reuse, 2);
  EXPECT_EQ(s.tcp_tw_reuse_delay_ms, 1000);
  EXPECT_EQ(s.tcp_max_tw_buckets, 131072);
  EXPECT_EQ(s.tcp_timestamps, 1);
  EXPECT_EQ(s.tcp_fin_timeout_s, 60);
  EXPECT_EQ(s.tcp_max_orphans, 131072);
  ASSERT_TRUE(s.tcp_mem.has_value());
  EXPECT_EQ(s.tcp_mem->min_pages, 287901);
  EXPECT_EQ(s.tcp_mem->pressure_pages, 383869);
  EXPECT_EQ(s.tcp_mem->max_pages, 575802);
  EXPECT_EQ(s.file_max, 2466193);
  ASSERT_TRUE(s.file_nr.has_value());
  EXPECT_EQ(s.file_nr->allocated, 648245);
  EXPECT_EQ(s.file_nr->unused, 0);
  EXPECT_EQ(s.file_nr->max, 2466193);
  EXPECT_EQ(s.nr_open, 1048576);
  EXPECT_EQ(s.tcp_abort_on_overflow, 0);
  EXPECT_EQ(s.tcp_orphan_retries, 0);
}

TEST(ReadSysctlsTest, Kernel618NetnsLacksOnlyTheGlobalNetKeys) {
  const Sysctls s = ReadFixture("kernel-6.18-netns");
  // tcp_max_orphans and tcp_mem are global; fs.* is not namespaced but stays visible.
  EXPECT_EQ(s.missing, (std::vector<std::string>{"net.ipv4.tcp_max_orphans", "net.ipv4.tcp_mem"}));
  EXPECT_EQ(s.tcp_max_orphans, std::nullopt);
  EXPECT_FALSE(s.tcp_mem.has_value());
  EXPECT_EQ(s.file_max, 2466193);
  EXPECT_EQ(s.nr_open, 1048576);
  ASSERT_TRUE(s.file_nr.has_value());
  EXPECT_EQ(s.file_nr->allocated, 662988);
  EXPECT_EQ(s.somaxconn, 4096);
  EXPECT_EQ(s.tcp_tw_reuse_delay_ms, 1000);
  ASSERT_TRUE(s.ip_local_reserved_ports.has_value());
  EXPECT_EQ(s.ip_local_reserved_ports->ranges(),
            (std::vector<PortRange>{{8080, 8080}, {9000, 9010}}));
  EXPECT_EQ(s.ip_local_reserved_ports->CountWithin(*s.ip_local_port_range), 0u);
}

TEST(ReadSysctlsTest, Kernel49BooleanTwReuseAndNoDelay) {
  const Sysctls s = ReadFixture("kernel-4.9");
  EXPECT_EQ(s.missing, (std::vector<std::string>{"net.ipv4.tcp_tw_reuse_delay"}));
  EXPECT_EQ(s.tcp_tw_reuse, 0);
  EXPECT_EQ(s.tcp_tw_reuse_delay_ms, std::nullopt);
  EXPECT_EQ(s.somaxconn, 128);
  EXPECT_EQ(s.tcp_max_syn_backlog, 512);
  EXPECT_EQ(s.ip_local_port_range, (PortRange{1024, 65000}));
  ASSERT_TRUE(s.ip_local_reserved_ports.has_value());
  EXPECT_EQ(s.ip_local_reserved_ports->size(), 22u);
  EXPECT_EQ(s.ip_local_reserved_ports->CountWithin(*s.ip_local_port_range), 22u);
  EXPECT_EQ(s.ip_local_reserved_ports->CountWithin({32768, 60999}), 10u);
  ASSERT_TRUE(s.tcp_mem.has_value());
  EXPECT_EQ(s.tcp_mem->max_pages, 764370);
  EXPECT_EQ(s.tcp_max_orphans, 262144);
}

TEST(ReadSysctlsTest, MalformedValueNamesKeyAndPath) {
  const std::string root = Root("malformed");
  auto s = ReadSysctls(ProcFs(root));
  ASSERT_FALSE(s.ok());
  ExpectParseErrorNaming(s.error(), "net.core.somaxconn", "lots");
  EXPECT_EQ(s.error().context, root + "/sys/net/core/somaxconn");
}

TEST(ReadSysctlsTest, NoProcSysAtAllIsAllMissingNotAnError) {
  auto s = ReadSysctls(ProcFs(Root("does-not-exist")));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->missing.size(), SysctlKeys().size());
  EXPECT_EQ(s->somaxconn, std::nullopt);
}

// A temporary proc root, removed at the end of the test.
class TempRoot {
 public:
  TempRoot()
      : path_(::testing::TempDir() + "/tcpdoctor_sysctl_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_ + "/sys/net/core");
  }
  ~TempRoot() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ReadSysctlsTest, UnreadableFileIsAnErrorWithItsPath) {
  TempRoot root;
  // A directory where the file should be: open works, read fails with EISDIR.
  std::filesystem::create_directory(root.path() + "/sys/net/core/somaxconn");
  auto s = ReadSysctls(ProcFs(root.path()));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().sys_errno, EISDIR);
  EXPECT_EQ(s.error().context, root.path() + "/sys/net/core/somaxconn");
}

// Root reads mode-000 files, so the read runs in a child that has dropped to nobody.
TEST(ReadSysctlsTest, PermissionDeniedIsAnErrorWithItsPath) {
  TempRoot root;
  const std::string file = root.path() + "/sys/net/core/somaxconn";
  std::ofstream(file) << "4096\n";
  ASSERT_EQ(::chmod(file.c_str(), 0), 0);
  EXPECT_EXIT(
      {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) std::_Exit(10);
        auto s = ReadSysctls(ProcFs(root.path()));
        if (s.ok()) std::_Exit(11);
        if (s.error().code != ErrorCode::kPermission) std::_Exit(12);
        std::_Exit(s.error().context == file ? 0 : 13);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tcpdoctor
