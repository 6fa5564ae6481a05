// Signal names and numbers without <signal.h>: "SIGTERM", "TERM", "term", "15" all parse.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sup::core {

// Parses a signal given by name (with or without "SIG", any case) or number (1..64).
std::optional<int> parse_signal(std::string_view text);

// "SIGTERM" for 15; "SIGRTMIN+3" for realtime signals; "signal 99" for unknown numbers.
std::string signal_name(int sig);

// TSTP, TTIN, TTOU: the signals a terminal's job control sends, which suspend the supervisor
// too when it is the terminal's foreground job.
bool is_job_control(int sig);

}  // namespace sup::core
