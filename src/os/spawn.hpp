// Starting the app: clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD [| CLONE_INTO_CGROUP]), so the
// app is in its cgroup before it runs an instruction of its own, we hold a pidfd from the first
// moment, and no address space is copied: we resume once the child has exec'd or exited.
#pragma once

#include <signal.h>
#include <sys/resource.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "os/privileges.hpp"
#include "os/process.hpp"
#include "util/result.hpp"

namespace sup::os {

struct SpawnSpec {
  std::string path;                // absolute path of the executable
  std::vector<std::string> argv;   // argv[0] first
  std::vector<std::string> env;    // "NAME=value"
  Credentials credentials;
  // Signals the supervisor ignores (os::ignored_signals()): the child sets them back to
  // SIG_DFL. Handled ones need nothing, exec resets them; the supervisor installs none.
  sigset_t ignored_signals{};
  int cgroup_clone_fd = -1;        // clone3 CLONE_INTO_CGROUP target, or -1
  int cgroup_join_fd = -1;         // cgroup.procs to write "0" to before exec, or -1
  // Fds handed to the app: (our fd, the app's fd number). All others are closed at exec.
  // Placed in place (core::plan_fd_moves): one fd number beyond ours at most is needed.
  std::vector<std::pair<int, int>> pass_fds;
  // The app's soft RLIMIT_NOFILE (capped at the hard limit), set after its fds are placed:
  // the one the supervisor was started with, before it raised its own (os::raise_fd_limit).
  // nullopt: the supervisor's.
  std::optional<rlim_t> fd_soft_limit;
  // SIGKILL the app if the supervisor dies (PR_SET_PDEATHSIG, set after the privilege drop,
  // which would reset it).
  bool die_with_supervisor = true;
};

// Error.code is the errno of the step that failed (ENOENT, EACCES, …); the message names it.
// A child whose setup failed has been reaped before this returns. *exec_failed (if given) says
// whether the failed step was the exec itself, the program's fault (SPEC 3: 126, 127), rather
// than one before it (credentials, cgroup, fds: the supervisor's, 125).
Result<Process> spawn(const SpawnSpec& spec, bool* exec_failed = nullptr);

}  // namespace sup::os
