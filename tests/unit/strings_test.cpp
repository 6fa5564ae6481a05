// parse_int, parse_seconds_ms, trim, split, starts_with.
#include "util/strings.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace sup {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

struct IntCase {
  std::string text;
  std::int64_t min, max;
  std::optional<std::int64_t> expected;
};

class ParseInt : public ::testing::TestWithParam<IntCase> {};

TEST_P(ParseInt, Table) {
  const IntCase& tc = GetParam();
  EXPECT_EQ(parse_int(tc.text, tc.min, tc.max), tc.expected)
      << "'" << tc.text << "' in [" << tc.min << ", " << tc.max << "]";
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseInt,
    ::testing::Values(
        IntCase{"0", 0, 10, 0}, IntCase{"7", 0, 10, 7}, IntCase{"10", 0, 10, 10},
        IntCase{"11", 0, 10, std::nullopt},
        IntCase{"4", 5, 10, std::nullopt}, IntCase{"5", 5, 10, 5},
        IntCase{"010", 0, 100, 10},  // decimal, never octal
        IntCase{"255", 0, 255, 255}, IntCase{"256", 0, 255, std::nullopt},
        // Signs.
        IntCase{"-1", 0, 10, std::nullopt}, IntCase{"-0", 0, 10, std::nullopt},
        IntCase{"-1", -10, 10, -1}, IntCase{"-10", -10, 10, -10},
        IntCase{"-11", -10, 10, std::nullopt}, IntCase{"+1", 0, 10, std::nullopt},
        IntCase{"+1", -10, 10, std::nullopt}, IntCase{"--1", -10, 10, std::nullopt},
        IntCase{"-", -10, 10, std::nullopt},
        // Garbage.
        IntCase{"", 0, 10, std::nullopt}, IntCase{" 1", 0, 10, std::nullopt},
        IntCase{"1 ", 0, 10, std::nullopt}, IntCase{"1\n", 0, 10, std::nullopt},
        IntCase{"1a", 0, 100, std::nullopt}, IntCase{"a1", 0, 100, std::nullopt},
        IntCase{"0x10", 0, 100, std::nullopt}, IntCase{"1e2", 0, 1000, std::nullopt},
        IntCase{"1.0", 0, 100, std::nullopt}, IntCase{"1,000", 0, 10000, std::nullopt},
        IntCase{"1_000", 0, 10000, std::nullopt}, IntCase{"abc", 0, 100, std::nullopt},
        // The int64 edges and overflow.
        IntCase{"9223372036854775807", 0, kMax, kMax},
        IntCase{"9223372036854775808", 0, kMax, std::nullopt},
        IntCase{"99999999999999999999999", 0, kMax, std::nullopt},
        IntCase{"-9223372036854775808", kMin, kMax, kMin},
        IntCase{"-9223372036854775809", kMin, kMax, std::nullopt},
        IntCase{"99999999999", 0, 31'536'000, std::nullopt},
        IntCase{"2147483648", 0, 2147483647, std::nullopt}));

struct SecondsCase {
  std::string text;
  std::optional<std::int64_t> expected_ms;
};

class ParseSecondsMs : public ::testing::TestWithParam<SecondsCase> {};

