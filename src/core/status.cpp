#include "core/status.hpp"

#include <array>
#include <functional>
#include <limits>
#include <map>
#include <variant>

#include "util/overloaded.hpp"

namespace sup::core {
namespace {

constexpr std::array kPhases{Phase::kStarting,   Phase::kRunning,  Phase::kBackoff,
                             Phase::kHotRestart, Phase::kStopping, Phase::kGivenUp};
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

// ---- writing ----

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

// JSON must be UTF-8; a path need not be: a byte that is not UTF-8 becomes U+FFFD.
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

std::string number_or_null(std::optional<int> n) { return n ? std::to_string(*n) : "null"; }

// ---- reading ----

// A JSON value as far as the status file needs it; other numbers, arrays and objects are
// checked for syntax and skipped (Other).
struct Other {};
using Value = std::variant<std::nullptr_t, bool, std::int64_t, std::string, Other>;

// A recursive-descent reader of one JSON object (RFC 8259). Nesting is bounded, so hostile
// input cannot exhaust the stack; every access is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  // The top-level object's members; false with error() set if the text is anything else.
  bool top_object(std::map<std::string, Value>& members) {
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
        case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u':
          if (!unicode_escape(out)) return false;
          break;
        default: return fail("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string error_;
};

// The known keys of a parsed object, each checked for its type and range.
class Fields {
 public:
  explicit Fields(const std::map<std::string, Value>& members) : m_(members) {}

  // An integer in [min, max]; absent is an error if required, else nullopt; null likewise
  // unless nullable.
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max,
                                      bool required, bool nullable = false) {
    const Value* v = find(key, required);
    if (v == nullptr || (nullable && std::holds_alternative<std::nullptr_t>(*v))) {
      return std::nullopt;
    }
    const auto* n = std::get_if<std::int64_t>(v);
    if (n == nullptr || *n < min || *n > max) {
      problem(key, "is not " + std::string(nullable ? "null or " : "") + "a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return *n;
  }
  template <class T>
  const T* get(const std::string& key, bool required, const char* what) {
    const Value* v = find(key, required);
    if (v == nullptr) return nullptr;
    const T* t = std::get_if<T>(v);
    if (t == nullptr) problem(key, std::string("is not ") + what);
    return t;
  }
  const std::string& error() const { return error_; }

 private:
  const Value* find(const std::string& key, bool required) {
    const auto it = m_.find(key);
    if (it != m_.end()) return &it->second;
    if (required) problem(key, "is missing");
    return nullptr;
  }
  void problem(const std::string& key, const std::string& what) {
    if (error_.empty()) error_ = "\"" + key + "\" " + what;
  }

  const std::map<std::string, Value>& m_;
  std::string error_;
};

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kStarting: return "starting";
    case Phase::kRunning: return "running";
    case Phase::kBackoff: return "backoff";
    case Phase::kHotRestart: return "hot-restart";
    case Phase::kStopping: return "stopping";
    case Phase::kGivenUp: return "given-up";
  }
  return "?";
}

Status derive_status(const SupervisorId& self, const Settings& settings, const Machine& machine) {
  Status s;
  s.supervisor = self;
  s.program = settings.program;
  s.restarts = machine.memory.restarts;
  if (machine.memory.last_status) s.last_exit = to_shell_code(*machine.memory.last_status);
  const Phase ending = machine.memory.gave_up ? Phase::kGivenUp : Phase::kStopping;
  // The serving generation: its main process is unknown while its heir is sought.
  auto serving = [&](const Generation& gen, bool main_known) {
    s.phase = gen.ready ? Phase::kRunning : Phase::kStarting;
    s.ready = gen.ready;
    if (main_known) s.main_pid = gen.main;
  };
  std::visit(Overloaded{
                 [&](const state::Starting&) { s.phase = Phase::kStarting; },
                 [&](const state::Running& r) { serving(r.gen, true); },
                 [&](const state::Electing& e) { serving(e.gen, false); },
                 [&](const state::AwaitingExec& a) { serving(a.gen, false); },
                 [&](const state::AwaitingPidfile& a) { serving(a.gen, false); },
                 [&](const state::Stopping& st) {
                   s.phase = Phase::kStopping;
                   s.main_pid = st.gen.main;
                 },
                 [&](const state::Cleaning& c) { s.phase = c.restart ? Phase::kBackoff : ending; },
                 [&](const state::Backoff&) { s.phase = Phase::kBackoff; },
                 [&](const state::HotRestart& hr) {
                   s.phase = Phase::kHotRestart;
                   s.main_pid = hr.old.main;  // it serves, and gets the signals, until replaced
                 },
                 [&](const state::Done&) { s.phase = ending; },
             },
             machine.state);
  return s;
}

std::string format_status(const Status& s, std::int64_t since) {
  std::string out = "{\"supervisor_pid\":" + std::to_string(s.supervisor.pid) +
                    ",\"supervisor_start_time\":" + std::to_string(s.supervisor.start_time) +
                    ",\"program\":";
  append_string(out, s.program);
  out += ",\"state\":\"" + std::string(phase_name(s.phase)) +
         "\",\"main_pid\":" + number_or_null(s.main_pid) +
         ",\"ready\":" + (s.ready ? "true" : "false") +
         ",\"restarts\":" + std::to_string(s.restarts) +
         ",\"last_exit\":" + number_or_null(s.last_exit) + ",\"since\":" + std::to_string(since) +
         "}\n";
  return out;
}

Result<StatusFile> parse_status(std::string_view text) {
  std::map<std::string, Value> members;
  Reader reader(text);
  if (!reader.top_object(members)) return logic_error("not a status file: " + reader.error());
  Fields f(members);
  StatusFile file;
  Status& s = file.status;
  s.supervisor.pid = static_cast<int>(f.integer("supervisor_pid", 1, kMaxInt, true).value_or(0));
  s.supervisor.start_time = static_cast<std::uint64_t>(
      f.integer("supervisor_start_time", 0, kMaxInt64, true).value_or(0));
  if (const auto* state = f.get<std::string>("state", true, "a string")) {
    bool known = false;
    for (Phase p : kPhases) {
      if (*state == phase_name(p)) s.phase = p, known = true;
    }
    if (!known) return logic_error("not a status file: unknown state \"" + *state + "\"");
  }
  if (const bool* ready = f.get<bool>("ready", true, "true or false")) s.ready = *ready;
  if (auto main = f.integer("main_pid", 1, kMaxInt, false, true))
    s.main_pid = static_cast<int>(*main);
  s.restarts = static_cast<int>(f.integer("restarts", 0, kMaxInt, false).value_or(0));
  if (auto last = f.integer("last_exit", 0, kMaxInt, false, true))
    s.last_exit = static_cast<int>(*last);
  file.since = f.integer("since", 0, kMaxInt64, false).value_or(0);
  if (const auto* program = f.get<std::string>("program", false, "a string")) s.program = *program;
  if (!f.error().empty()) return logic_error("not a status file: " + f.error());
  return file;
}

ProbeVerdict judge_probe(ProbeKind kind, const Status& status,
                         std::optional<std::uint64_t> live_start_time) {
  const std::string pid = "pid " + std::to_string(status.supervisor.pid);
  if (!live_start_time) return {1, "no supervisor: " + pid + " is gone"};
  if (*live_start_time != status.supervisor.start_time) {
    return {1, "no supervisor: " + pid + " is another process now (start time " +
                   std::to_string(*live_start_time) + ", not " +
                   std::to_string(status.supervisor.start_time) + ")"};
  }
  const bool ready_probe = kind == ProbeKind::kReady;
  if (status.phase == Phase::kGivenUp || (ready_probe && !status.ready)) {
    return {1, std::string(ready_probe ? "not ready: " : "not alive: ") + phase_name(status.phase)};
  }
  return {0, {}};
}

}  // namespace sup::core
