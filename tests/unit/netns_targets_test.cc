// Which namespaces a command visits, and what happens when one cannot be visited: a namespace
// that vanished since it was listed is skipped with a warning, one that needs root is counted
// in a single warning, anything else stops the run.
#include "cli/netns_targets.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "cli/session.h"

namespace tcpdoctor {
namespace {

struct Harness {
  std::ostringstream out;
  std::vector<std::string> warnings;
  OwnerLookup owners{ProcFs("/proc"), [](const std::string&) {}};
  CommandIo io{out, [this](const std::string& w) { warnings.push_back(w); }, owners};
};

NetnsTarget Target(const std::string& label, const std::string& path) {
  NetnsTarget t;
  t.label = label;
  t.entry.path = path;
  t.entry.current = path.empty();
  return t;
}

// A pid that existed and is gone: its /proc/PID/ns/net is what a vanished namespace leaves.
pid_t ExitedPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(NetnsTargetsTest, WithoutAllNetnsOneTargetNamedAsGiven) {
  Harness h;
  GlobalOptions options;
  auto here = ResolveTargets(options, h.io);
  ASSERT_TRUE(here);
  ASSERT_EQ(here->size(), 1u);
  EXPECT_EQ((*here)[0].label, "current");
  EXPECT_TRUE((*here)[0].entry.current);
  options.netns = "blue";
  options.netns_given = true;
  auto named = ResolveTargets(options, h.io);
  ASSERT_TRUE(named);
  EXPECT_EQ((*named)[0].label, "blue");
  EXPECT_EQ((*named)[0].entry.path, "blue");
  options.all_netns = true;
  auto both = ResolveTargets(options, h.io);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, ErrorCode::kInvalidArgument);
}

TEST(NetnsTargetsTest, AllNetnsListsTheCurrentNamespaceFirstAndOnce) {
  Harness h;
  GlobalOptions options;
  options.all_netns = true;
  auto targets = ResolveTargets(options, h.io);
  ASSERT_TRUE(targets) << targets.error().ToString();
  ASSERT_FALSE(targets->empty());
  EXPECT_TRUE((*targets)[0].entry.current);
  EXPECT_EQ((*targets)[0].entry.path, "");  // not entered: already there
  int current = 0;
  for (const NetnsTarget& t : *targets) current += t.entry.current ? 1 : 0;
  EXPECT_EQ(current, 1);
}

TEST(NetnsTargetsTest, AVanishedNamespaceIsSkippedWithAWarning) {
  Harness h;
  GlobalOptions options;
  options.all_netns = true;
  const std::string gone = "/proc/" + std::to_string(ExitedPid()) + "/ns/net";
  std::vector<std::string> visited;
  const Status status = ForEachTarget(
      {Target("current", ""), Target("gone", gone)}, options, h.io,
      [&](const NetnsTarget& t, const GlobalOptions& here) -> Status {
        auto session = Session::Open(here, h.io);  // the real way in, and its real error
        if (!session) return session.TakeError();
        visited.push_back(t.label);
        return Ok{};
      });
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ(visited, std::vector<std::string>{"current"});
  ASSERT_EQ(h.warnings.size(), 1u);
  EXPECT_NE(h.warnings[0].find("gone vanished"), std::string::npos) << h.warnings[0];
}

TEST(NetnsTargetsTest, NamespacesThatNeedRootAreCountedInOneWarning) {
  Harness h;
  GlobalOptions options;
  options.all_netns = true;
  int calls = 0;
  const Status status = ForEachTarget(
      {Target("current", ""), Target("a", "/proc/self/ns/net"), Target("b", "/proc/self/ns/net")},
      options, h.io, [&](const NetnsTarget& t, const GlobalOptions&) -> Status {
        ++calls;
        if (t.entry.current) return Ok{};
        return Error::FromErrno(EPERM, "cannot enter network namespace", t.entry.path);
      });
  ASSERT_TRUE(status);
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(h.warnings.size(), 1u);
  EXPECT_EQ(h.warnings[0].rfind("2 network namespaces could not be entered", 0), 0u)
      << h.warnings[0];
}

TEST(NetnsTargetsTest, OtherErrorsAndErrorsInTheCurrentNamespaceStopTheRun) {
  Harness h;
  GlobalOptions options;
  options.all_netns = true;
  const Status bad =
      ForEachTarget({Target("current", ""), Target("a", "/proc/self/ns/net")}, options, h.io,
                    [&](const NetnsTarget& t, const GlobalOptions&) -> Status {
                      if (t.entry.current) return Ok{};
                      return Error{ErrorCode::kParse, "malformed", 0, "x", {}};
                    });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kParse);
  const Status here = ForEachTarget(
      {Target("current", "")}, options, h.io, [&](const NetnsTarget&, const GlobalOptions&) {
        return Status(Error::FromErrno(EPERM, "cannot read", "/proc/net/tcp"));
      });
  ASSERT_FALSE(here);
  EXPECT_EQ(here.error().code, ErrorCode::kPermission);
  EXPECT_TRUE(h.warnings.empty());
}

TEST(NetnsTargetsTest, WithoutAllNetnsTheOptionsPassThroughUnchanged) {
  Harness h;
  GlobalOptions options;
  options.netns = "";
  options.netns_given = true;  // --netns "": must stay an error, not mean "here"
  const Status status = ForEachTarget({Target("", "")}, options, h.io,
                                      [&](const NetnsTarget&, const GlobalOptions& here) {
                                        EXPECT_TRUE(here.netns_given);
                                        auto session = Session::Open(here, h.io);
                                        return session ? Status(Ok{}) : Status(session.TakeError());
                                      });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tcpdoctor