TEST_P(ParseSecondsMs, Table) {
  const SecondsCase& tc = GetParam();
  EXPECT_EQ(parse_seconds_ms(tc.text), tc.expected_ms) << "'" << tc.text << "'";
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseSecondsMs,
    ::testing::Values(
        SecondsCase{"10", 10'000}, SecondsCase{"0", 0}, SecondsCase{"1", 1'000},
        SecondsCase{"80", 80'000}, SecondsCase{"0.5", 500}, SecondsCase{"2.25", 2'250},
        SecondsCase{"0.001", 1}, SecondsCase{"1.5", 1'500}, SecondsCase{"0.1", 100},
        SecondsCase{"0.10", 100}, SecondsCase{"0.100", 100}, SecondsCase{"3.000", 3'000},
        SecondsCase{"10.0", 10'000}, SecondsCase{"86400", 86'400'000},
        // Finer than a millisecond truncates; it never rounds up into a different unit.
        SecondsCase{"0.0009", 0}, SecondsCase{"1.2345", 1'234},
        // Strict: digits on both sides of the point.
        SecondsCase{"1.", std::nullopt}, SecondsCase{".5", std::nullopt},
        SecondsCase{".", std::nullopt},
        // Negative, signed, garbage, units.
        SecondsCase{"-1", std::nullopt}, SecondsCase{"-0.5", std::nullopt},
        SecondsCase{"+1", std::nullopt}, SecondsCase{"abc", std::nullopt},
        SecondsCase{"", std::nullopt}, SecondsCase{"1s", std::nullopt},
        SecondsCase{"10ms", std::nullopt}, SecondsCase{"1.5s", std::nullopt},
        SecondsCase{"1.2.3", std::nullopt}, SecondsCase{"1,5", std::nullopt},
        SecondsCase{" 1", std::nullopt}, SecondsCase{"1 ", std::nullopt},
        SecondsCase{"1e3", std::nullopt}, SecondsCase{"0x10", std::nullopt},
        SecondsCase{"1.-5", std::nullopt}, SecondsCase{"1.+5", std::nullopt},
        SecondsCase{"1. 5", std::nullopt}, SecondsCase{"inf", std::nullopt},
        SecondsCase{"nan", std::nullopt},
        // Absurdly large values are rejected, never overflowed.
        SecondsCase{"99999999999999999999", std::nullopt},
        SecondsCase{"9223372036854775807", std::nullopt}));

TEST(ParseSecondsMs, NoOverflowForTheLargestAccepted) {
  // Whatever the cap, an accepted value is exactly seconds * 1000 (no wrap-around).
  for (std::int64_t s : {std::int64_t{31'536'000}, std::int64_t{3'153'600'000}}) {
    const auto ms = parse_seconds_ms(std::to_string(s));
    if (ms) {
      EXPECT_EQ(*ms, s * 1000) << s;
    }
  }
  EXPECT_EQ(parse_seconds_ms("31536000"), std::int64_t{31'536'000'000});
}

TEST(Trim, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},         {"   ", ""},         {"a", "a"},
      {" a ", "a"},     {"\t\r\n a b \n", "a b"}, {"\v\fx\f\v", "x"},
      {"a  ", "a"},     {"  a", "a"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(trim(in), out) << "'" << in << "'";
}

TEST(Split, KeepsEmptyFields) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(split("a,b,c", ','), (V{"a", "b", "c"}));
  EXPECT_EQ(split("a,,c", ','), (V{"a", "", "c"}));
  EXPECT_EQ(split(",a,", ','), (V{"", "a", ""}));
  EXPECT_EQ(split("", ','), (V{""}));
  EXPECT_EQ(split("abc", ','), (V{"abc"}));
}

TEST(SplitFirst, TheLeadingFieldsOfSplit) {
  using V = std::vector<std::string_view>;
  const std::pair<std::string_view, std::size_t> cases[] = {
      {"a b c d", 2}, {"a b c d", 4}, {"a b c d", 6}, {"a  b", 3}, {"", 1}, {" a", 2}, {"a", 0}};
  for (const auto& [in, n] : cases) {
    std::vector<std::string_view> out(n, "unset");
    const auto whole = split(in, ' ');
    const std::size_t want = std::min(n, whole.size());
    ASSERT_EQ(split_first(in, ' ', out), want) << "'" << in << "' " << n;
    EXPECT_EQ(V(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(want)),
              V(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(want)))
        << "'" << in << "' " << n;
    for (std::size_t i = want; i < n; ++i) EXPECT_EQ(out[i], "unset");  // left as they were
  }
}

TEST(StartsWith, Table) {
  EXPECT_TRUE(starts_with("--fork", "--"));
  EXPECT_TRUE(starts_with("abc", ""));
  EXPECT_TRUE(starts_with("abc", "abc"));
  EXPECT_FALSE(starts_with("ab", "abc"));
  EXPECT_FALSE(starts_with("-f", "--"));
  EXPECT_FALSE(starts_with("", "a"));
}

TEST(DirectoryOf, Table) {
  EXPECT_EQ(directory_of("/run/app.pid"), "/run");
  EXPECT_EQ(directory_of("/app.pid"), "/");
  EXPECT_EQ(directory_of("app.pid"), ".");
  EXPECT_EQ(directory_of("run/app/x.pid"), "run/app");
}

}  // namespace
}  // namespace sup
