// The little JSON the status file needs (RFC 8259): a string written with its escapes, and one
// object read, its scalar members kept. The reader takes text anyone may have written: nesting
// is bounded, every access is bounds-checked, and nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "util/result.hpp"

namespace sup::core::json {

// A non-integer number, an array or an object: checked for syntax, not kept.
struct Other {};
// null, true/false, an integer that fits 64 bits, a string (decoded to UTF-8), or Other.
using Value = std::variant<std::nullptr_t, bool, std::int64_t, std::string, Other>;
using Object = std::map<std::string, Value>;

// Appends text as a JSON string, quotes included. JSON must be UTF-8 and a path need not be:
// a byte that is not part of valid UTF-8 becomes U+FFFD.
void append_string(std::string& out, std::string_view text);

// The members of the one JSON object that text is (whitespace around it allowed). Anything
// else, or a key given twice, is an Error saying what is wrong and at which byte.
Result<Object> parse_object(std::string_view text);

}  // namespace sup::core::json
