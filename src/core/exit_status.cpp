#include "core/exit_status.hpp"

#include <cerrno>

#include "core/signal_names.hpp"

namespace sup::core {

namespace {
// Values of si_code for SIGCHLD, from <bits/siginfo-consts.h>; kept here so core needs no
// system header.
constexpr int kCldExited = 1;
constexpr int kCldKilled = 2;
constexpr int kCldDumped = 3;
}  // namespace

ExitStatus exit_status_from_siginfo(int code, int status) {
  if (code == kCldExited) return ExitStatus::exited(status);
  if (code == kCldKilled) return ExitStatus::killed(status, false);
  if (code == kCldDumped) return ExitStatus::killed(status, true);
  return ExitStatus::exited(status);
}

int to_shell_code(const ExitStatus& status) {
  return status.is_signal() ? 128 + status.value : status.value;
}

std::string describe(const ExitStatus& status) {
  if (status.is_exit()) return "exited with status " + std::to_string(status.value);
  std::string text = "killed by " + signal_name(status.value);
  if (status.core_dumped) text += " (core dumped)";
  return text;
}

int spawn_exit_code(int error) {
  switch (error) {
    case ENOENT: return kExitNotFound;
    case EACCES: case ENOEXEC: case EISDIR: case ETXTBSY: case ELOOP: case ENAMETOOLONG:
    case ENOTDIR: case EPERM: case EINVAL: case E2BIG: case ELIBBAD:
      return kExitNotExecutable;
    default: return kExitFailure;
  }
}

}  // namespace sup::core
