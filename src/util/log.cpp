#include "util/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

void emit_with_pid(std::string_view text) {
  char prefix[32];
  const int n = std::snprintf(prefix, sizeof prefix, "[%d]: ", ::getpid());
  emit(std::string_view(prefix, static_cast<std::size_t>(n)), text);
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
