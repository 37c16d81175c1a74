// The snapshot in two samples, on real CLOSE_WAIT sockets in a private namespace: with tcp_info
// (the checkup) the kernel says how long each has received nothing; without it (the exporter)
// the age is how long the earlier sample has seen the socket in CLOSE_WAIT, and unknown for a
// socket the earlier sample did not see.
#include "cli/checkup_snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "support/close_recipes.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"

namespace tcpdoctor::itest {
namespace {

using std::chrono::milliseconds;

// The CLOSE_WAIT age the snapshot gives this process, if it names it.
std::optional<uint64_t> OwnIdleMs(const Snapshot& s) {
  for (const ProcessSnapshot& p : s.processes) {
    if (p.info.pid == ::getpid()) return p.close_wait_idle_ms;
  }
  ADD_FAILURE() << "this process is not among the snapshot's";
  return std::nullopt;
}

// `n` accepted connections whose clients have closed: the server ends are in CLOSE_WAIT.
void MakeCloseWait(int listener, const Endpoint& at, int n, std::vector<UniqueFd>& servers) {
  std::vector<UniqueFd> clients;
  const size_t first = servers.size();
  ConnectPairs(listener, at, n, clients, servers);
  for (UniqueFd& c : clients) recipes::ShutdownWrite(c.get());
  for (size_t i = first; i < servers.size(); ++i) recipes::ExpectEof(servers[i].get());
  // The clients' FIN_WAIT2 stays while they are open; they close with this scope: orphans.
}

Snapshot Take(const EarlierSample& earlier, bool tcp_info) {
  std::ostringstream out;
  const WarningSink warn = [](const std::string& w) { ADD_FAILURE() << "warning: " << w; };
  OwnerLookup owners(ProcFs(), warn);
  CommandIo io{out, warn, owners};
  auto session = Session::Open(GlobalOptions{}, io);
  EXPECT_TRUE(session) << session.error().ToString();
  SnapshotOptions options;
  options.tcp_info = tcp_info;
  auto snapshot = TakeSnapshot(**session, owners, &earlier, options, warn);
  EXPECT_TRUE(snapshot) << snapshot.error().ToString();
  return snapshot ? std::move(*snapshot) : Snapshot{};
}

TEST(CheckupSnapshotTest, CloseWaitAgesFromTcpInfoOrFromTheEarlierSample) {
  RunInNetns([] {
    Endpoint at = *Endpoint::Parse("127.0.0.1");
    UniqueFd listener = Listen(at, 64, &at);
    ASSERT_TRUE(listener);
    std::vector<UniqueFd> servers;
    MakeCloseWait(listener.get(), at, 3, servers);
    const auto made = std::chrono::steady_clock::now();

    std::ostringstream out;
    const WarningSink warn = [](const std::string& w) { ADD_FAILURE() << "warning: " << w; };
    OwnerLookup owners(ProcFs(), warn);
    CommandIo io{out, warn, owners};
    auto session = Session::Open(GlobalOptions{}, io);
    ASSERT_TRUE(session) << session.error().ToString();
    auto earlier = TakeEarlierSample(**session, warn);
    ASSERT_TRUE(earlier) << earlier.error().ToString();
    ASSERT_EQ(earlier->close_wait.size(), 3u);
    std::this_thread::sleep_for(milliseconds(1200));

    // tcp_info: the kernel's own figure, at least the time waited.
    const Snapshot with_info = Take(*earlier, true);
    ASSERT_TRUE(OwnIdleMs(with_info));
    EXPECT_GE(*OwnIdleMs(with_info), 1200u);
    // Without: since the earlier sample, which is no older than the sockets.
    const Snapshot without = Take(*earlier, false);
    const auto since_made =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - made);
    ASSERT_TRUE(OwnIdleMs(without));
    EXPECT_GE(*OwnIdleMs(without), 1200u);
    EXPECT_LE(*OwnIdleMs(without), static_cast<uint64_t>(since_made.count()));
    ASSERT_EQ(without.close_wait_seen.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(without.close_wait_seen[i].inode, earlier->close_wait[i].inode);
      EXPECT_EQ(without.close_wait_seen[i].since, earlier->close_wait[i].since);
    }

    // A CLOSE_WAIT socket the earlier sample did not see has no age without tcp_info, and is
    // seen from this snapshot on.
    servers.clear();
    MakeCloseWait(listener.get(), at, 1, servers);
    const Snapshot fresh = Take(*earlier, false);
    EXPECT_FALSE(OwnIdleMs(fresh));
    ASSERT_EQ(fresh.close_wait_seen.size(), 1u);
    EXPECT_GT(fresh.close_wait_seen[0].since, earlier->taken);
    const EarlierSample next = AsEarlierSample(fresh);
    std::this_thread::sleep_for(milliseconds(300));
    const Snapshot later = Take(next, false);
    ASSERT_TRUE(OwnIdleMs(later));
    EXPECT_GE(*OwnIdleMs(later), 300u);
  });
}

}  // namespace
}  // namespace tcpdoctor::itest
