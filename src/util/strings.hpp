// Non-throwing parsing and small string helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sup {

// Parses a whole decimal integer in [min, max]; no sign unless min < 0, no spaces, no suffix.
std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max);

// Parses a non-negative decimal duration in seconds ("10", "0.5", "2.25") into milliseconds.
std::optional<std::int64_t> parse_seconds_ms(std::string_view text);

// Removes leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

// Splits on a separator character; empty fields are kept.
std::vector<std::string_view> split(std::string_view text, char sep);

// The first out.size() fields of split(text, sep), without allocating: how many there were, at
// most out.size().
std::size_t split_first(std::string_view text, char sep, std::span<std::string_view> out);

bool starts_with(std::string_view text, std::string_view prefix);

// The directory part of a path, as dirname(1) has it for the paths we meet: "." for a bare
// name, "/" for a file in the root.
std::string directory_of(const std::string& path);

}  // namespace sup
