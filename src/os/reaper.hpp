// The supervisor as the reaper of the app's orphans (SPEC 5, 6): every descendant that loses
// its parent becomes our child, and every exited child is collected.
#pragma once

#include <sys/types.h>

#include <optional>

#include "core/exit_status.hpp"
#include "util/result.hpp"

namespace sup::os {

// Makes orphaned descendants reparent to us instead of to init (PR_SET_CHILD_SUBREAPER), so a
// daemonizing app's daemon stays our child and every zombie of the app reaches us.
Result<void> become_subreaper();

struct Reaped {
  pid_t pid = 0;
  core::ExitStatus status;  // when it exited
  int stopped_by = 0;       // when it stopped instead: the signal (the child lives on)
};
// Reaps one exited child of any kind, or takes the report of one that stopped
// (waitid(P_ALL, WEXITED|WSTOPPED|WNOHANG): a stop is reported once); nullopt when nothing is
// left to report. SIGCHLD coalesces, so callers loop until nullopt.
std::optional<Reaped> reap_one();

}  // namespace sup::os
