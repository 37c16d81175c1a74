// The sysctl.d/sysctl.conf parser on strings, ReadSysctlConfig on the host tree of
// tests/fixtures/sysctl (see its README.md), and KeyExists on a fake /proc and the real one.
#include "collect/sysctl_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;

std::vector<std::string> Keys(const std::vector<SysctlSetting>& settings) {
  std::vector<std::string> keys;
  keys.reserve(settings.size());
  for (const SysctlSetting& s : settings) keys.push_back(s.key);
  return keys;
}

// --- ParseSysctlConfig ---

TEST(SysctlConfigTest, ParsesAssignmentsTrimmedWithLineNumbers) {
  const SysctlConfigFile f = ParseSysctlConfig(
      "\n"
      "net.ipv4.tcp_fin_timeout=10\n"
      "   net.ipv4.tcp_rmem =\t4096 87380\t6291456  \n"
      "kernel.core_pattern = |/usr/bin/dump a=b\n"
      "net.core.somaxconn = 4096",  // no final newline
      "/etc/sysctl.d/t.conf");
  EXPECT_TRUE(f.problems.empty());
  ASSERT_EQ(f.settings.size(), 4U);
  EXPECT_EQ(f.settings[0].key, "net.ipv4.tcp_fin_timeout");
  EXPECT_EQ(f.settings[0].value, "10");
  EXPECT_EQ(f.settings[0].line, 2);
  EXPECT_EQ(f.settings[0].file, "/etc/sysctl.d/t.conf");
  EXPECT_FALSE(f.settings[0].ignore_failure);
  EXPECT_EQ(f.settings[1].value, "4096 87380\t6291456");
  EXPECT_EQ(f.settings[2].value, "|/usr/bin/dump a=b");  // only the first '=' separates
  EXPECT_EQ(f.settings[3].key, "net.core.somaxconn");
  EXPECT_EQ(f.settings[3].line, 5);
}

TEST(SysctlConfigTest, NormalizesKeysLikeSystemd) {
  EXPECT_EQ(NormalizeSysctlKey("net/ipv4/tcp_fin_timeout"), "net.ipv4.tcp_fin_timeout");
  EXPECT_EQ(NormalizeSysctlKey("net.ipv4.tcp_fin_timeout"), "net.ipv4.tcp_fin_timeout");
  // A dot inside a component (VLAN eth0.100) becomes a slash, as `sysctl -a` prints it.
  EXPECT_EQ(NormalizeSysctlKey("net/ipv4/conf/eth0.100/rp_filter"),
            "net.ipv4.conf.eth0/100.rp_filter");
  EXPECT_EQ(NormalizeSysctlKey("net.ipv4.conf.eth0/100.rp_filter"),
            "net.ipv4.conf.eth0/100.rp_filter");
  EXPECT_EQ(NormalizeSysctlKey("kernel"), "kernel");

  const SysctlConfigFile f = ParseSysctlConfig(
      "-net/core/somaxconn = 4096\n"
      "- net.ipv4.conf.*.rp_filter = 2\n",
      "f");
  ASSERT_EQ(f.settings.size(), 2U);
  EXPECT_EQ(f.settings[0].key, "net.core.somaxconn");
  EXPECT_TRUE(f.settings[0].ignore_failure);
  EXPECT_EQ(f.settings[1].key, "net.ipv4.conf.*.rp_filter");  // globs kept as written
  EXPECT_TRUE(f.settings[1].ignore_failure);
}

TEST(SysctlConfigTest, AttachesTheCommentBlockDirectlyAbove) {
  const SysctlConfigFile f = ParseSysctlConfig(
      "# file header, separated by a blank line\n"
      "\n"
      "# recycle TIME_WAIT sockets faster\n"
      "  ## (for NAT'd clients)\n"
      "#\n"
      "net.ipv4.tcp_tw_recycle = 1\n"
      "net.ipv4.tcp_tw_reuse = 1\n"
      "; shorten TIME_WAIT\n"
      "net.ipv4.tcp_fin_timeout = 10\n"
      "# orphaned comment\n"
      "not an assignment\n"
      "net.core.somaxconn = 4096\n",
      "f");
  ASSERT_EQ(f.settings.size(), 4U);
  EXPECT_EQ(f.settings[0].comment, "recycle TIME_WAIT sockets faster (for NAT'd clients)");
  EXPECT_EQ(f.settings[1].comment, "");  // a setting ends the block
  EXPECT_EQ(f.settings[2].comment, "shorten TIME_WAIT");
  EXPECT_EQ(f.settings[3].comment, "");  // so does an ignored line
}

