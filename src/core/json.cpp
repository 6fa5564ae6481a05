#include "core/json.hpp"

#include <functional>
#include <limits>

namespace sup::core::json {
namespace {

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

// The length of the valid UTF-8 sequence at text[i], 0 if there is none (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned lead = byte(i);
  std::size_t n = 0;
  std::uint32_t cp = 0, min = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2, cp = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    n = 3, cp = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// A recursive-descent reader of one JSON object (RFC 8259). Nesting is bounded, so hostile
// input cannot exhaust the stack; every access is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  // The top-level object's members; false with error() set if the text is anything else.
  bool top_object(Object& members) {
    space();
    if (!eat('{')) return fail("expected a JSON object");
    auto take = [&](std::string key, Value v) {
      return members.emplace(std::move(key), std::move(v)).second || fail("duplicate key");
    };
    if (!object_members(1, take)) return false;
    space();
    return i_ == s_.size() || fail("text after the object");
  }
  const std::string& error() const { return error_; }

 private:
  static constexpr int kMaxDepth = 32;

  bool fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at byte " + std::to_string(i_);
    return false;
  }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (at_end() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  void space() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool digit() const { return !at_end() && s_[i_] >= '0' && s_[i_] <= '9'; }

  // After '{': members up to the closing '}', each handed to take.
  bool object_members(int depth, const std::function<bool(std::string, Value)>& take) {
    space();
    if (eat('}')) return true;
    for (;;) {
      space();
      std::string key;
      if (!string(key)) return false;
      space();
      if (!eat(':')) return fail("expected ':'");
      Value v;
      if (!value(v, depth) || !take(std::move(key), std::move(v))) return false;
      space();
      if (eat('}')) return true;
      if (!eat(',')) return fail("expected ',' or '}'");
    }
  }

  bool array_elements(int depth) {
    space();
    if (eat(']')) return true;
    for (;;) {
      Value ignored;
      if (!value(ignored, depth)) return false;
      space();
      if (eat(']')) return true;
      if (!eat(',')) return fail("expected ',' or ']'");
    }
  }

  bool value(Value& out, int depth) {
    space();
    const char c = peek();
    if (c == '{' || c == '[') {
      if (depth >= kMaxDepth) return fail("nested too deeply");
      ++i_;
      out = Other{};
      if (c == '[') return array_elements(depth + 1);
      return object_members(depth + 1, [](std::string, Value) { return true; });
    }
    if (c == '"') {
      std::string text;
      if (!string(text)) return false;
      out = std::move(text);
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    for (auto [word, v] :
         {std::pair<std::string_view, Value>{"true", true}, {"false", false}, {"null", nullptr}}) {
      if (s_.substr(i_, word.size()) == word) {
        i_ += word.size();
        out = v;
        return true;
      }
    }
    return fail(at_end() ? "unexpected end" : "unexpected character");
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; an integer that fits in 64 bits is kept.
  bool number(Value& out) {
    const bool negative = eat('-');
    if (!digit()) return fail("expected a digit");
    std::int64_t n = 0;
    bool fits = true;
    if (eat('0')) {
      if (digit()) return fail("leading zero");
    } else {
      for (; digit(); ++i_) {
        const int d = s_[i_] - '0';
        if (n > (kMaxInt64 - d) / 10) fits = false;
        if (fits) n = n * 10 + d;
      }
    }
    bool integer = true;
    if (eat('.')) {
      integer = false;
      if (!digit()) return fail("expected a digit");
      while (digit()) ++i_;
    }
    if (eat('e') || eat('E')) {
      integer = false;
      if (!eat('+')) eat('-');
      if (!digit()) return fail("expected a digit");
      while (digit()) ++i_;
    }
    if (integer && fits) {
      out = negative ? -n : n;
    } else {
      out = Other{};
    }
    return true;
  }

  bool hex4(std::uint32_t& cp) {
    cp = 0;
    for (int k = 0; k < 4; ++k, ++i_) {
      const char c = peek();
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return fail("bad \\u escape");
      cp = cp * 16 + static_cast<std::uint32_t>(d);
    }
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    auto put = [&](std::uint32_t b) { out += static_cast<char>(b); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xc0 | (cp >> 6)), put(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      put(0xe0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3f)), put(0x80 | (cp & 0x3f));
    } else {
      put(0xf0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3f)), put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    }
  }

  // A \u escape after the "\u": a surrogate pair is one character, a lone surrogate U+FFFD.
  bool unicode_escape(std::string& out) {
    std::uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xd800 && cp <= 0xdbff && s_.substr(i_, 2) == "\\u") {
      const std::size_t back = i_;
      i_ += 2;
      std::uint32_t low = 0;
      if (!hex4(low)) return false;
      if (low >= 0xdc00 && low <= 0xdfff) {
        append_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00));
        return true;
      }
      i_ = back;  // not a pair: the second escape is a character of its own
    }
    append_utf8(out, cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
    return true;
  }

  bool string(std::string& out) {
    if (!eat('"')) return fail("expected a string");
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = peek();
      ++i_;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          if (!unicode_escape(out)) return false;
          break;
        default:
          return fail("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string error_;
};

}  // namespace

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      ++i;
    } else if (const std::size_t n = utf8_length(text, i); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
}

Result<Object> parse_object(std::string_view text) {
  Object members;
  Reader reader(text);
  if (!reader.top_object(members)) return logic_error(reader.error());
  return members;
}

}  // namespace sup::core::json
