// SnapshotBuilder on a hand-made dump: what each state feeds, attribution of CLOSE_WAIT to the
// processes holding it (growth against the earlier sample, peers and idle age), and restart.
#include "analyze/snapshot_builder.h"

#include <gtest/gtest.h>

#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;

SocketRecord Socket(TcpState state, std::string_view local, uint16_t lport, std::string_view remote,
                    uint16_t rport, uint64_t inode = 0) {
  SocketRecord r;
  r.state = state;
  r.local = Addr(local);
  r.local_port = lport;
  r.remote = Addr(remote);
  r.remote_port = rport;
  r.inode = inode;
  return r;
}

ProcessInfo Info(int32_t pid, std::string comm) {
  ProcessInfo p;
  p.pid = pid;
  p.comm = std::move(comm);
  return p;
}

class SnapshotBuilderTest : public ::testing::Test {
 protected:
  SnapshotBuilderTest() : builder_(PortBudgetSettings{}, {8080}, /*backlog_known=*/true) {
    server_ = owners_.AddProcess(Info(100, "server"));
    client_ = owners_.AddProcess(Info(200, "client"));
    owners_.AddProcess(Info(300, "idle"));  // holds nothing in this namespace
  }

  void AddDump() {
    SocketRecord listener = Socket(TcpState::kListen, "0.0.0.0", 8080, "0.0.0.0", 0, 10);
    listener.send_queue = 128;
    listener.recv_queue = 3;
    builder_.Add(listener);
    builder_.Add(Socket(TcpState::kSynRecv, "127.0.0.1", 8080, "127.0.0.2", 40001));
    // The server closed first on its port: TIME_WAIT on 8080, two from one client.
    builder_.Add(Socket(TcpState::kTimeWait, "127.0.0.1", 8080, "127.0.0.2", 40002));
    builder_.Add(Socket(TcpState::kTimeWait, "127.0.0.1", 8080, "127.0.0.2", 40003));
    builder_.Add(Socket(TcpState::kTimeWait, "127.0.0.1", 8080, "127.0.0.3", 40004));
    // An outgoing connection's TIME_WAIT: not a listening port.
    builder_.Add(Socket(TcpState::kTimeWait, "127.0.0.1", 40005, "127.0.0.9", 5432));
    // CLOSE_WAIT: two accepted by the server (one seen earlier), one outgoing of the client,
    // one still in the accept queue (inode 0), one held by nobody we can see.
    SocketRecord a = Socket(TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.2", 40010, 21);
    a.last_data_recv_ms = 5000;
    SocketRecord b = Socket(TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.3", 40011, 22);
    b.last_data_recv_ms = 90000;
    SocketRecord c = Socket(TcpState::kCloseWait, "127.0.0.1", 40012, "127.0.0.9", 5432, 23);
    builder_.Add(a);
    builder_.Add(b);
    builder_.Add(c);
    builder_.Add(Socket(TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.4", 40013, 0));
    builder_.Add(Socket(TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.4", 40014, 99));
    // Close states: an orphaned FIN_WAIT2 and one still held (after shutdown), a LAST_ACK.
    builder_.Add(Socket(TcpState::kFinWait2, "127.0.0.1", 40020, "127.0.0.7", 80, 0));
    builder_.Add(Socket(TcpState::kFinWait2, "127.0.0.1", 40021, "127.0.0.7", 80, 24));
    builder_.Add(Socket(TcpState::kLastAck, "127.0.0.1", 8080, "127.0.0.8", 40022, 0));
    owners_.AddHolder(10, server_);
    owners_.AddHolder(21, server_);
    owners_.AddHolder(22, server_);
    owners_.AddHolder(23, client_);
    owners_.AddHolder(24, client_);
    owners_.Finish();
  }

  Snapshot Finish() {
    Snapshot s;
    builder_.Finish(
        &owners_, [this](uint32_t i) -> const ProcessInfo& { return owners_.processes()[i]; }, s);
    return s;
  }

  SnapshotBuilder builder_;
  SocketOwners owners_;
  uint32_t server_ = 0;
  uint32_t client_ = 0;
};

TEST_F(SnapshotBuilderTest, EachStateFeedsItsPart) {
  builder_.SetEarlierCloseWait({22, 77});
  AddDump();
  const Snapshot s = Finish();
  EXPECT_EQ(s.states.Total(), 14u);
  EXPECT_EQ(s.states.Get(TcpState::kCloseWait), 5u);
  ASSERT_EQ(s.listeners.size(), 1u);
  EXPECT_EQ(s.listeners[0].port, 8080);
  EXPECT_EQ(s.listeners[0].accept_queue, 3u);
  EXPECT_EQ(s.listeners[0].backlog, 128u);
  EXPECT_EQ(s.listeners[0].syn_recv, 1u);
  EXPECT_EQ(s.listeners[0].owner_comm, "server");
  ASSERT_EQ(s.listening_time_wait.size(), 1u);
  EXPECT_EQ(s.listening_time_wait[0].port, 8080);
  EXPECT_EQ(s.listening_time_wait[0].time_wait, 3u);
  ASSERT_EQ(s.listening_time_wait[0].peers.size(), 2u);
  EXPECT_EQ(s.listening_time_wait[0].peers[0].address, Addr("127.0.0.2"));
  EXPECT_EQ(s.listening_time_wait[0].peers[0].count, 2u);
  // Outgoing: the TIME_WAIT, CLOSE_WAIT and FIN_WAIT2 sockets to 127.0.0.9:5432 / .7:80.
  ASSERT_FALSE(s.destinations.empty());
  EXPECT_EQ(s.destinations[0].remote_port, 80);
  EXPECT_EQ(s.destinations[0].in_use, 2u);
  EXPECT_EQ(s.fin_wait2_orphaned, 1u);
  ASSERT_EQ(s.fin_wait2_peers.size(), 1u);
  EXPECT_EQ(s.fin_wait2_peers[0].count, 2u);
  ASSERT_EQ(s.last_ack_peers.size(), 1u);
  EXPECT_EQ(s.last_ack_peers[0].address, Addr("127.0.0.8"));
  EXPECT_EQ(s.close_wait_not_accepted, 1u);
  EXPECT_EQ(s.close_wait_hidden, 1u);
}

TEST_F(SnapshotBuilderTest, CloseWaitIsAttributedWithGrowthPeersAndAge) {
  builder_.SetEarlierCloseWait({22, 77});
  AddDump();
  const Snapshot s = Finish();
  ASSERT_EQ(s.processes.size(), 2u);  // "idle" holds nothing here
  const ProcessSnapshot& server = s.processes[0];
  EXPECT_EQ(server.info.comm, "server");
  EXPECT_EQ(server.states.Get(TcpState::kListen), 1u);
  EXPECT_EQ(server.states.Get(TcpState::kCloseWait), 2u);
  EXPECT_EQ(server.close_wait_new, 1u);  // 22 was there before, 21 is new
  EXPECT_EQ(server.close_wait_idle_ms, 90000u);
  // Accepted connections: clients by address, our service port.
  ASSERT_EQ(server.close_wait_peers.size(), 2u);
  EXPECT_EQ(server.close_wait_peers[0].port, 0);
  ASSERT_EQ(server.close_wait_local.size(), 1u);
  EXPECT_EQ(server.close_wait_local[0].port, 8080);
  EXPECT_EQ(server.close_wait_local[0].count, 2u);
  const ProcessSnapshot& client = s.processes[1];
  EXPECT_EQ(client.info.comm, "client");
  EXPECT_EQ(client.states.Get(TcpState::kCloseWait), 1u);
  EXPECT_EQ(client.states.Get(TcpState::kFinWait2), 1u);
  // Outgoing: the server it talks to, by address and port.
  ASSERT_EQ(client.close_wait_peers.size(), 1u);
  EXPECT_EQ(client.close_wait_peers[0].port, 5432);
  EXPECT_FALSE(client.close_wait_idle_ms.has_value());  // no tcp_info in that record
}

TEST_F(SnapshotBuilderTest, WithoutAnEarlierSampleThereIsNoGrowth) {
  AddDump();
  const Snapshot s = Finish();
  for (const ProcessSnapshot& p : s.processes) EXPECT_EQ(p.close_wait_new, 0u) << p.info.comm;
}

TEST_F(SnapshotBuilderTest, ResetForgetsARestartedDump) {
  AddDump();
  builder_.Reset();
  builder_.Add(Socket(TcpState::kEstablished, "127.0.0.1", 40000, "127.0.0.9", 80, 23));
  const Snapshot s = Finish();
  EXPECT_EQ(s.states.Total(), 1u);
  EXPECT_TRUE(s.listeners.empty());
  EXPECT_TRUE(s.listening_time_wait.empty());
  EXPECT_TRUE(s.fin_wait2_peers.empty());
  ASSERT_EQ(s.processes.size(), 1u);
  EXPECT_EQ(s.processes[0].info.comm, "client");
}

TEST_F(SnapshotBuilderTest, WithoutOwnersProcessesAreUnknown) {
  AddDump();
  Snapshot s;
  builder_.Finish(
      nullptr, [this](uint32_t i) -> const ProcessInfo& { return owners_.processes()[i]; }, s);
  EXPECT_FALSE(s.owners_known);
  EXPECT_TRUE(s.processes.empty());
  EXPECT_EQ(s.states.Total(), 14u);
  EXPECT_EQ(s.close_wait_not_accepted, 1u);
}

}  // namespace
}  // namespace tcpdoctor
