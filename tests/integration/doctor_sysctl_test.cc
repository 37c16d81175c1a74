// sysctl-audit against real settings: sysctl files written under a temporary root (read with
// checkup's hidden --sysctl-root) with keys this kernel no longer has and comments that claim
// what a key does not do, and namespace sysctls that hurt given what the namespace shows
// (syncookies off with a listener, tcp_tw_reuse=0 with a destination at >= 50 % of a narrowed
// port range, a lowered tcp_max_tw_buckets). Expectations come from the files the test wrote
// (line numbers found in their text), /proc/sys and the test's own sockets.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/close_recipes.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/ss_table.h"

namespace tcpdoctor::itest {
namespace {

namespace fs = std::filesystem;
using recipes::Checkup;
using recipes::ExpectedExit;
using recipes::FindingAbout;
using recipes::FindingsOf;

// A temporary directory, removed with its contents.
class TempRoot {
 public:
  TempRoot() {
    std::string pattern = (fs::temp_directory_path() / "tcpdoctor-sysctl-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

  // Writes `text` to ROOT/relative and returns that path.
  fs::path Write(const std::string& relative, const std::string& text) const {
    fs::path p = path_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  fs::path path_;
};

// The 1-based number of the line of `text` that starts with `prefix`.
int LineOf(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.rfind(prefix, 0) == 0) return n;
  }
  ADD_FAILURE() << "no line starts with " << prefix;
  return -1;
}

std::set<std::string> Subjects(const nlohmann::json& doc, const std::string& id) {
  std::set<std::string> out;
  for (const nlohmann::json& f : FindingsOf(doc, id)) out.insert(f["subject"].get<std::string>());
  return out;
}

// The finding about FILE:LINE, checked for its key, file and line.
nlohmann::json FileFinding(const nlohmann::json& doc, const fs::path& file, int line,
                           const std::string& key) {
  const std::string subject = file.string() + ":" + std::to_string(line);
  nlohmann::json f = FindingAbout(doc, "sysctl-audit", subject);
  if (f.is_null()) {
    ADD_FAILURE() << "no sysctl-audit finding about " << subject << ":\n" << doc.dump(2);
    return f;
  }
  EXPECT_EQ(f["data"]["key"], key) << f.dump();
  EXPECT_EQ(f["data"]["line"], line) << f.dump();
  EXPECT_TRUE(fs::equivalent(f["data"]["file"].get<std::string>(), file)) << f.dump();
  return f;
}

constexpr char kSysctlConf[] =
    "# sysctl.conf copied from an old tuning guide\n"
    "# fast TIME_WAIT recycling\n"
    "net.ipv4.tcp_tw_recycle = 1\n"
    "\n"
    "# reduce TIME_WAIT\n"
    "net.ipv4.tcp_fin_timeout = 10\n"
    "# a larger SYN queue against SYN floods\n"
    "net.ipv4.tcp_max_syn_backlog = 65536\n"
    "net.ipv4.tcp_max_tw_buckets = 2000\n"
    "net.core.somaxconn = 4096\n";

constexpr char kDropIn[] =
    "net.ipv4.tcp_frto_response = 2\n"
    "# global: absent in a child namespace, yet this kernel has it\n"
    "net.ipv4.tcp_low_latency = 1\n"
    "net.bridge.bridge-nf-call-iptables = 1\n";

TEST(DoctorSysctlTest, SysctlFilesAndNamespaceSettingsThatHurt) {
  RunInNetns([] {
    TempRoot root;
    const fs::path conf = root.Write("etc/sysctl.conf", kSysctlConf);
    const fs::path dropin = root.Write("etc/sysctl.d/20-old.conf", kDropIn);
    // The premises, from this kernel: no tcp_tw_recycle, no tcp_frto_response; the defaults of a
    // new namespace for the rest.
    ASSERT_FALSE(ReadSysctl("net/ipv4/tcp_tw_recycle").has_value());
    ASSERT_FALSE(ReadSysctl("net/ipv4/tcp_frto_response").has_value());
    ASSERT_FALSE(ReadSysctl("net/ipv4/tcp_low_latency").has_value()) << "global";
    ASSERT_EQ(ReadSysctl("net/ipv4/tcp_syncookies"), "1");
    const auto tw_buckets = ReadSysctl("net/ipv4/tcp_max_tw_buckets");
    ASSERT_TRUE(tw_buckets.has_value());
    ASSERT_GT(std::stoll(*tw_buckets), 4096) << "the floor this test relies on";

    Endpoint at;
    UniqueFd listener = Listen(*Endpoint::Parse("127.0.0.1"), 128, &at);
    ASSERT_TRUE(listener);
    const std::vector<std::string> args = {"-i", "0", "--sysctl-root", root.path().string()};

    // 1. The files alone.
    CommandResult run;
    nlohmann::json doc = Checkup(args, &run);
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(run.exit_code, ExpectedExit(doc));
    const int recycle_line = LineOf(kSysctlConf, "net.ipv4.tcp_tw_recycle");
    const int fin_line = LineOf(kSysctlConf, "net.ipv4.tcp_fin_timeout");
    const int syn_line = LineOf(kSysctlConf, "net.ipv4.tcp_max_syn_backlog");
    const int tw_line = LineOf(kSysctlConf, "net.ipv4.tcp_max_tw_buckets");
    const int frto_line = LineOf(kDropIn, "net.ipv4.tcp_frto_response");
    const std::string at_line = ":" + std::to_string(tw_line);
    EXPECT_EQ(Subjects(doc, "sysctl-audit"),
              (std::set<std::string>{conf.string() + ":" + std::to_string(recycle_line),
                                     conf.string() + ":" + std::to_string(fin_line),
                                     conf.string() + ":" + std::to_string(syn_line),
                                     conf.string() + at_line,
                                     dropin.string() + ":" + std::to_string(frto_line)}))
        << doc.dump(2);

    nlohmann::json f = FileFinding(doc, conf, recycle_line, "net.ipv4.tcp_tw_recycle");
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["data"]["value"], "1");
    EXPECT_NE(f["why"].get<std::string>().find("4.12"), std::string::npos);
    f = FileFinding(doc, conf, fin_line, "net.ipv4.tcp_fin_timeout");
    EXPECT_EQ(f["severity"], "info") << "no destination short of ports";
    EXPECT_NE(f["title"].get<std::string>().find("does not shorten TIME_WAIT"), std::string::npos);
    f = FileFinding(doc, conf, syn_line, "net.ipv4.tcp_max_syn_backlog");
    EXPECT_EQ(f["severity"], "info");
    f = FileFinding(doc, conf, tw_line, "net.ipv4.tcp_max_tw_buckets");
    EXPECT_EQ(f["severity"], "warning");
    f = FileFinding(doc, dropin, frto_line, "net.ipv4.tcp_frto_response");
    EXPECT_EQ(f["severity"], "info");
    EXPECT_EQ(doc["status"], "warning");

    // 2. The namespace's own settings: syncookies off with a listener, tcp_tw_reuse=0 with
    // 6 of 10 ports used toward one destination, tcp_max_tw_buckets as the file says.
    SetNamespaceSysctl("net/ipv4/tcp_syncookies", "0");
    SetNamespaceSysctl("net/ipv4/tcp_tw_reuse", "0");
    SetNamespaceSysctl("net/ipv4/ip_local_port_range", "40000 40009");
    SetNamespaceSysctl("net/ipv4/tcp_max_tw_buckets", "2000");
    std::vector<UniqueFd> clients;
    std::vector<UniqueFd> servers;
    for (int i = 0; i < 6; ++i) {
      Connection c = ConnectAndWait(at);
      ASSERT_TRUE(c.fd) << std::strerror(c.error);
      clients.push_back(std::move(c.fd));
      servers.push_back(AcceptOne(listener.get()));
    }
    const SsResult ss = RunSs({"state", "established"}, State::kEstablished);
    ASSERT_EQ(ss.error, "");
    const auto to_listener =
        std::count_if(ss.rows.begin(), ss.rows.end(), [&](const SocketTuple& s) {
          return s.remote == at && s.local.port >= 40000 && s.local.port <= 40009;
        });
    ASSERT_EQ(to_listener, 6);

    doc = Checkup(args, &run);
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(run.exit_code, ExpectedExit(doc));
    EXPECT_EQ(Subjects(doc, "sysctl-audit"),
              (std::set<std::string>{conf.string() + ":" + std::to_string(recycle_line),
                                     conf.string() + ":" + std::to_string(fin_line),
                                     dropin.string() + ":" + std::to_string(frto_line),
                                     "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_syncookies",
                                     "net.ipv4.tcp_tw_reuse"}))
        << "with syncookies off, tcp_max_syn_backlog is no longer a false belief; the file's "
           "tcp_max_tw_buckets is now the live value, reported once\n"
        << doc.dump(2);

    f = FindingAbout(doc, "sysctl-audit", "net.ipv4.tcp_syncookies");
    EXPECT_EQ(f["severity"], "info") << "a listener, no SYN pressure";
    EXPECT_EQ(f["data"]["listeners"], 1);
    f = FindingAbout(doc, "sysctl-audit", "net.ipv4.tcp_tw_reuse");
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["data"]["destination"], at.WithPort());
    EXPECT_EQ(f["data"]["ports_in_use"], to_listener);
    EXPECT_EQ(f["data"]["range_size"], 10);
    EXPECT_DOUBLE_EQ(f["data"]["percent_used"].get<double>(), 60.0);
    f = FindingAbout(doc, "sysctl-audit", "net.ipv4.tcp_max_tw_buckets");
    EXPECT_EQ(f["severity"], "info") << "no TIME_WAIT near it";
    EXPECT_EQ(f["data"]["tcp_max_tw_buckets"], 2000);
    EXPECT_EQ(f["data"]["line"], tw_line);
    EXPECT_TRUE(fs::equivalent(f["data"]["file"].get<std::string>(), conf));
    // Now TIME_WAIT matters to a destination: believing tcp_fin_timeout shortens it is a warning.
    f = FindingAbout(doc, "sysctl-audit", conf.string() + ":" + std::to_string(fin_line));
    EXPECT_EQ(f["severity"], "warning");
  });
}

TEST(DoctorSysctlTest, DefaultNamespaceAndNoFilesSayNothing) {
  RunInNetns([] {
    TempRoot root;  // no files at all
    Endpoint at;
    UniqueFd listener = Listen(*Endpoint::Parse("127.0.0.1"), 128, &at);
    ASSERT_TRUE(listener);
    const nlohmann::json doc = Checkup({"-i", "0", "--sysctl-root", root.path().string()});
    ASSERT_FALSE(doc.is_null());
    EXPECT_TRUE(FindingsOf(doc, "sysctl-audit").empty()) << doc.dump(2);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
