// ClosestMatch and DidYouMean: suggestions for mistyped commands, flags and values.
#include "core/suggest.h"

#include <gtest/gtest.h>

#include "model/tcp_state.h"

namespace tcpdoctor {
namespace {

const std::vector<std::string> kCommands = {"states", "top"};

std::vector<std::string> StateChoices() {
  std::vector<std::string> out;
  for (std::string_view s : StateNameChoices()) out.emplace_back(s);
  return out;
}

TEST(ClosestMatchTest, OneOrTwoEditsAway) {
  EXPECT_EQ(ClosestMatch("stats", kCommands), "states");   // one deletion
  EXPECT_EQ(ClosestMatch("statez", kCommands), "states");  // one substitution
  EXPECT_EQ(ClosestMatch("tpo", kCommands), "top");        // a swap is one edit
  EXPECT_EQ(ClosestMatch("topp", kCommands), "top");       // one insertion
  EXPECT_EQ(ClosestMatch("states", kCommands), "states");  // exact
}

TEST(ClosestMatchTest, ShortWordsAllowOneEditOnly) {
  // "fin" is two substitutions from "big": no suggestion rather than a silly one.
  EXPECT_EQ(ClosestMatch("fin", {"big", "all"}), "");
  EXPECT_EQ(ClosestMatch("tpo", {"top"}), "top");
}

TEST(ClosestMatchTest, ThreeEditsIsTooFar) {
  EXPECT_EQ(ClosestMatch("abcdef", {"abcxyz"}), "");
  EXPECT_EQ(ClosestMatch("xyzzy", kCommands), "");
  EXPECT_EQ(ClosestMatch("STATES", kCommands), "");  // case counts
}

TEST(ClosestMatchTest, NearestWinsAndTiesGoToTheFirstChoice) {
  EXPECT_EQ(ClosestMatch("peer", {"pe", "per"}), "per");  // 2 edits vs 1
  EXPECT_EQ(ClosestMatch("cat", {"bat", "hat"}), "bat");
  EXPECT_EQ(ClosestMatch("cat", {"hat", "bat"}), "hat");
}

TEST(ClosestMatchTest, UniquePrefixWhenNothingIsClose) {
  EXPECT_EQ(ClosestMatch("estab", {"established", "listen"}), "established");
  EXPECT_EQ(ClosestMatch("synchr", {"synchronized", "synchronous"}), "");  // ambiguous
  EXPECT_EQ(ClosestMatch("e", {"established"}), "");  // one letter is not a prefix worth it
  EXPECT_EQ(ClosestMatch("es", {"established"}), "established");
}

TEST(ClosestMatchTest, NoChoices) { EXPECT_EQ(ClosestMatch("x", {}), ""); }

TEST(ClosestMatchTest, StateNames) {
  const auto choices = StateChoices();
  EXPECT_EQ(ClosestMatch("tme-wait", choices), "time-wait");
  EXPECT_EQ(ClosestMatch("closewait", choices), "close-wait");
  EXPECT_EQ(ClosestMatch("listn", choices), "listen");
  EXPECT_EQ(ClosestMatch("establised", choices), "established");
  EXPECT_EQ(ClosestMatch("syn-rcv", choices), "syn-recv");
}

TEST(DidYouMeanTest, Phrase) {
  EXPECT_EQ(DidYouMean("stats", kCommands), " (did you mean 'states'?)");
  EXPECT_EQ(DidYouMean("--jsn", {"--json", "--netns"}), " (did you mean '--json'?)");
  EXPECT_EQ(DidYouMean("nothing-like-it", kCommands), "");
}

}  // namespace
}  // namespace tcpdoctor
