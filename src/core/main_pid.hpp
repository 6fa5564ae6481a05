// Successor election (SPEC 5): when the main process exits, which process of the app is the
// new main process? Pure: the shell gathers a snapshot of the app's processes and the hints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sup::core {

struct ProcInfo {
  int pid = 0;
  int ppid = 0;
  std::uint64_t start_time = 0;  // clock ticks after boot, orders processes by age
  std::string exe;               // /proc/PID/exe target, " (deleted)" already stripped
  char state = 'S';              // 'Z' for zombies, which are never elected
  // Forked and not exec'd since (PF_FORKNOEXEC): it still runs its parent's image, so its
  // executable is no evidence of an upgrade (a shell's background job before its exec).
  bool forked_no_exec = false;
  int session = 0;  // its session id (/proc/PID/stat field 6)
};

struct ElectionInput {
  std::vector<ProcInfo> app;          // every live process of the app (cgroup or descendants)
  int self = 0;                       // the supervisor
  std::string exe;                    // the program's executable, " (deleted)" stripped
  std::optional<int> pidfile_pid;     // from --main-pidfile
  std::vector<int> predecessors;      // earlier main processes, oldest first, maybe still alive
  // The main process was killed by a signal or exited with a failure status: a crash, not a
  // hand-over. Its children are then orphans (an nginx master's workers run the same
  // executable), never heirs; only a hint or a predecessor can name a successor.
  bool main_failed = false;
  // Report a same-executable child that has not exec'd yet as kPending instead of passing it
  // over: a fork+exec upgrade whose new process was slower to exec than the old one to exit.
  bool await_exec = false;
  // The wait for an exec is over (kExecWaitMs after the exit): a sole child that still has not
  // exec'd is a daemon that forked without exec (the launchers of nginx and redis do), and is
  // elected. Several are ambiguous.
  bool exec_wait_over = false;
  // The supervisor is PID 1 of its PID namespace and follows the app without a cgroup: the
  // orphans of processes that entered the namespace from outside (podman exec, nsenter) become
  // its children too, just like the app's. A child is then an heir only if its session ties it
  // to the app: the supervisor's own (self_session: the app never left it), its own (a daemon
  // that called setsid), or that of the main process that exited or of a predecessor (forked
  // by a main that had called setsid). A double-forked daemon has none of these: -P names it.
  bool adopts_strangers = false;
  int self_session = 0;
  int exited = 0;  // the main process that exited
};

struct Election {
  // kPending: no heir yet, but candidates (each a same-executable child that has not exec'd
  // yet) may become one once they exec; elect again shortly.
  enum class Kind { kElected, kAmbiguous, kPending, kNone };
  Kind kind = Kind::kNone;
  int pid = 0;
  std::string source;            // "pidfile", "predecessor", "child"
  std::vector<int> candidates;   // for kAmbiguous and kPending
  std::vector<std::string> refused;  // hints that named a process outside the app, for the log
};

// Whether pid may be a main process: a live, non-zombie process of the app, not the
// supervisor and not PID 1. The one rule for every hint: --main-pidfile here, MAINPID= as it
// arrives (the app then names its main process at once, so it needs no rule at exit).
bool suitable_main_pid(const ElectionInput& in, int pid);

// Rules in order: the pidfile hint, the most recent predecessor still alive (a rolled-back
// upgrade), then, unless the main failed, the app's direct children of the supervisor that
// have exec'd the same executable (and, with in.adopts_strangers, whose session ties them to
// the app): one is elected; several are ambiguous (never guessed between). With none, children that
// may still exec it (forked, not exec'd) make the election kPending when in.await_exec is set; once
// in.exec_wait_over, a sole one is elected as a daemon; otherwise they are passed over.
Election elect_main_pid(const ElectionInput& in);

}  // namespace sup::core
