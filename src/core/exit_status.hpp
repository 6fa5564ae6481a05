// How a process ended, and how that maps to the supervisor's own exit status (SPEC 3).
#pragma once

#include <string>

namespace sup::core {

struct ExitStatus {
  enum class Kind { kExited, kKilled };
  Kind kind = Kind::kExited;
  int value = 0;        // exit code for kExited, signal number for kKilled
  bool core_dumped = false;

  static ExitStatus exited(int code) { return {Kind::kExited, code, false}; }
  static ExitStatus killed(int sig, bool core = false) { return {Kind::kKilled, sig, core}; }
  bool is_exit() const { return kind == Kind::kExited; }
  bool is_signal() const { return kind == Kind::kKilled; }
  bool operator==(const ExitStatus&) const = default;
};

// From waitid's siginfo: si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED) and si_status.
ExitStatus exit_status_from_siginfo(int code, int status);

// The shell convention: the code itself, or 128 + signal.
int to_shell_code(const ExitStatus& status);

// "exited with status 1", "killed by SIGSEGV (core dumped)".
std::string describe(const ExitStatus& status);

// Fixed exit codes of the supervisor itself (SPEC 3).
inline constexpr int kExitFailure = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// The status of a start that failed with errno `error`: a program that cannot be run is 126,
// a missing one 127; a failure of the supervisor itself (no memory, no more processes) 125.
int spawn_exit_code(int error);

}  // namespace sup::core
