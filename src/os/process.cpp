#include "os/process.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

// <linux/wait.h> clashes with <sys/wait.h>; glibc 2.36 does not define P_PIDFD itself.
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace sup::os {

Result<Process> Process::adopt(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno_error("pidfd_open " + std::to_string(pid));
  return Process(pid, UniqueFd(fd));
}

Result<bool> Process::signal(int sig) const {
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) == 0) return true;
  if (errno == ESRCH) return false;
  return errno_error("signalling pid " + std::to_string(pid_));
}

std::optional<core::ExitStatus> Process::reap_exited() const {
  siginfo_t info{};
  for (;;) {
    const int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info,
                           WEXITED);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || info.si_pid == 0) return std::nullopt;
    return core::exit_status_from_siginfo(info.si_code, info.si_status);
  }
}

}  // namespace sup::os

#include <poll.h>

namespace sup::os {

bool has_exited(const Process& process) {
  pollfd pfd{process.fd(), POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0;
}

}  // namespace sup::os