TEST(SysctlConfigTest, ReportsIgnoredLinesWithFileAndLine) {
  const SysctlConfigFile f = ParseSysctlConfig(
      "vm.swappiness 10\n"
      "= 5\n"
      "-net.ipv4.conf.lo.rp_filter\n"  // systemd: excluded from globs, sets nothing
      "kernel.sysrq = 1\n",
      "/etc/sysctl.conf");
  ASSERT_EQ(f.settings.size(), 1U);
  EXPECT_EQ(f.settings[0].key, "kernel.sysrq");
  EXPECT_EQ(f.problems, (std::vector<std::string>{
                            "/etc/sysctl.conf:1: not an assignment, ignored: vm.swappiness 10",
                            "/etc/sysctl.conf:2: no key, ignored: = 5"}));
}

TEST(SysctlConfigTest, HandlesCrlfAndEmptyText) {
  const SysctlConfigFile f =
      ParseSysctlConfig("# shorten TIME_WAIT\r\nnet.ipv4.tcp_fin_timeout = 10\r\n\r\n", "f");
  ASSERT_EQ(f.settings.size(), 1U);
  EXPECT_EQ(f.settings[0].value, "10");
  EXPECT_EQ(f.settings[0].comment, "shorten TIME_WAIT");
  EXPECT_TRUE(f.problems.empty());
  EXPECT_TRUE(ParseSysctlConfig("", "f").settings.empty());
}

// --- ReadSysctlConfig on tests/fixtures/sysctl/recipe-host ---

class SysctlConfigHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = ReadSysctlConfig(root_);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    config_ = *c;
  }
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  const std::string root_ = FixturePath("sysctl/recipe-host");
  SysctlConfig config_;
};

TEST_F(SysctlConfigHostTest, AppliesFilesInSystemdOrderThenSysctlConf) {
  EXPECT_EQ(Keys(config_.settings), (std::vector<std::string>{
                                        "net.ipv4.tcp_fin_timeout",          // usr/lib 10-vendor
                                        "net.core.somaxconn",                // usr/lib 10-vendor
                                        "net.ipv4.conf.eth0/100.rp_filter",  // usr/local 30-local
                                        "net.ipv4.tcp_tw_recycle",           // etc 99-tuning
                                        "net.ipv4.tcp_max_syn_backlog",      // etc 99-tuning
                                        "net.ipv4.conf.*.rp_filter",         // etc 99-tuning
                                        "net.ipv4.tcp_fin_timeout",          // etc/sysctl.conf
                                        "net.core.somaxconn",                // etc/sysctl.conf
                                    }));
  EXPECT_EQ(config_.settings[0].file, Path("usr/lib/sysctl.d/10-vendor.conf"));
  EXPECT_EQ(config_.settings[2].file, Path("usr/local/lib/sysctl.d/30-local.conf"));
  EXPECT_EQ(config_.settings[3].file, Path("etc/sysctl.d/99-tuning.conf"));
  EXPECT_EQ(config_.settings[6].file, Path("etc/sysctl.conf"));
}

TEST_F(SysctlConfigHostTest, MaskedFilesAndTheSysctlConfLinkCountNowhere) {
  for (const SysctlSetting& s : config_.settings) {
    EXPECT_NE(s.file, Path("usr/lib/sysctl.d/50-default.conf"));  // masked by a /dev/null link
    EXPECT_NE(s.file, Path("lib/sysctl.d/99-tuning.conf"));       // masked by etc's 99-tuning
    EXPECT_NE(s.file, Path("etc/sysctl.d/99-sysctl.conf"));       // Debian's link to sysctl.conf
    EXPECT_NE(s.key, "net.ipv4.tcp_tw_reuse");
    EXPECT_NE(s.key, "kernel.sysrq");
  }
}

