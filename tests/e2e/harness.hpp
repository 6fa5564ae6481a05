// The end-to-end harness: the one runner every end-to-end test starts processes with (the
// supervisor binary, the supervisor behind a wrapper such as unshare or an activator, or a plain
// command such as an interactive shell), the one /proc reader, and the fixture.
//
// Rules it follows (STYLE.md 3e): no sleeping to synchronise. Every wait is a poll(2) on a
// pipe or a pidfd with a deadline (default 5 s); where there is no event to wait on (a zombie
// count, a file appearing), a bounded poll loop re-checks a condition until its deadline.
//
// The test process makes itself a child subreaper, so whatever the supervisor leaves behind when
// it exits is reparented to the test, where the harness finds it, reports it and kills it.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

// g++ 12 reports a false -Wmaybe-uninitialized inside <regex> (std::function in the NFA) when
// built with -fsanitize=address,undefined; the warning is located in the header, so it is
// silenced for the header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

namespace e2e {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using namespace std::chrono_literals;

inline constexpr Millis kDeadline = 5000ms;

inline const std::string kSupervisor = SUPERVISOR_BIN;
// Whether the supervisor is built with AddressSanitizer and UndefinedBehaviorSanitizer: it
// then runs slower, and LeakSanitizer scans its heap as it exits. Timing checks meant for the
// real binary allow for that there; the plain stage holds them to the SPEC's figures.
#ifdef E2E_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
inline const std::string kTestapp = TESTAPP_BIN;

// The value of SUPERVISOR_TEST_CGROUP ("v2", "v1", "none"), or "" when unset.
std::string cgroup_mode();

// Milliseconds between two time points, as a double (for messages and tolerances).
double ms_between(Clock::time_point from, Clock::time_point to);

enum class Stream { kOut, kErr };

struct Line {
  std::string text;
  Clock::time_point at;  // when the harness read it
};

struct Match {
  std::string line;
  std::vector<std::string> groups;  // groups[0] is the whole match
  Clock::time_point at;
  // Group i as an integer (fails the test when it is not one).
  long num(size_t i) const;
  pid_t pid(size_t i) const { return static_cast<pid_t>(num(i)); }
};

// How the run's stdin, stdout and stderr are set up.
enum class TerminalMode {
  kNone,   // stdin /dev/null, stdout and stderr pipes
  kStdin,  // stdin is a new pseudo-terminal, the process's controlling terminal (it leads a new
           // session); stdout and stderr are pipes
  kAll,    // the new pseudo-terminal is stdin, stdout and stderr; everything written to it is
           // read back as Stream::kOut (without the terminal's '\r')
};

struct RunOptions {
  bool cgroup_flag = true;               // prepend --cgroup=$SUPERVISOR_TEST_CGROUP
  std::vector<std::string> wrapper;      // a command that runs the supervisor: WRAPPER...
                                         // SUPERVISOR ARGS... (unshare, an activator)
  bool plain_command = false;            // ARGS is the whole command line (argv[0] first, an
                                         // absolute path), not the supervisor's arguments
  std::vector<std::string> env;          // extra or replaced "NAME=VALUE" entries
  std::vector<std::string> unset_env;    // names removed from the environment
  std::vector<int> pass_fds;             // the test's fds that become 3, 4, ... in the process
  bool listen_pid_self = false;          // LISTEN_PID=<the process's own pid> (an activator's job)
  bool merge_stderr = false;             // stderr goes to the stdout pipe (one ordered stream)
  std::vector<int> ignore_signals;       // SIG_IGN in the supervisor as it starts
  std::vector<int> block_signals;        // blocked in the supervisor as it starts
  std::string cwd;                       // working directory, "" = unchanged
  std::vector<std::string> readonly_tmpfs;  // a read-only tmpfs over each, in a private
                                            // mount namespace (see exit_codes_test)
  TerminalMode terminal = TerminalMode::kNone;
  int stray_fd = -1;                     // this fd number is open (/dev/null, no close-on-exec)
                                         // in the supervisor as it starts
  bool pid_namespace = false;            // the supervisor is PID 1 of a new PID namespace with
                                         // its own /proc, as in a container; pid() is its PID
                                         // as the test sees it
  std::vector<long> refused_syscalls;    // each fails with ENOSYS in the supervisor and its
                                         // app (a seccomp filter, x86-64 only), as under a
                                         // kernel or a container runtime's profile older than
                                         // the syscall
};

inline RunOptions without_cgroup_flag() {
  RunOptions options;
  options.cgroup_flag = false;
  return options;
}

inline RunOptions in_directory(const std::string& dir) {
  RunOptions options;
  options.cwd = dir;
  return options;
}

// One process the test starts (the supervisor, unless options say otherwise), its stdout and
// stderr captured through pipes (or a pseudo-terminal). Destroying it kills whatever of it and
// below it still runs, reaps it, and checks that a supervisor which exited on its own left no
// process and no cgroup behind.
class SupervisedRun {
 public:
  explicit SupervisedRun(std::vector<std::string> args, RunOptions options = {});
  ~SupervisedRun();
  SupervisedRun(const SupervisedRun&) = delete;
  SupervisedRun& operator=(const SupervisedRun&) = delete;

