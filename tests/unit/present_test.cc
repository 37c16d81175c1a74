// Text and JSON rendering: TextTable, `states` (StatesText/StatesJson) and `top`
// (TopText/TopJson). Expected outputs are written out by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "present/states_view.h"
#include "present/text_table.h"
#include "present/top_view.h"

namespace tcpdoctor {
namespace {

PerStateCounts Split(std::initializer_list<std::pair<TcpState, uint64_t>> parts) {
  PerStateCounts out{};
  for (const auto& [s, n] : parts) out[static_cast<int>(s)] = n;
  return out;
}

Group MakeGroup(std::string key, uint64_t count, PerStateCounts states) {
  Group g;
  g.key = std::move(key);
  g.count = count;
  g.states = states;
  return g;
}

TEST(TextTableTest, AlignsColumnsTwoSpacesApart) {
  TextTable t;
  t.AddColumn("NAME", TextTable::Align::kLeft);
  t.AddColumn("N", TextTable::Align::kRight);
  t.AddColumn("NOTE", TextTable::Align::kLeft);
  t.AddRow({"a", "1", "x"});
  t.AddRow({"longer-name", "12345", "yy"});
  EXPECT_EQ(t.Render(),
            "NAME             N  NOTE\n"
            "a                1  x\n"
            "longer-name  12345  yy\n");
}

TEST(TextTableTest, HeaderCanBeWiderThanCells) {
  TextTable t;
  t.AddColumn("KEY", TextTable::Align::kLeft);
  t.AddColumn("COUNT", TextTable::Align::kRight);
  t.AddRow({"k", "7"});
  EXPECT_EQ(t.Render(), "KEY  COUNT\nk        7\n");
  // Without the header its width does not count.
  EXPECT_EQ(t.Render(/*with_header=*/false), "k  7\n");
}

TEST(TextTableTest, NoTrailingSpacesAndMissingCellsAreBlank) {
  TextTable t;
  t.AddColumn("A", TextTable::Align::kLeft);
  t.AddColumn("B", TextTable::Align::kLeft);
  t.AddColumn("C", TextTable::Align::kRight);
  t.AddRow({"x", "long-b", "1"});
  t.AddRow({"yy", "b"});  // no third cell
  t.AddRow({"z", "", "22"});
  EXPECT_EQ(t.Render(),
            "A   B        C\n"
            "x   long-b   1\n"
            "yy  b\n"
            "z           22\n");
}

TEST(TextTableTest, EmptyTableIsJustTheHeader) {
  TextTable t;
  t.AddColumn("ONLY", TextTable::Align::kRight);
  EXPECT_EQ(t.Render(), "ONLY\n");
  EXPECT_EQ(t.Render(false), "");
}

TEST(StatesTextTest, NonZeroStatesInRfcOrderThenTotal) {
  StateCounts c;
  c.Add(TcpState::kTimeWait, 2);
  c.Add(TcpState::kEstablished, 23);
  c.Add(TcpState::kListen, 6);
  EXPECT_EQ(StatesText(c, /*all_states=*/false),
            "ESTABLISHED  23\n"
            "TIME_WAIT     2\n"
            "LISTEN        6\n"
            "TOTAL        31\n");
}

TEST(StatesTextTest, AllStatesShowsZeros) {
  StateCounts c;
  c.Add(TcpState::kCloseWait, 1200);
  EXPECT_EQ(StatesText(c, /*all_states=*/true),
            "ESTABLISHED     0\n"
            "SYN_SENT        0\n"
            "SYN_RECV        0\n"
            "FIN_WAIT1       0\n"
            "FIN_WAIT2       0\n"
            "TIME_WAIT       0\n"
            "CLOSE           0\n"
            "CLOSE_WAIT   1200\n"
            "LAST_ACK        0\n"
            "LISTEN          0\n"
            "CLOSING         0\n"
            "TOTAL        1200\n");
}

TEST(StatesTextTest, NothingAtAll) { EXPECT_EQ(StatesText(StateCounts{}, false), "TOTAL  0\n"); }

TEST(StatesJsonTest, TotalThenEveryStateInRfcOrder) {
  StateCounts c;
  c.Add(TcpState::kEstablished, 5);
  c.Add(TcpState::kClosing, 1);
  EXPECT_EQ(StatesJson(c).dump(),
            R"({"total":6,"states":{"ESTABLISHED":5,"SYN_SENT":0,"SYN_RECV":0,"FIN_WAIT1":0,)"
            R"("FIN_WAIT2":0,"TIME_WAIT":0,"CLOSE":0,"CLOSE_WAIT":0,"LAST_ACK":0,"LISTEN":0,)"
            R"("CLOSING":1}})");
}

TopGroupsResult SampleTop() {
  TopGroupsResult r;
  r.by = GroupBy::kLocalPort;
  r.total = 6;
  r.groups.push_back(
      MakeGroup("80", 3, Split({{TcpState::kEstablished, 2}, {TcpState::kTimeWait, 1}})));
  r.groups.push_back(MakeGroup("443", 1, Split({{TcpState::kEstablished, 1}})));
  r.other = MakeGroup("other", 2, Split({{TcpState::kCloseWait, 2}}));
  r.other_groups = 2;
  return r;
}

TEST(TopTextTest, StateColumnsOnlyForStatesPresent) {
  EXPECT_EQ(TopText(SampleTop()),
            "LPORT             COUNT  ESTABLISHED  TIME_WAIT  CLOSE_WAIT\n"
            "80                    3            2          1           0\n"
            "443                   1            1          0           0\n"
            "other (2 groups)      2            0          0           2\n"
            "TOTAL                 6            3          1           2\n");
}

TEST(TopTextTest, NoOtherRowWhenEveryGroupIsShown) {
  TopGroupsResult r;
  r.by = GroupBy::kPeer;
  r.total = 4;
  r.groups.push_back(MakeGroup("[2001:db8::2]:443", 3, Split({{TcpState::kSynSent, 3}})));
  r.groups.push_back(MakeGroup("10.0.0.2:443", 1, Split({{TcpState::kSynSent, 1}})));
  r.other.key = "other";
  EXPECT_EQ(TopText(r),
            "PEER               COUNT  SYN_SENT\n"
            "[2001:db8::2]:443      3         3\n"
            "10.0.0.2:443           1         1\n"
            "TOTAL                  4         4\n");
}

TEST(TopTextTest, ByStateHasNoStateColumns) {
  TopGroupsResult r;
  r.by = GroupBy::kState;
  r.total = 7;
  r.groups.push_back(MakeGroup("ESTABLISHED", 5, Split({{TcpState::kEstablished, 5}})));
  r.other = MakeGroup("other", 2, Split({{TcpState::kListen, 2}}));
  r.other_groups = 1;
  EXPECT_EQ(TopText(r),
            "STATE             COUNT\n"
            "ESTABLISHED           5\n"
            "other (1 groups)      2\n"
            "TOTAL                 7\n");
}

TEST(TopTextTest, EmptyResult) {
  TopGroupsResult r;
  r.by = GroupBy::kDestination;
  EXPECT_EQ(TopText(r), "DST    COUNT\nTOTAL      0\n");
}

TEST(TopJsonTest, Shape) {
  EXPECT_EQ(TopJson(SampleTop()).dump(),
            R"({"by":"lport","total":6,"groups":[)"
            R"({"key":"80","count":3,"states":{"ESTABLISHED":2,"TIME_WAIT":1}},)"
            R"({"key":"443","count":1,"states":{"ESTABLISHED":1}}],)"
            R"("other":{"count":2,"groups":2,"states":{"CLOSE_WAIT":2}}})");
}

TEST(TopJsonTest, EmptyGroupsAndOtherAreStillThere) {
  TopGroupsResult r;
  r.by = GroupBy::kRemoteAddress;
  EXPECT_EQ(TopJson(r).dump(),
            R"({"by":"raddr","total":0,"groups":[],"other":{"count":0,"groups":0,"states":{}}})");
}

}  // namespace
}  // namespace tcpdoctor
