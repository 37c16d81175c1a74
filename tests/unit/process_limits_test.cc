// ParseNofileLimits on real /proc/PID/limits captures (tests/fixtures/proc/limits, see its
// README.md) and on the shapes a damaged or foreign file can take.
#include "collect/process_limits.h"

#include <gtest/gtest.h>

#include <string>

#include "fixture_util.h"

namespace tcpdoctor {
namespace {

using test_util::FixturePath;
using test_util::ReadText;

constexpr char kHeader[] =
    "Limit                     Soft Limit           Hard Limit           Units     \n";

std::string WithNofileLine(const std::string& line) {
  return std::string(kHeader) +
         "Max processes             96365                96365                processes \n" + line +
         "\nMax locked memory         8388608              8388608              bytes     \n";
}

void ExpectMalformed(const std::string& text, const std::string& quoted) {
  auto limits = ParseNofileLimits("/proc/42/limits", text);
  ASSERT_FALSE(limits.ok()) << text;
  EXPECT_EQ(limits.error().code, ErrorCode::kParse);
  EXPECT_EQ(limits.error().context, "/proc/42/limits");
  EXPECT_NE(limits.error().message.find("Max open files"), std::string::npos);
  EXPECT_NE(limits.error().message.find(quoted), std::string::npos) << limits.error().message;
}

TEST(ProcessLimitsTest, RealCaptures) {
  auto host = ParseNofileLimits("limits", ReadText(FixturePath("proc/limits/kernel-6.18")));
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->soft, 20000u);
  EXPECT_EQ(host->hard, 20000u);
  auto lowered =
      ParseNofileLimits("limits", ReadText(FixturePath("proc/limits/kernel-6.18-soft-1024")));
  ASSERT_TRUE(lowered.ok()) << lowered.error().ToString();
  EXPECT_EQ(lowered->soft, 1024u);
  EXPECT_EQ(lowered->hard, 20000u);
}

TEST(ProcessLimitsTest, Unlimited) {
  auto limits = ParseNofileLimits(
      "limits",
      WithNofileLine("Max open files            unlimited            unlimited            files"));
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->soft, kUnlimited);
  EXPECT_EQ(limits->hard, kUnlimited);
  auto soft_only = ParseNofileLimits(
      "limits", WithNofileLine("Max open files            4096                 unlimited"));
  ASSERT_TRUE(soft_only.ok());
  EXPECT_EQ(soft_only->soft, 4096u);
  EXPECT_EQ(soft_only->hard, kUnlimited);
}

TEST(ProcessLimitsTest, LayoutVariations) {
  // The last line without its newline, tabs, no units column, the largest value.
  auto last = ParseNofileLimits("limits", std::string(kHeader) + "Max open files\t1024\t4096");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->soft, 1024u);
  EXPECT_EQ(last->hard, 4096u);
  auto big = ParseNofileLimits(
      "limits", WithNofileLine("Max open files  18446744073709551614 18446744073709551614 files"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->soft, 18446744073709551614u);
  // Only the line whose name is exactly "Max open files" counts.
  auto other = ParseNofileLimits("limits", "Max open filesystems      1 2\nMax open files 3 4\n");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->soft, 3u);
}

TEST(ProcessLimitsTest, MissingLine) {
  for (const std::string& text :
       {std::string(), std::string(kHeader), std::string("\n\n\n"),
        WithNofileLine("Max file locks            unlimited            unlimited            locks"),
        std::string("max open files 1 2\n"), std::string("  Max open files 1 2\n")}) {
    auto limits = ParseNofileLimits("/proc/42/limits", text);
    ASSERT_FALSE(limits.ok()) << text;
    EXPECT_EQ(limits.error().code, ErrorCode::kParse);
    EXPECT_EQ(limits.error().context, "/proc/42/limits");
    EXPECT_EQ(limits.error().ToString(), "/proc/42/limits: no \"Max open files\" line");
  }
}

TEST(ProcessLimitsTest, MalformedLine) {
  ExpectMalformed(WithNofileLine("Max open files"), "\"Max open files\"");
  ExpectMalformed(WithNofileLine("Max open files            1024"),
                  "\"Max open files            1024\"");
  ExpectMalformed(WithNofileLine("Max open files            lots                 4096  files"),
                  "lots");
  ExpectMalformed(WithNofileLine("Max open files            -1                   4096  files"),
                  "-1");
  ExpectMalformed(WithNofileLine("Max open files            1024                 4096x files"),
                  "4096x");
  ExpectMalformed(WithNofileLine("Max open files            18446744073709551616 1 files"),
                  "18446744073709551616");
  ExpectMalformed(WithNofileLine("Max open files            Unlimited            1 files"),
                  "Unlimited");
}

TEST(ProcessLimitsTest, HugeInputDoesNotCrash) {
  EXPECT_FALSE(ParseNofileLimits("limits", std::string(1 << 20, 'M')).ok());
  EXPECT_FALSE(ParseNofileLimits("limits", "Max open files" + std::string(1 << 20, ' ')).ok());
  auto after_junk =
      ParseNofileLimits("limits", std::string(1 << 20, '\n') + "Max open files 7 8\n");
  ASSERT_TRUE(after_junk.ok());
  EXPECT_EQ(after_junk->hard, 8u);
}

}  // namespace
}  // namespace tcpdoctor