  // False when the harness could not set the child up (options.readonly_tmpfs not possible);
  // setup_error() says why. The supervisor binary itself never ran then.
  bool started() const { return setup_errno_ == 0; }
  std::string setup_error() const;

  pid_t pid() const { return pid_; }
  // The test's direct child: the supervisor, or the namespace's parent with pid_namespace.
  pid_t child() const { return child_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // The next line on `stream` (after the last one matched on that stream) that matches `regex`
  // (std::regex ECMAScript, search semantics). On timeout: a test failure with the whole log,
  // and nullopt.
  std::optional<Match> expect_line(Stream stream, const std::string& regex,
                                   Millis deadline = kDeadline);
  std::optional<Match> expect_out(const std::string& regex, Millis deadline = kDeadline) {
    return expect_line(Stream::kOut, regex, deadline);
  }
  std::optional<Match> expect_err(const std::string& regex, Millis deadline = kDeadline) {
    return expect_line(Stream::kErr, regex, deadline);
  }
  // Like expect_line, but a timeout is not a failure.
  std::optional<Match> find_line(Stream stream, const std::string& regex, Millis deadline);
  // Like expect_line, but over every line so far and to come, regardless of what was matched
  // before: for lines of different processes sharing one terminal, whose order is not fixed.
  std::optional<Match> expect_anywhere(Stream stream, const std::string& regex,
                                       Millis deadline = kDeadline);
  // Like expect_anywhere, but a timeout is not a failure.
  std::optional<Match> find_anywhere(Stream stream, const std::string& regex, Millis deadline);

  // Every line read so far on a stream (reads what is available first).
  const std::vector<Line>& lines(Stream stream);
  // How many lines read so far match `regex`.
  int count(Stream stream, const std::string& regex);

  // Sends `sig` to the supervisor (through its pidfd).
  void send(int sig);

  // Waits for the supervisor to exit. Returns its status the shell's way (code, or 128+signal),
  // nullopt on timeout (a test failure with the log). Keeps reading its output meanwhile.
  std::optional<int> wait_exit(Millis deadline = kDeadline);
  bool exited() const { return exited_; }
  // Whether the process is still running (collects its status if it has exited).
  bool running();
  // True if the supervisor is still running after `within` (polls its pidfd that long).
  bool still_running_after(Millis within);
  std::optional<int> exit_status() const { return status_; }
  Clock::time_point exit_time() const { return exit_time_; }

  // Reads until both streams reach EOF or `deadline` passes (after exit: the rest of the output).
  void drain(Millis deadline = 1000ms);

  // Everything captured so far, for failure messages.
  std::string log();

  // Writes to the terminal's master side (options.terminal): "\x03" is a Ctrl-C.
  void type(const std::string& keys);

  // Another supervisor process this run is responsible for (the background one after --fork):
  // included in clean-up and in the cgroup leak check.
  void track_extra_supervisor(pid_t pid);

 private:
  std::optional<Match> search(Stream stream, const std::string& regex, Millis deadline,
                              size_t* from);
  std::optional<Match> found_or_fail(std::optional<Match> m, Stream stream,
                                     const std::string& regex, Millis deadline);
  void read_available(int timeout_ms);
  bool poll_once(int timeout_ms, bool wait_for_exit);
  void reap_if_exited();
  void tear_down();

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  pid_t child_ = -1;
  int pidfd_ = -1;       // the supervisor: signals go here
  int exit_fd_ = -1;     // the direct child: readable once its status can be collected
  int out_fd_ = -1, err_fd_ = -1;
  int pty_master_ = -1;
  std::string out_buf_, err_buf_;
  std::vector<Line> out_lines_, err_lines_;
  size_t out_cursor_ = 0, err_cursor_ = 0;
  bool exited_ = false;
  std::optional<int> status_;
  bool strip_cr_ = false;  // output read from a terminal
  Clock::time_point start_time_, exit_time_;
  int setup_errno_ = 0;
  std::string setup_step_;
  std::vector<pid_t> extra_supervisors_;
  std::vector<std::string> cgroup_names_;  // app_cgroup_name() of each supervisor of the run
};

// A process the test starts itself, outside any supervisor (testapp ARGS...): exempt from the
// leak sweeps, killed and reaped when it goes out of scope.
class Outsider {
 public:
  explicit Outsider(std::vector<std::string> testapp_args);
  ~Outsider();
  Outsider(const Outsider&) = delete;
  Outsider& operator=(const Outsider&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// ---- /proc helpers ----

struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
  unsigned long long starttime = 0;
  std::string comm;
};

std::optional<ProcStat> read_stat(pid_t pid);
bool is_alive(pid_t pid);  // exists and is not a zombie
bool is_zombie(pid_t pid);
pid_t parent_of(pid_t pid);                        // 0 if gone
std::vector<pid_t> children_of(pid_t pid);        // every process whose ppid is `pid`
std::vector<pid_t> live_children_of(pid_t pid);   // the same without zombies
std::vector<pid_t> descendants_of(pid_t pid);      // transitively, zombies included
std::vector<pid_t> zombies_of(pid_t parent);        // zombie children of `parent`
std::string cmdline_of(pid_t pid);                  // argv joined by spaces, "" if gone
std::string exe_of(pid_t pid);                      // readlink /proc/PID/exe
// One field of /proc/PID/status ("NSpid", "SigCgt", ...) without its name, nullopt if absent.
std::optional<std::string> status_field(pid_t pid, const std::string& name);
// /proc/PID/cgroup as {hierarchy id: path}; hierarchy "0" is cgroup v2.
std::map<std::string, std::string> cgroups_of(pid_t pid);
// One variable of a process's environment (/proc/PID/environ), nullopt if unset.
std::optional<std::string> environ_of(pid_t pid, const std::string& name);
// Whether `pid` has a handler installed for `sig` and does not block it (SigCgt and SigBlk in
// /proc/PID/status): a signal sent now is acted on, not discarded by SIG_IGN nor left pending.
bool catches_signal(pid_t pid, int sig);

// Sends `sig` to any process through a pidfd, so that a recycled PID is never hit. False (errno
// set) if it is gone or the signal could not be sent.
bool signal_pid(pid_t pid, int sig);

// Waits (bounded poll loop: there is no event for this) until `condition` is true.
bool eventually(const std::function<bool()>& condition, Millis deadline = kDeadline,
                Millis step = 20ms);

// A pidfd on any process (not only a child), opened before the process is asked to exit, so
// that the moment of its exit is seen as it happens and a recycled PID is never mistaken for it.
class ExitWatch {
 public:
  explicit ExitWatch(pid_t pid);
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;
  // When the process ended (became a zombie or vanished), nullopt at the deadline; a process
  // already gone when the watch was made counts as ending now. Reaps it if it is our child.
  std::optional<Clock::time_point> wait(Millis deadline = kDeadline);

