// The app's lifecycle (SPEC 4-7) as one pure state machine, in the manner of s6-supervise: a
// state that holds only what exists in it, events the shell turns its ready fds into, and the
// actions the shell carries out. step() decides; it reads no clock and makes no syscall. The
// shell arms its one timer for deadline() and feeds Tick when it fires.
//
// Facts only the OS can establish come back as events in answer to an action: Spawn is answered
// by Spawned or SpawnFailed, ElectSuccessor by SuccessorFound or NoSuccessor, StopLeftovers (when
// nothing is left) and the cgroup's own events by AppEmpty, Follow (when the process is already
// gone) by MainExited.
//
// An incarnation of the app is a Generation: the process the supervisor spawned and every main
// process that succeeded it (fork+exec upgrades, daemons, MAINPID= hand-overs). Generations are
// numbered from 1; events and actions name theirs, and an event's 0 means the serving one. A
// hot restart (SPEC 10) is the one state with two generations alive; a generation it replaced
// (or rolled back) retires: it is stopped on a deadline of its own while the machine goes on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config.hpp"
#include "core/exit_status.hpp"
#include "core/notify_message.hpp"
#include "core/restart_policy.hpp"

namespace sup::core {

// What the machine is told once, at start.
struct Settings {
  Config cfg;
  std::string program;               // the resolved path, for "started PROGRAM as pid N"
  Millis keepalive_interval_ms = 0;  // WATCHDOG=1 up to systemd this often; 0: never
};

// After the final kill, how long to wait for the app's processes to vanish before giving up.
inline constexpr Millis kLeftoverGraceMs = 5000;
// How long a hot restart waits for the new generation's readiness without --start-timeout.
inline constexpr Millis kHotRestartTimeoutMs = 60'000;
// After a main process exits with success, how long a child of it that runs its executable
// but has not exec'd yet may take to exec (a fork+exec upgrade that lost the race to the old
// process's exit), and how often the election is repeated meanwhile. The kernel has no event
// for another process's exec that an unprivileged supervisor in a container can wait on, so
// this is a bounded retry (docs/architecture.md).
inline constexpr Millis kExecWaitMs = 1000;
inline constexpr Millis kExecPollMs = 10;

struct Generation {
  int number = 0;                 // 1 for the first incarnation, counting every spawn
  int main = 0;                   // the current main process
  std::vector<int> predecessors;  // earlier mains still alive after a MAINPID= hand-over
  Millis healthy_from = 0;        // spawn, or readiness where the app reports it
  bool ready = false;
};

namespace state {
// A Spawn action is out; Spawned or SpawnFailed answers it.
struct Starting {};
struct Running {
  Generation gen;
  std::optional<Millis> start_deadline;     // --start-timeout, until ready
  std::optional<Millis> watchdog_deadline;  // --watchdog, moved on by each WATCHDOG=1
};
enum class StopReason {
  kRequested,  // TERM or INT: no restart follows
  kHung,       // the app missed its --watchdog deadline: SIGABRT, counts as a crash
  kNotReady,   // not ready within --start-timeout: counts as a failed start
};
// The main process was sent a signal and has until kill_at to end.
struct Stopping {
  Generation gen;
  StopReason reason = StopReason::kRequested;
  Millis kill_at = 0;  // then the kill signal; once killed, the end of the leftover grace
  // Kill signals sent: the --kill-signal, then SIGKILL if that one was not SIGKILL.
  int kills = 0;
};
// The main process exited; an ElectSuccessor action is out.
struct Electing {
  Generation gen;  // gen.main is the process that exited
  std::optional<Millis> start_deadline;
  bool failed_start = false;
  std::optional<Millis> exec_wait_until;  // elected again from AwaitingExec: its bound
};
// The main process exited with success and a child of it runs its executable but has not
// exec'd yet: the new process of an upgrade, maybe. Elected again every kExecPollMs; at
// `until` a last time, where a sole such child is taken for a daemon.
struct AwaitingExec {
  Generation gen;  // gen.main is the process that exited
  std::optional<Millis> start_deadline;
  bool failed_start = false;
  Millis until = 0;
  Millis next_check = 0;
};
// No successor yet, but processes of the app remain and --main-pidfile may still name one.
struct AwaitingPidfile {
  Generation gen;
  std::optional<Millis> start_deadline;
  Millis until = 0;
  bool failed_start = false;
};
// The app ended: its leftover processes were sent the stop signal; then restart or finish.
struct Cleaning {
  struct Restart {
    Millis delay_ms = 0;
  };
  std::optional<Restart> restart;  // nullopt: finish
  Millis kill_at = 0;              // as in Stopping
  int kills = 0;
};
struct Backoff {
  Millis until = 0;
};
// --hot-restart: a new generation starts beside the serving one and replaces it once ready.
struct HotRestart {
  Generation old;   // serving: forwarded signals reach its main process
  Generation next;  // next.main is 0 until spawned
  Millis ready_by = 0;
  std::optional<ExitStatus> next_status;  // how next's main exited, while its heir is sought
};
struct Done {
  int code = 0;
};
}  // namespace state

using State = std::variant<state::Starting, state::Running, state::Stopping, state::Electing,
                           state::AwaitingExec, state::AwaitingPidfile, state::Cleaning, state::Backoff,
                           state::HotRestart, state::Done>;

// A generation that was replaced (or rolled back): it got the stop signal and has until kill_at.
struct Retiring {
  int generation = 0;
  Millis kill_at = 0;
  int kills = 0;  // kill signals sent (as in Stopping); kill_at is then the end of the grace
};

// What lives across states: the restart policy's memory and what systemd was told.
struct Memory {
  RestartHistory history;
  int restarts = 0;     // restarts so far, for "restart N"
  int generations = 0;  // incarnations spawned
  std::optional<ExitStatus> last_status;  // how the last run ended; nullopt before any did
  bool gave_up = false;                   // --max-restarts ran out: the app ends for good
  int oom_kills_seen = 0;
  // The app counted as started (--ready) at least once: READY=1 went up to systemd, and
  // --fork's foreground process may exit 0.
  bool ready_sent = false;
  // --fork, until the app counts as started: why its last start failed, the one line the
  // foreground's user reads should the supervisor end before it does; "" while none did.
  std::string start_failure;
  bool reloading = false;   // RELOADING=1 went up: the next READY=1 goes up too
  std::optional<Millis> keepalive_at;
  std::vector<Retiring> retiring;
};

struct Machine {
  State state;
  Memory memory;
};

namespace event {
struct Spawned {
  int pid = 0;
};
struct SpawnFailed {
  int error = 0;  // errno of the failed step
  std::string message;
  // A step before the exec failed (credentials, cgroup, fds, clone3): the supervisor's
  // failure, 125, whatever the errno; only a failed exec is 126 or 127 (SPEC 3).
  bool before_exec = false;
};
// A generation's main process exited; status nullopt when it was not our child.
struct MainExited {
  std::optional<ExitStatus> status;
  int oom_kills = 0;  // the app's OOM kills so far (cgroup memory events), 0 where unknown
  int generation = 0;
};
struct SuccessorFound {
  int pid = 0;
  std::string source;  // "pidfile", "predecessor", "child"
  int generation = 0;
};
struct NoSuccessor {
  bool app_populated = false;  // processes of the generation remain
  bool watching = false;       // the shell now watches --main-pidfile (it was asked to wait)
  int generation = 0;
  // Asked to await exec: a same-executable child has not exec'd yet (Election::kPending).
  bool exec_pending = false;
};
struct GenerationEmpty {  // no process of a retiring generation is left
  int generation = 0;
};
struct PidfileChanged {};
struct AppEmpty {};  // no process of the app is left
struct Signal {
  int signo = 0;
  // The supervisor is the foreground job of a terminal; found out for job control only.
  bool interactive = false;
};
// A datagram from a process of the app. A MAINPID= in it has been checked by the shell with
// suitable_main_pid (and cleared, with an error line, if unsuitable).
struct Notified {
  NotifyMessage message;
  int sender = 0;
  int generation = 0;
};
struct ReadyLine {  // --notify-fd: the app wrote a newline
  int generation = 0;
};
struct Tick {};       // deadline() has come
}  // namespace event

using Event =
    std::variant<event::Spawned, event::SpawnFailed, event::MainExited, event::SuccessorFound,
                 event::NoSuccessor, event::PidfileChanged, event::AppEmpty,
                 event::GenerationEmpty, event::Signal, event::Notified, event::ReadyLine,
                 event::Tick>;

enum class LogLevel { kFatal, kError, kInfo, kDebug };

namespace action {
// A new generation, in a cgroup of its own where generations need telling apart.
struct Spawn {
  int generation = 0;
};
// Make pid the generation's main process, which the shell holds a pidfd for.
struct Follow {
  int generation = 0;
  int pid = 0;
};
struct SignalMain {
  int generation = 0;
  int signo = 0;
};
// Every process of the generation (0: of the whole app): signo, then SIGCONT; "killing N
// leftover processes".
struct StopLeftovers {
  int signo = 0;
  int generation = 0;
};
// Every process of the generation (0: of the whole app) and its main process: signo; "timeout:
// sending SIG to N processes".
struct KillAll {
  int signo = 0;
  int generation = 0;
};
// A retiring generation is gone: its cgroup and handles can go.
struct ForgetGeneration {
  int generation = 0;
};
struct ElectSuccessor {
  int generation = 0;
  int exited = 0;  // the main process that exited, never its own heir
  std::vector<int> predecessors;
  bool main_failed = false;  // killed, or exited with a status that is not a success code
  bool may_wait = false;  // set up the --main-pidfile watch if no successor is found
  // Answer NoSuccessor{exec_pending} if a same-executable child has not exec'd yet.
  bool await_exec = false;
  // The wait is over: a sole such child is a daemon (ElectionInput::exec_wait_over).
  bool exec_wait_over = false;
};
struct UnwatchPidfile {};
struct TellSystemd {
  NotifyMessage message;  // sent with format_notify
};
struct Log {
  LogLevel level = LogLevel::kInfo;
  std::string text;
};
struct SuspendSelf {};  // SIGSTOP ourselves, as a shell job does on Ctrl-Z
struct Exit {
  int code = 0;
};
}  // namespace action

using Action =
    std::variant<action::Spawn, action::Follow, action::SignalMain, action::StopLeftovers,
                 action::KillAll, action::ForgetGeneration, action::ElectSuccessor,
                 action::UnwatchPidfile, action::TellSystemd, action::Log, action::SuspendSelf,
                 action::Exit>;

struct Step {
  Machine machine;
  std::vector<Action> actions;
};

// The first step: Starting, with a Spawn action.
Step start(const Settings& settings, Millis now);

// What one event does.
Step step(const Settings& settings, Machine machine, const Event& event, Millis now);

// When the shell must feed Tick next; nullopt: no deadline.
std::optional<Millis> deadline(const Machine& machine);

// Whether the shell must report AppEmpty when the app's cgroup empties.
bool awaits_empty(const Machine& machine);

// The generations whose main process may be alive, serving one first: the shell routes their
// events and forgets the handles of any other.
std::vector<int> live_generations(const Machine& machine);

// Names for messages, tests and the state diagram.
const char* state_name(const State& state);
const char* event_name(const Event& event);

}  // namespace sup::core