TEST_F(SysctlConfigHostTest, EffectiveIsTheLastSetting) {
  const SysctlSetting* fin = config_.Effective("net.ipv4.tcp_fin_timeout");
  ASSERT_NE(fin, nullptr);
  EXPECT_EQ(fin->value, "10");
  EXPECT_EQ(fin->file, Path("etc/sysctl.conf"));
  EXPECT_EQ(fin->line, 6);
  EXPECT_EQ(fin->comment, "shorten TIME_WAIT");

  const SysctlSetting* somaxconn = config_.Effective("net/core/somaxconn");  // either spelling
  ASSERT_NE(somaxconn, nullptr);
  EXPECT_EQ(somaxconn->value, "4096");
  EXPECT_TRUE(somaxconn->ignore_failure);
  EXPECT_EQ(somaxconn->comment, "bigger accept queues; fine if it fails in a container");

  const SysctlSetting* vlan = config_.Effective("net/ipv4/conf/eth0.100/rp_filter");
  ASSERT_NE(vlan, nullptr);
  EXPECT_EQ(vlan->comment, "strict reverse-path filter on the VLAN interface");

  EXPECT_EQ(config_.Effective("net.ipv4.conf.all.rp_filter"), nullptr);  // globs not expanded
  EXPECT_EQ(config_.Effective("kernel.sysrq"), nullptr);
}

TEST_F(SysctlConfigHostTest, CrlfFileKeepsCommentsAndValues) {
  const SysctlSetting* recycle = config_.Effective("net.ipv4.tcp_tw_recycle");
  ASSERT_NE(recycle, nullptr);
  EXPECT_EQ(recycle->value, "1");
  EXPECT_EQ(recycle->line, 5);
  EXPECT_EQ(recycle->comment, "recycle TIME_WAIT sockets faster (for NAT'd clients)");
  const SysctlSetting* backlog = config_.Effective("net.ipv4.tcp_max_syn_backlog");
  ASSERT_NE(backlog, nullptr);
  EXPECT_EQ(backlog->value, "65536");
  EXPECT_EQ(backlog->comment, "");
}

TEST_F(SysctlConfigHostTest, ReportsIgnoredLinesAndUnreadableFiles) {
  ASSERT_EQ(config_.problems.size(), 2U);
  // run's 70-gone.conf, a dangling link, comes before sysctl.conf.
  EXPECT_NE(config_.problems[0].find(Path("run/sysctl.d/70-gone.conf")), std::string::npos)
      << config_.problems[0];
  EXPECT_EQ(config_.problems[1],
            Path("etc/sysctl.conf") + ":10: not an assignment, ignored: vm.swappiness 10");
}

TEST(SysctlConfigTest, MissingDirectoriesAndSysctlConfAreFine) {
  auto c = ReadSysctlConfig(FixturePath("sysctl/proc"));  // a tree with none of them
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_TRUE(c->settings.empty());
  EXPECT_TRUE(c->problems.empty());
}

// --- KeyExists ---

TEST(SysctlConfigTest, KeyExistsOnAFakeProc) {
  const ProcFs proc(FixturePath("sysctl/proc"));
  EXPECT_TRUE(KeyExists(proc, "net.ipv4.tcp_fin_timeout"));
  EXPECT_TRUE(KeyExists(proc, "net/core/somaxconn"));
  EXPECT_FALSE(KeyExists(proc, "net.ipv4.tcp_tw_recycle"));
  EXPECT_TRUE(KeyExists(proc, "net.ipv4.conf.eth0/100.rp_filter"));
  EXPECT_TRUE(KeyExists(proc, "net/ipv4/conf/eth0.100/rp_filter"));
  EXPECT_FALSE(KeyExists(proc, "net.ipv4.conf.eth0.100.rp_filter"));  // eth0/100/: no such path
  EXPECT_TRUE(KeyExists(proc, "net.ipv4.conf.*.rp_filter"));
  EXPECT_FALSE(KeyExists(proc, "net.ipv4.conf.*.forwarding"));
}

TEST(SysctlConfigTest, KeyExistsOnThisKernel) {
  const ProcFs proc;
  EXPECT_TRUE(KeyExists(proc, "net.ipv4.tcp_fin_timeout"));
  EXPECT_FALSE(KeyExists(proc, "net.ipv4.tcp_tw_recycle"));  // removed in 4.12
  EXPECT_TRUE(KeyExists(proc, "net.ipv4.conf.*.rp_filter"));
}

}  // namespace
}  // namespace tcpdoctor
