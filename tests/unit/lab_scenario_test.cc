// The lab's scale options: defaults, bounds, and the errors that name them.
#include <gtest/gtest.h>

#include <set>

#include "lab/scenario.h"
#include "lab/scenario_registry.h"

namespace tcpdoctor {
namespace {

Scenario MadeUp() {
  Scenario s;
  s.info = {"made-up",
            "a scenario for the tests",
            {{"connections", 100, 1, 1000, true, "connections made"},
             {"rate", 50, 10, 500, false, "connections a second"}}};
  s.paced_phases = 2;
  return s;
}

std::string ErrorOf(const std::map<std::string, std::string>& given) {
  auto params = ResolveParams(MadeUp(), given);
  return params ? "" : params.error().ToString();
}

TEST(LabScenarioTest, DefaultsFillWhatIsNotGiven) {
  auto params = ResolveParams(MadeUp(), {{"rate", "100"}});
  ASSERT_TRUE(params) << params.error().ToString();
  EXPECT_EQ(params->Count(kConnections), 100);
  EXPECT_DOUBLE_EQ(params->Get(kRate), 100);
  EXPECT_FALSE(params->Has(kDuration));
}

TEST(LabScenarioTest, BoundsAreInclusiveAndNamed) {
  EXPECT_EQ(ErrorOf({{"connections", "1"}, {"rate", "500"}}), "");
  EXPECT_EQ(ErrorOf({{"connections", "1000"}, {"rate", "500"}}), "");
  EXPECT_EQ(ErrorOf({{"connections", "0"}}),
            "--connections: 0 is out of bounds for made-up: at least 1 (give a value from 1 to "
            "1000 (connections made))");
  EXPECT_NE(ErrorOf({{"connections", "1001"}}).find("at most 1000"), std::string::npos);
  EXPECT_NE(ErrorOf({{"rate", "9.5"}}).find("at least 10"), std::string::npos);
}

TEST(LabScenarioTest, ValuesMustBeNumbersOfTheRightKind) {
  EXPECT_NE(ErrorOf({{"connections", "12.5"}}).find("'12.5' is not a whole number"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"connections", ""}}).find("not a whole number"), std::string::npos);
  EXPECT_NE(ErrorOf({{"connections", "10x"}}).find("'10x'"), std::string::npos);
  EXPECT_NE(ErrorOf({{"rate", "nan"}}).find("not a number"), std::string::npos);
  EXPECT_EQ(ErrorOf({{"rate", "12.5"}}), "");  // rates may be fractional
  auto params = ResolveParams(MadeUp(), {{"rate", "12.5"}, {"connections", "10"}});
  ASSERT_TRUE(params);
  EXPECT_DOUBLE_EQ(params->Get(kRate), 12.5);
}

TEST(LabScenarioTest, AnOptionTheScenarioLacksIsAnError) {
  auto params = ResolveParams(MadeUp(), {{"duration", "5"}});
  ASSERT_FALSE(params);
  EXPECT_EQ(params.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(params.error().ToString(),
            "--duration: made-up takes no --duration (it takes --connections, --rate; see "
            "tcpdoctor lab --list)");
}

// 2 phases x 1000 connections at 10 a second would be 200 s of pacing.
TEST(LabScenarioTest, PacingLongerThanTheLimitIsRefusedWithTheRateNeeded) {
  EXPECT_EQ(ErrorOf({{"connections", "1000"}, {"rate", "10"}}),
            "--rate: --connections 1000 at --rate 10 would take 200 s; a lab run paces for at "
            "most 20 s (raise --rate to 100 or more, or lower --connections)");
  EXPECT_EQ(ErrorOf({{"connections", "1000"}, {"rate", "100"}}), "");
}

// Every registered scenario: a unique name, defaults inside bounds, and defaults that pace
// within the limit (so that each finishes in well under 30 s).
TEST(LabScenarioTest, RegisteredScenariosHaveConsistentDefaults) {
  std::set<std::string> names;
  for (const Scenario& s : AllScenarios()) {
    EXPECT_TRUE(names.insert(s.info.name).second) << s.info.name;
    EXPECT_EQ(FindScenario(s.info.name), &s);
    EXPECT_TRUE(s.run) << s.info.name;
    for (const LabScale& scale : s.info.scales) {
      EXPECT_LE(scale.min, scale.default_value) << s.info.name << " " << scale.option;
      EXPECT_LE(scale.default_value, scale.max) << s.info.name << " " << scale.option;
      EXPECT_FALSE(scale.meaning.empty()) << s.info.name << " " << scale.option;
    }
    auto defaults = ResolveParams(s, {});
    EXPECT_TRUE(defaults) << s.info.name << ": " << defaults.error().ToString();
  }
  EXPECT_EQ(FindScenario("no-such-scenario"), nullptr);
  EXPECT_EQ(ScenarioNames().size(), AllScenarios().size());
}

}  // namespace
}  // namespace tcpdoctor
