// Issue 4, item 5, and SPEC 6: the supervisor in an interactive terminal, run the way a person
// runs it: from an interactive shell with job control (bash -i) on a pseudo-terminal, so that
// it is a foreground job with a process group of its own. The test types on the terminal:
// Ctrl-C must reach the app exactly once and stop the supervisor; Ctrl-Z must suspend the app
// and the supervisor (the shell sees a stopped job), and `fg` must resume both; an app stopped
// for reading the terminal is reported.
//
// Everything arrives on the terminal, where the shell's prompt ("$ ") and the echo of a control
// character ("^C") can precede a line: patterns are anchored at the end only.
#include <signal.h>

#include <cstdlib>

#include "harness.hpp"

namespace e2e {
namespace {

class Terminal : public E2ETest {
 protected:
  void SetUp() override {
    if (access("/bin/bash", X_OK) != 0) GTEST_SKIP() << "no /bin/bash";
    RunOptions options;
    options.plain_command = true;
    options.terminal = TerminalMode::kAll;
    options.env = {"PS1=$ ", "TERM=dumb", "HISTFILE=/dev/null"};
    options.unset_env = {"NOTIFY_SOCKET", "WATCHDOG_USEC",  "WATCHDOG_PID",  "LISTEN_PID",
                         "LISTEN_FDS",    "LISTEN_FDNAMES", "PROMPT_COMMAND"};
    // No readline: plain canonical-mode echo, no escape sequences in the output.
    shell_ = std::make_unique<SupervisedRun>(
        std::vector<std::string>{"/bin/bash", "--norc", "--noprofile", "--noediting", "-i"},
        options);
  }

  void TearDown() override {
    shell_.reset();
    E2ETest::TearDown();
  }

  // Types a supervisor command line; returns false unless the supervisor and the app started.
  bool run_supervisor(std::vector<std::string> options, std::vector<std::string> app) {
    std::string line = kSupervisor;
    if (!cgroup_mode().empty()) line += " --cgroup=" + cgroup_mode();
    for (auto& a : supervise(std::move(options), std::move(app))) line += " " + a;
    shell_->type(line + "\n");
    // The supervisor's message and the app's first line may come in either order.
    auto started = shell_->expect_anywhere(Stream::kOut, R"(supervisor\[(\d+)\]: )" + kStarted);
    if (!started) return false;
    supervisor_ = static_cast<pid_t>(started->num(1));
    auto ready = shell_->expect_anywhere(Stream::kOut, R"(ready pid=(\d+)$)");
    if (!ready) return false;
    app_ = static_cast<pid_t>(ready->num(1));
    return true;
  }

  // The shell's $? once the foreground job has ended.
  std::optional<long> exit_status(Millis deadline = kDeadline) {
    shell_->type("echo \"status=$?\"\n");
    auto m = shell_->expect_out(R"(status=(\d+)$)", deadline);
    if (!m) return std::nullopt;
    return m->num(1);
  }

  static char state_of(pid_t pid) {
    auto st = read_stat(pid);
    return st ? st->state : '?';
  }

  std::unique_ptr<SupervisedRun> shell_;
  pid_t supervisor_ = 0, app_ = 0;
};

TEST_F(Terminal, CtrlCReachesTheAppExactlyOnce) {
  // "keep": the app survives INT, so a second INT would show; the stop ends with SIGKILL.
  ASSERT_TRUE(run_supervisor({"--stop-timeout=1"}, {"print-signals", "keep"}));
  shell_->type("\x03");
  ASSERT_TRUE(shell_->expect_out("signal INT$"));
  EXPECT_EQ(exit_status(6000ms), 128 + SIGKILL) << shell_->log();
  EXPECT_EQ(shell_->count(Stream::kOut, "signal INT$"), 1) << shell_->log();
  EXPECT_FALSE(is_alive(app_));
  EXPECT_FALSE(is_alive(supervisor_));
}

TEST_F(Terminal, CtrlCStopsTheSupervisorWithoutRestart) {
  ASSERT_TRUE(run_supervisor({"--restart=always"}, {"print-signals"}));
  shell_->type("\x03");
  ASSERT_TRUE(shell_->expect_out("signal INT$"));
  EXPECT_EQ(exit_status(), 0) << shell_->log();
  EXPECT_EQ(shell_->count(Stream::kOut, kStarted), 1) << "restarted after Ctrl-C\n"
                                                      << shell_->log();
  EXPECT_FALSE(is_alive(supervisor_));
}

// The app has a process group of its own, so its first read of the terminal stops it
// (SIGTTIN): said in one line, not a silent hang; Ctrl-C still ends it all.
TEST_F(Terminal, AnAppStoppedForReadingTheTerminalIsReported) {
  std::string line = kSupervisor;
  if (!cgroup_mode().empty()) line += " --cgroup=" + cgroup_mode();
  shell_->type(line + " -- /bin/sh -c 'read x'\n");
  auto stopped = shell_->expect_anywhere(
      Stream::kOut, R"(supervisor\[\d+\]: pid (\d+) stopped by SIGTTIN: the terminal belongs to )"
                    R"(the supervisor's process group, not the app's)");
  ASSERT_TRUE(stopped) << shell_->log();
  EXPECT_EQ(state_of(static_cast<pid_t>(stopped->num(1))), 'T');
  shell_->type("\x03");
  EXPECT_EQ(exit_status(), 128 + SIGINT) << shell_->log();
}

TEST_F(Terminal, CtrlZSuspendsTheAppAndTheSupervisor) {
  ASSERT_TRUE(run_supervisor({}, {"print-signals", "stoppable"}));
  shell_->type("\x1a");
  EXPECT_TRUE(shell_->expect_out(R"(Stopped)")) << "the shell saw no stopped job";
  EXPECT_TRUE(eventually([&] { return state_of(app_) == 'T' && state_of(supervisor_) == 'T'; }))
      << "app state " << state_of(app_) << ", supervisor state " << state_of(supervisor_) << "\n"
      << shell_->log();
}

TEST_F(Terminal, FgResumesTheAppAndTheSupervisor) {
  ASSERT_TRUE(run_supervisor({}, {"print-signals", "stoppable"}));
  shell_->type("\x1a");
  ASSERT_TRUE(shell_->expect_out(R"(Stopped)"));
  ASSERT_TRUE(eventually([&] { return state_of(app_) == 'T' && state_of(supervisor_) == 'T'; }))
      << shell_->log();
  shell_->type("fg\n");
  EXPECT_TRUE(shell_->expect_out("signal CONT$")) << "the app was not continued";
  EXPECT_TRUE(eventually([&] { return state_of(app_) != 'T' && state_of(supervisor_) != 'T'; }))
      << "app state " << state_of(app_) << ", supervisor state " << state_of(supervisor_);
  // Still a working foreground job: Ctrl-C ends it.
  shell_->type("\x03");
  EXPECT_TRUE(shell_->expect_out("signal INT$"));
  EXPECT_EQ(exit_status(), 0) << shell_->log();
}

}  // namespace
}  // namespace e2e
