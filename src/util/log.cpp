#include "util/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

namespace sup::log {
namespace {

int g_verbosity = static_cast<int>(Level::kInfo);

// One write(2) per line, so lines from the supervisor and the app never interleave mid-line.
void emit(std::string_view prefix_tail, std::string_view text) {
  // Sized once and appended: one allocation per line.
  std::string line;
  line.reserve(sizeof "supervisor" + prefix_tail.size() + text.size() + 1);
  line.append("supervisor").append(prefix_tail).append(text).push_back('\n');
  const int saved = errno;
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  errno = saved;
}

// std::to_chars, not snprintf: printf's engine is 30 KiB of code that would be resident for
// this alone (docs/benchmarks/memory.md).
void emit_with_pid(std::string_view text) {
  char prefix[32] = "[";
  char* end = std::to_chars(prefix + 1, prefix + sizeof prefix - 3, ::getpid()).ptr;
  *end++ = ']';
  *end++ = ':';
  *end++ = ' ';
  emit(std::string_view(prefix, static_cast<std::size_t>(end - prefix)), text);
}

}  // namespace

void set_verbosity(int level) { g_verbosity = level; }

bool enabled(Level level) { return g_verbosity >= static_cast<int>(level); }

void error(std::string_view text) {
  if (g_verbosity >= static_cast<int>(Level::kError)) emit_with_pid(text);
}
void info(std::string_view text) {
  if (g_verbosity >= static_cast<int>(Level::kInfo)) emit_with_pid(text);
}
void debug(std::string_view text) {
  if (g_verbosity >= static_cast<int>(Level::kDebug)) emit_with_pid(text);
}
void fatal(std::string_view text) {
  if (g_verbosity >= static_cast<int>(Level::kError)) emit(": ", text);
}

}  // namespace sup::log
