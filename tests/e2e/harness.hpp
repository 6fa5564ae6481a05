// The end-to-end harness: runs the built supervisor binary against testapp and watches it.
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
};

struct RunOptions {
  bool cgroup_flag = true;               // prepend --cgroup=$SUPERVISOR_TEST_CGROUP
  std::vector<std::string> env;          // extra or replaced "NAME=VALUE" entries
  std::vector<int> ignore_signals;       // SIG_IGN in the supervisor as it starts
  std::vector<int> block_signals;        // blocked in the supervisor as it starts
  std::string cwd;                       // working directory, "" = unchanged
  std::string readonly_tmpfs;            // mount a read-only tmpfs here, in a private mount
                                         // namespace of the supervisor (see exit_codes_test)
  bool terminal = false;                 // stdin is a new pseudo-terminal, the supervisor's
                                         // controlling terminal (it leads a new session)
  int stray_fd = -1;                     // this fd number is open (/dev/null, no close-on-exec)
                                         // in the supervisor as it starts
  bool pid_namespace = false;            // the supervisor is PID 1 of a new PID namespace with
                                         // its own /proc, as in a container; pid() is its PID
                                         // as the test sees it
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

// One supervisor process, its stdout and stderr captured through pipes.
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
  Clock::time_point start_time_, exit_time_;
  int setup_errno_ = 0;
  std::string setup_step_;
  std::vector<pid_t> extra_supervisors_;
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
std::vector<pid_t> children_of(pid_t pid);        // every process whose ppid is `pid`
std::vector<pid_t> descendants_of(pid_t pid);      // transitively, zombies included
std::vector<pid_t> zombies_of(pid_t parent);        // zombie children of `parent`
std::string cmdline_of(pid_t pid);                  // argv joined by spaces, "" if gone
std::string exe_of(pid_t pid);                      // readlink /proc/PID/exe

// Waits (bounded poll loop: there is no event for this) until `condition` is true.
bool eventually(const std::function<bool()>& condition, Millis deadline = kDeadline,
                Millis step = 20ms);

// Waits for a process (any, not necessarily our child) to end, through its pidfd; reaps it if
// it is our child. Returns false at the deadline.
bool wait_gone(pid_t pid, Millis deadline = kDeadline);

// ---- cgroups ----

// Directories named supervisor.<pid>.* (for any of `pids`) under any cgroup mount.
std::vector<std::string> leftover_cgroups(const std::vector<pid_t>& pids);

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
