// A process is a pid and its pidfd (systemd's PidRef): every signal and wait goes through the
// pidfd, so a recycled PID can never be hit.
#pragma once

#include <sys/types.h>

#include <optional>

#include "core/exit_status.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

class Process {
 public:
  Process() = default;
  Process(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  // Opens a pidfd for an existing process (pidfd_open). The caller re-checks that the process
  // is still the one it meant (e.g. cgroup membership) after opening.
  static Result<Process> adopt(pid_t pid);

  pid_t pid() const noexcept { return pid_; }
  int fd() const noexcept { return pidfd_.get(); }  // readable once the process has exited
  explicit operator bool() const noexcept { return pid_ > 0; }

  // pidfd_send_signal. Returns false if the process is already gone (ESRCH).
  Result<bool> signal(int sig) const;

  // Reaps the process once its pidfd reported the exit: waitid(P_PIDFD, WEXITED). The pidfd
  // can turn readable a moment before the zombie is waitable, so this waits for that moment.
  // nullopt: not our child (ECHILD: its parent reaps it) or already reaped.
  std::optional<core::ExitStatus> reap_exited() const;

 private:
  pid_t pid_ = 0;
  UniqueFd pidfd_;
};

}  // namespace sup::os

namespace sup::os {

// Whether the process behind a pidfd has exited (a poll with zero timeout).
bool has_exited(const Process& process);

}  // namespace sup::os
