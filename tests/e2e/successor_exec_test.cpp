// SPEC 5 rule 3, tightened (issue 12): a child that was forked but has not exec'd yet is no
// heir: `sh -c 'sleep 3 & exit 3'` exits 3 at once, and its failure is not hidden from -e. A
// fork+exec upgrade whose new process execs only after the old one has exited is still
// followed. Each case 20 times: the race is the point.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.hpp"

namespace e2e {
namespace {

class SuccessorExec : public E2ETest {};

constexpr int kRuns = 20;

std::vector<std::string> shell(std::vector<std::string> options, const std::string& script) {
  options.insert(options.end(), {"--", "/bin/sh", "-c", script});
  return options;
}

// `script` leaves a background `sleep 3` behind: the supervisor exits with `code` well before
// the sleep ends, following nothing, kRuns times in a row.
void expect_no_heir(const std::string& script, int code) {
  for (int i = 0; i < kRuns; ++i) {
    SupervisedRun run(shell({}, script));
    EXPECT_EQ(run.wait_exit(2000ms), code) << "run " << i << "\n" << run.log();
    run.drain();
    EXPECT_EQ(run.count(Stream::kErr, kMainPid), 0) << "run " << i << "\n" << run.log();
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_F(SuccessorExec, ABackgroundJobOfAShellThatFailedIsNoHeir) {
  expect_no_heir("sleep 3 & exit 3", 3);
}

// sh exits 0: the forked job is awaited until it execs sleep, another executable.
TEST_F(SuccessorExec, ABackgroundJobOfAShellThatSucceededIsNoHeirEither) {
  expect_no_heir("sleep 3 & exit 0", 0);
}

TEST_F(SuccessorExec, TheFailureOfAShellWithABackgroundJobIsRestarted) {
  SupervisedRun run(shell({"-e", "--max-restarts=2"}, "sleep 2 & exit 3"));
  EXPECT_EQ(run.wait_exit(6000ms), 3) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 3) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kRestarting), 2) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, "giving up"), 1) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kMainPid), 0) << run.log();
}

// The old process forks and exits at once; its child execs the same executable 100 ms after
// its parent is gone: the election sees it before its exec, and must wait for it.
TEST_F(SuccessorExec, AnUpgradeThatExecsAfterTheOldProcessExitedIsFollowed) {
  for (int i = 0; i < kRuns; ++i) {
    SupervisedRun run(supervise({}, {"upgrade-race", "1", "100"}));
    auto old = run.expect_out(R"(^ready pid=(\d+) gen=1$)");
    ASSERT_TRUE(old) << "run " << i;
    run.send(SIGUSR2);
    auto retiring = run.expect_out(R"(^gen=1 retiring pid=\d+ child=(\d+)$)");
    ASSERT_TRUE(retiring) << "run " << i;
    const std::string child = retiring->groups[1];
    ASSERT_TRUE(run.expect_out("^ready pid=" + child + " gen=2$")) << "run " << i;
    ASSERT_TRUE(run.expect_err("main pid " + old->groups[1] + " -> " + child + R"( \(successor\))"))
        << "run " << i;
    run.send(SIGUSR1);
    EXPECT_TRUE(run.expect_out("^gen=2 got USR1 pid=" + child + "$")) << "run " << i;
    run.send(SIGTERM);
    EXPECT_EQ(run.wait_exit(), 0) << "run " << i << "\n" << run.log();
    run.drain();
    EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << "an upgrade is not a restart\n" << run.log();
    if (HasFailure()) return;
  }
}

// A wrapper that runs the supervisor, and so its app, on one CPU under SCHED_FIFO: each runs
// until it blocks or exits, none preempts another. After the app's exec the supervisor waits
// for the CPU until the launcher has forked and exited: it always finds the launcher gone,
// where otherwise it usually reads its exe first. Empty where SCHED_FIFO is not permitted.
std::vector<std::string> launcher_first_wrapper() {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) return {};
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &cpus)) ++cpu;
  const pid_t probe = fork();
  if (probe == 0) {
    const sched_param fifo{1};
    _exit(sched_setscheduler(0, SCHED_FIFO, &fifo) == 0 ? 0 : 1);
  }
  int status = 0;
  if (probe < 0 || waitpid(probe, &status, 0) != probe || status != 0) return {};
  return {"/usr/bin/taskset", "-c", std::to_string(cpu), "/usr/bin/chrt", "-f", "1"};
}

// `args` starts a launcher that forks a child which execs PROGRAM again, says "child PID",
// exits 5 on SIGTERM, and exits at once itself, before the supervisor could read its
// /proc/PID/exe (SPEC 5, "same executable"): the child must be followed all the same.
void expect_followed_although_the_launcher_is_gone(const std::vector<std::string>& args) {
  const auto wrapper = launcher_first_wrapper();
  if (wrapper.empty()) GTEST_SKIP() << "SCHED_FIFO is not permitted here";
  RunOptions options;
  options.wrapper = wrapper;
  for (int i = 0; i < 5; ++i) {
    SupervisedRun run(args, options);
    auto child = run.expect_out(R"(^child (\d+)$)");
    ASSERT_TRUE(child) << "run " << i;
    ASSERT_TRUE(run.expect_err(R"(main pid \d+ -> )" + child->groups[1] + R"( \(successor\))"))
        << "run " << i;
    run.send(SIGTERM);
    EXPECT_EQ(run.wait_exit(), 5) << "run " << i << "\n" << run.log();
    if (::testing::Test::HasFailure()) return;
  }
}

constexpr char kChild[] = R"(trap "exit 5" TERM; echo child $$; sleep 60 & wait)";

// PROGRAM is a symlink (to /bin/sh, which may be one itself): the app runs its target.
TEST_F(SuccessorExec, ASymlinkedProgramIsFollowedWhenItsLauncherIsGoneAtOnce) {
  const std::string sh = tmp_ / "sh";
  ASSERT_EQ(symlink("/bin/sh", sh.c_str()), 0);
  expect_followed_although_the_launcher_is_gone(
      {"--", sh, "-c", sh + " -c '" + kChild + "' & exit 0"});
}

// PROGRAM is a script: the app runs its interpreter.
TEST_F(SuccessorExec, AScriptIsFollowedWhenItsLauncherIsGoneAtOnce) {
  const std::string script = tmp_ / "launch";
  write_file(script,
             std::string("#!/bin/sh\nif [ -n \"$CHILD\" ]; then ") + kChild +
                 "; else CHILD=1 \"$0\" & exit 0; fi\n",
             0755);
  expect_followed_although_the_launcher_is_gone({"--", script});
}

}  // namespace
}  // namespace e2e
