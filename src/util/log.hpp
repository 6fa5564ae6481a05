// The supervisor's own messages: "supervisor[PID]: text" on stderr, one line each (SPEC 8).
// Logging is done by app/ and main only; adapters return errors instead.
#pragma once

#include <string_view>

namespace sup::log {

enum class Level { kError = 0, kInfo = 1, kDebug = 2 };

// -q lowers the level to errors only, -qq silences everything (level -1).
void set_verbosity(int level);

bool enabled(Level level);

void error(std::string_view text);
void info(std::string_view text);
void debug(std::string_view text);

// A usage or set-up failure before the loop runs: "supervisor: text", always printed
// unless -qq, in the form SPEC section 3 asks for.
void fatal(std::string_view text);

}  // namespace sup::log