 private:
  pid_t pid_;
  int fd_;
};

// Waits for a process (any, not necessarily our child) to end (see ExitWatch). Returns false
// at the deadline.
bool wait_gone(pid_t pid, Millis deadline = kDeadline);

// ---- cgroups ----

// Directories named supervisor.<pid>.* (for any of `pids`) under any cgroup mount.
std::vector<std::string> leftover_cgroups(const std::vector<pid_t>& pids);

// The name the supervisor `pid` gives its app's cgroup (supervisor.<pid>.<start time>.<pid
// namespace inode>): `pid_in_ns` is its PID as it sees itself (1 as PID 1 of a container).
// Every cgroup is its own, whatever else runs on the machine (another checkout's tests, say).
// "" if the process is gone.
std::string app_cgroup_name(pid_t pid, pid_t pid_in_ns);
// Directories with one of `names` under any cgroup mount.
std::vector<std::string> cgroups_named(const std::vector<std::string>& names);

// ---- files ----

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::optional<std::string> read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text, mode_t mode = 0644);
// The first integer in a file, or nullopt (missing or unparsable).
std::optional<long> read_pid_file(const std::string& path);

// ---- the fixture every e2e test uses ----

class E2ETest : public ::testing::Test {
 protected:
  void TearDown() override;
  TempDir tmp_;
};

// The supervisor's arguments for running testapp: OPTIONS -- TESTAPP TESTAPP_ARGS...
std::vector<std::string> supervise(std::vector<std::string> options,
                                   std::vector<std::string> testapp_args);

// The pids a `fork-tree` app prints ("tree pids=a,b,c"), once it says "tree ready".
std::vector<pid_t> expect_tree_pids(SupervisedRun& run);

// `text` with every regex metacharacter escaped.
std::string regex_escape(const std::string& text);

// SPEC 8 message patterns (search semantics; groups noted).
inline const std::string kStarted = R"(started (/\S+) as pid (\d+))";        // path, pid
inline const std::string kMainPid = R"(main pid (\d+) -> (\d+))";           // old, new
inline const std::string kRestarting = R"(restarting in ([0-9.]+) s)";       // delay

}  // namespace e2e
