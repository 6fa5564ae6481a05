#include "util/strings.hpp"

#include <charconv>

namespace sup {

std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') return std::nullopt;
  if (text.front() == '-' && min >= 0) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_seconds_ms(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  // A day in ms fits easily; cap at ~100 years so that ms arithmetic never overflows.
  constexpr std::int64_t kMaxSeconds = 3'153'600'000;
  auto seconds = parse_int(whole, 0, kMaxSeconds);
  if (!seconds) return std::nullopt;
  std::int64_t ms = *seconds * 1000;
  if (dot != std::string_view::npos) {
    const std::string_view frac = text.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return std::nullopt;
    std::int64_t scale = 100;
    for (char c : frac) {
      if (c < '0' || c > '9') return std::nullopt;
      ms += (c - '0') * scale;
      scale /= 10;
    }
  }
  return ms;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::size_t split_first(std::string_view text, char sep, std::span<std::string_view> out) {
  std::size_t n = 0;
  std::size_t start = 0;
  while (n < out.size()) {
    const auto pos = text.find(sep, start);
    out[n++] = text.substr(start, pos == std::string_view::npos ? pos : pos - start);
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return n;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace sup
