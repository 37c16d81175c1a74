// `tcpdoctor top --by KEY` on a known population: the exact groups, in order, for every key and
// several -n, with the rest in "other", in JSON and text, and the same groups as ss's sockets.
#include <gtest/gtest.h>

#include <sstream>

#include "support/expected_answers.h"
#include "support/netns_sandbox.h"
#include "support/population.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

bool IsNumber(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Reads `top` text output back into the JSON shape, so that it can be compared with the
// expected document. Its state columns are only the states present; for --by state there are
// none, and the groups' "states" stay empty.
nlohmann::json ParseTopText(const std::string& text, GroupKey key) {
  std::istringstream lines(text);
  std::string header;
  std::getline(lines, header);
  std::istringstream header_fields(header);
  std::vector<std::string> columns;
  for (std::string c; header_fields >> c;) columns.push_back(c);
  nlohmann::json doc = {
      {"by", std::string(GroupKeyName(key))},
      {"groups", nlohmann::json::array()},
      {"other", {{"count", 0}, {"groups", 0}, {"states", nlohmann::json::object()}}}};
  if (columns.size() < 2) return {{"error", "bad header: " + header}};
  const size_t numbers = columns.size() - 1;  // COUNT and the state columns
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; in >> f;) fields.push_back(f);
    if (fields.size() <= numbers) return {{"error", "short line: " + line}};
    std::string row_key;
    for (size_t i = 0; i + numbers < fields.size(); ++i) row_key += (i ? " " : "") + fields[i];
    nlohmann::json states = nlohmann::json::object();
    for (size_t i = 0; i < numbers; ++i) {
      const std::string& value = fields[fields.size() - numbers + i];
      if (!IsNumber(value)) return {{"error", "not a number in: " + line}};
      if (i > 0 && value != "0") states[columns[1 + i]] = std::stoull(value);
    }
    const uint64_t count = std::stoull(fields[fields.size() - numbers]);
    if (row_key == "TOTAL") {
      doc["total"] = count;
    } else if (row_key.rfind("other (", 0) == 0) {
      doc["other"] = {
          {"count", count}, {"groups", std::stoull(row_key.substr(7))}, {"states", states}};
    } else {
      doc["groups"].push_back({{"key", row_key}, {"count", count}, {"states", states}});
    }
  }
  return doc;
}

// The text view drops per-state splits for --by state (the key is the state).
nlohmann::json WithoutStates(nlohmann::json doc) {
  for (auto& g : doc["groups"]) g["states"] = nlohmann::json::object();
  doc["other"]["states"] = nlohmann::json::object();
  return doc;
}

class TopTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(TopTest, EveryKeyGivesTheExactGroupsInOrder) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    const std::vector<SocketTuple>& sockets = population.expected();
    const SsResult ss = RunSs();
    ASSERT_EQ(ss.error, "");

    for (GroupKey key : kAllGroupKeys) {
      const std::string by(GroupKeyName(key));
      const size_t groups = CountGroups(sockets, key);
      ASSERT_GT(groups, 2u) << by << ": the population should make several groups";
      // -n: one group, about half, all but one, all, and more than there are.
      for (const size_t limit : {size_t{1}, groups / 2, groups - 1, groups, groups + 5}) {
        const std::vector<std::string> args = {"top", "--by", by, "-n", std::to_string(limit)};
        const auto doc = TcpdoctorJson(args);
        ASSERT_TRUE(doc.has_value());
        EXPECT_EQ(*doc, ExpectedTop(sockets, key, limit))
            << CommandLine(args) << "\nplan: " << population.plan().ToString();
        EXPECT_EQ(*doc, ExpectedTop(ss.rows, key, limit)) << CommandLine(args) << " vs ss -tan";
      }
      // Without -n: ten groups.
      const auto by_default = TcpdoctorJson({"top", "--by", by});
      ASSERT_TRUE(by_default.has_value());
      EXPECT_EQ(*by_default, ExpectedTop(sockets, key, 10)) << "top --by " << by;
      // The long form of -n.
      const auto long_form = TcpdoctorJson({"top", "--limit", "2", "--by", by});
      ASSERT_TRUE(long_form.has_value());
      EXPECT_EQ(*long_form, ExpectedTop(sockets, key, 2)) << "top --limit 2 --by " << by;
    }
  });
}

TEST_P(TopTest, TextShowsTheSameGroupsOtherAndTotal) {
  const uint32_t seed = GetParam();
  RunInNetns([seed] {
    Population population;
    ASSERT_NO_FATAL_FAILURE(population.Build(RandomPlan(seed)));
    ASSERT_NO_FATAL_FAILURE(population.Settle());
    const std::vector<SocketTuple>& sockets = population.expected();
    for (GroupKey key : kAllGroupKeys) {
      const std::string by(GroupKeyName(key));
      for (const size_t limit : {size_t{3}, CountGroups(sockets, key)}) {
        const std::vector<std::string> args = {"top", "--by", by, "-n", std::to_string(limit)};
        const CommandResult run = RunTcpdoctor(args);
        ASSERT_EQ(run.exit_code, 0) << run.Describe();
        EXPECT_EQ(run.err, "");
        nlohmann::json expected = ExpectedTop(sockets, key, limit);
        if (key == GroupKey::kState) expected = WithoutStates(expected);
        EXPECT_EQ(ParseTopText(run.out, key), expected) << CommandLine(args) << ":\n" << run.out;
      }
    }
    // The TOTAL row splits every socket by state.
    const CommandResult run = RunTcpdoctor({"top", "--by", "lport", "-n", "1"});
    const nlohmann::json parsed = ParseTopText(run.out, GroupKey::kLport);
    ASSERT_TRUE(parsed.contains("total")) << run.out;
    EXPECT_EQ(parsed["total"], sockets.size());
  });
}

TEST(TopEmptyNamespaceTest, HasNoGroups) {
  RunInNetns([] {
    for (GroupKey key : kAllGroupKeys) {
      const auto doc = TcpdoctorJson({"top", "--by", std::string(GroupKeyName(key))});
      ASSERT_TRUE(doc.has_value());
      EXPECT_EQ(*doc, ExpectedTop({}, key, 10));
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Seeds, TopTest, ::testing::Values(11u, 12u, 13u));

}  // namespace
}  // namespace tcpdoctor::itest
