#include "os/reaper.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>

namespace sup::os {

Result<void> become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return errno_error("PR_SET_CHILD_SUBREAPER");
  return {};
}

std::optional<Reaped> reap_one() {
  siginfo_t info{};
  for (;;) {
    const int r = ::waitid(P_ALL, 0, &info, WEXITED | WSTOPPED | WNOHANG);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || info.si_pid == 0) return std::nullopt;
    if (info.si_code == CLD_STOPPED) return Reaped{info.si_pid, {}, info.si_status};
    return Reaped{info.si_pid, core::exit_status_from_siginfo(info.si_code, info.si_status)};
  }
}

}  // namespace sup::os
