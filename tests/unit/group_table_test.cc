// GroupTable: counts per key with a per-state split, through growth and hash collisions.
#include "analyze/group_table.h"

#include <gtest/gtest.h>

#include <map>

namespace tcpdoctor {
namespace {

struct IdentityHash {
  size_t operator()(uint64_t k) const { return static_cast<size_t>(k); }
};
struct ConstantHash {  // every key collides: only the probing keeps groups apart
  size_t operator()(uint64_t) const { return 7; }
};

template <typename Table>
std::map<uint64_t, std::pair<uint32_t, PerStateCounts>> Contents(const Table& t) {
  std::map<uint64_t, std::pair<uint32_t, PerStateCounts>> out;
  t.ForEach([&](const typename Table::Slot& s) {
    EXPECT_EQ(out.count(s.key), 0u) << "key " << s.key << " seen twice";
    out[s.key] = {s.total, t.Split(s)};
  });
  return out;
}

PerStateCounts Split(std::initializer_list<std::pair<TcpState, uint64_t>> parts) {
  PerStateCounts out{};
  for (const auto& [s, n] : parts) out[static_cast<int>(s)] = n;
  return out;
}

TEST(GroupTableTest, EmptyTable) {
  GroupTable<uint64_t, IdentityHash> t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(Contents(t).empty());
}

TEST(GroupTableTest, SingleStateGroups) {
  GroupTable<uint64_t, IdentityHash> t;
  t.Add(5, TcpState::kEstablished);
  t.Add(5, TcpState::kEstablished);
  t.Add(9, TcpState::kListen);
  EXPECT_EQ(t.size(), 2u);
  const auto c = Contents(t);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.at(5).first, 2u);
  EXPECT_EQ(c.at(5).second, Split({{TcpState::kEstablished, 2}}));
  EXPECT_EQ(c.at(9).first, 1u);
  EXPECT_EQ(c.at(9).second, Split({{TcpState::kListen, 1}}));
}

TEST(GroupTableTest, KeyZeroIsAKeyLikeAnyOther) {
  GroupTable<uint64_t, IdentityHash> t;
  t.Add(0, TcpState::kTimeWait);
  t.Add(0, TcpState::kTimeWait);
  const auto c = Contents(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.at(0).first, 2u);
}

TEST(GroupTableTest, MixedStateGroupKeepsEverySocket) {
  GroupTable<uint64_t, IdentityHash> t;
  // 3 ESTABLISHED, then 2 TIME_WAIT, then ESTABLISHED and CLOSE_WAIT again.
  for (int i = 0; i < 3; ++i) t.Add(1, TcpState::kEstablished);
  for (int i = 0; i < 2; ++i) t.Add(1, TcpState::kTimeWait);
  t.Add(1, TcpState::kEstablished);
  t.Add(1, TcpState::kCloseWait);
  // A second mixed group, so that the out-of-line splits do not get mixed up.
  t.Add(2, TcpState::kListen);
  t.Add(2, TcpState::kSynRecv);
  t.Add(3, TcpState::kFinWait1);
  const auto c = Contents(t);
  EXPECT_EQ(c.at(1).first, 7u);
  EXPECT_EQ(
      c.at(1).second,
      Split({{TcpState::kEstablished, 4}, {TcpState::kTimeWait, 2}, {TcpState::kCloseWait, 1}}));
  EXPECT_EQ(c.at(2).first, 2u);
  EXPECT_EQ(c.at(2).second, Split({{TcpState::kListen, 1}, {TcpState::kSynRecv, 1}}));
  EXPECT_EQ(c.at(3).second, Split({{TcpState::kFinWait1, 1}}));
}

TEST(GroupTableTest, GrowsWithoutLosingCounts) {
  GroupTable<uint64_t, IdentityHash> t;
  constexpr uint64_t kKeys = 50000;  // far past the first table of 1024 slots
  // Key k gets (k % 4) + 1 sockets; keys divisible by 3 get one TIME_WAIT among them.
  uint64_t expected_total = 0;
  for (int round = 0; round < 4; ++round) {
    for (uint64_t k = 0; k < kKeys; ++k) {
      if (static_cast<uint64_t>(round) > k % 4) continue;
      const bool tw = round == 0 && k % 3 == 0;
      t.Add(k * 1024, tw ? TcpState::kTimeWait : TcpState::kEstablished);  // k*1024: clustered
      ++expected_total;
    }
  }
  EXPECT_EQ(t.size(), kKeys);
  const auto c = Contents(t);
  ASSERT_EQ(c.size(), kKeys);
  uint64_t total = 0;
  for (uint64_t k = 0; k < kKeys; ++k) {
    const auto& [count, split] = c.at(k * 1024);
    const uint64_t n = k % 4 + 1;
    ASSERT_EQ(count, n) << k;
    const uint64_t tw = k % 3 == 0 ? 1 : 0;
    ASSERT_EQ(split[static_cast<int>(TcpState::kTimeWait)], tw) << k;
    ASSERT_EQ(split[static_cast<int>(TcpState::kEstablished)], n - tw) << k;
    total += count;
  }
  EXPECT_EQ(total, expected_total);
}

TEST(GroupTableTest, CollidingKeysStayApart) {
  GroupTable<uint64_t, ConstantHash> t;
  for (uint64_t k = 1; k <= 2000; ++k) {
    for (uint64_t i = 0; i < k % 3 + 1; ++i) t.Add(k, TcpState::kSynSent);
  }
  EXPECT_EQ(t.size(), 2000u);
  const auto c = Contents(t);
  ASSERT_EQ(c.size(), 2000u);
  for (uint64_t k = 1; k <= 2000; ++k) ASSERT_EQ(c.at(k).first, k % 3 + 1) << k;
}

TEST(GroupTableTest, ClearForgetsEverything) {
  GroupTable<uint64_t, IdentityHash> t;
  for (uint64_t k = 0; k < 3000; ++k) t.Add(k, k % 2 ? TcpState::kListen : TcpState::kClose);
  t.Add(1, TcpState::kEstablished);  // a mixed group
  t.Clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(Contents(t).empty());
  t.Add(1, TcpState::kClosing);
  const auto c = Contents(t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.at(1).first, 1u);
  EXPECT_EQ(c.at(1).second, Split({{TcpState::kClosing, 1}}));
}

}  // namespace
}  // namespace tcpdoctor
