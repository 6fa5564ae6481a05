// SPEC 4: the restart policy and its backoff. -c restarts on a crash, -e on a non-success exit
// code, neither means no restart; the first restart is immediate, then 1, 2, 4 ... s capped by
// -l; a healthy run resets the sequence; --max-restarts gives up with the app's last status.
// One test measures the backoff sequence on the wall clock (+-300 ms around the SPEC's delays:
// a loaded 2-core machine); the others check only that an announced delay is waited (a lower
// bound, which load cannot break). Exact timing is for the lifecycle's unit tests.
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr double kTolerance = 300;  // ms

class Restart : public E2ETest {};

// Waits for `n` "started" lines and returns the time each was read.
std::vector<Clock::time_point> starts(SupervisedRun& run, int n, Millis each = 6000ms) {
  std::vector<Clock::time_point> at;
  for (int i = 0; i < n; ++i) {
    auto m = run.expect_err(kStarted, each);
    if (!m) break;
    at.push_back(m->at);
  }
  return at;
}

// The "Done when" measurement: an app that crashes at once under -c -l 2 is restarted with gaps
// of about 0, 1, 2, 2, 2 s.
TEST_F(Restart, CrashLoopGapsAre0_1_2_2_2Seconds) {
  SupervisedRun run(supervise({"-c", "-l", "2"}, {"crash", "SEGV"}));
  auto at = starts(run, 6);
  ASSERT_EQ(at.size(), 6u) << run.log();
  const double expected[] = {0, 1000, 2000, 2000, 2000};
  std::string measured;
  for (size_t i = 0; i < 5; ++i) measured += std::to_string(ms_between(at[i], at[i + 1])) + " ";
  for (size_t i = 0; i < 5; ++i) {
    double gap = ms_between(at[i], at[i + 1]);
    EXPECT_NEAR(gap, expected[i], kTolerance)
        << "gap " << i + 1 << " (measured gaps ms: " << measured << ")\n" << run.log();
  }
  std::cout << "[ measured ] restart gaps (ms): " << measured << "\n";
  // Stop in the wait after the sixth crash, so the last status is that crash.
  ASSERT_TRUE(run.expect_err(kRestarting));
  EXPECT_EQ(run.count(Stream::kErr, R"(killed by SIGSEGV)"), 6) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 128 + SIGSEGV) << "the app's last status\n" << run.log();
}

TEST_F(Restart, RestartingLineAnnouncesDelayAndCount) {
  SupervisedRun run(supervise({"-c", "-l", "2"}, {"crash", "SEGV"}));
  EXPECT_TRUE(run.expect_err(R"(restarting in 0(\.0+)? s \(restart 1\))"));
  EXPECT_TRUE(run.expect_err(R"(restarting in 1(\.0+)? s \(restart 2\))"));
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Restart, RestartOnErrorRestartsExitCode1) {
  SupervisedRun run(supervise({"-e"}, {"exit", "1"}));
  EXPECT_EQ(starts(run, 2).size(), 2u);
  run.send(SIGTERM);
  auto status = run.wait_exit();
  // The app exits 1 by itself within a millisecond; only a TERM that lands in that window
  // would give 143.
  EXPECT_TRUE(status == 1 || status == 128 + SIGTERM) << run.log();
}

TEST_F(Restart, RestartOnErrorDoesNotRestartExitCode0) {
  SupervisedRun run(supervise({"-e"}, {"exit", "0"}));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kRestarting), 0) << run.log();
}

TEST_F(Restart, RestartOnErrorDoesNotRestartCrash) {
  SupervisedRun run(supervise({"-e"}, {"crash", "SEGV"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGSEGV) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, RestartOnCrashDoesNotRestartExitCode1) {
  SupervisedRun run(supervise({"-c"}, {"exit", "1"}));
  EXPECT_EQ(run.wait_exit(), 1) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, WithoutFlagsExitIsNotRestarted) {
  SupervisedRun run(supervise({}, {"exit", "1"}));
  EXPECT_EQ(run.wait_exit(), 1) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kRestarting), 0) << run.log();
}

TEST_F(Restart, WithoutFlagsCrashIsNotRestarted) {
  SupervisedRun run(supervise({}, {"crash", "SEGV"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGSEGV) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

// -s makes 3 a success code: -e does not restart it, and the status still passes through.
TEST_F(Restart, ShortSuccessOptionStopsRestartOfThatCode) {
  SupervisedRun run(supervise({"-e", "-s", "3"}, {"exit", "3"}));
  EXPECT_EQ(run.wait_exit(), 3) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, LongSuccessOptionStopsRestartOfThatCode) {
  SupervisedRun run(supervise({"-e", "--success=3"}, {"exit", "3"}));
  EXPECT_EQ(run.wait_exit(), 3) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

// SPEC 2: -s also accepts signal names; a crash by that signal is then a success.
TEST_F(Restart, SuccessSignalStopsRestartOfThatCrash) {
  SupervisedRun run(supervise({"-c", "-s", "SIGABRT"}, {"crash", "ABRT"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGABRT) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, NoRestartCodeIsNotRestarted) {
  SupervisedRun run(supervise({"-e", "--no-restart=4"}, {"exit", "4"}));
  EXPECT_EQ(run.wait_exit(), 4) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, NoRestartSignalIsNotRestarted) {
  SupervisedRun run(supervise({"-c", "--no-restart=SIGSEGV"}, {"crash", "SEGV"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGSEGV) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, RestartAlwaysRestartsExitCode0) {
  SupervisedRun run(supervise({"--restart=always"}, {"exit", "0"}));
  EXPECT_EQ(starts(run, 2).size(), 2u);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Restart, RestartPolicyOnCrashRestartsCrash) {
  SupervisedRun run(supervise({"--restart=on-crash"}, {"crash", "SEGV"}));
  EXPECT_EQ(starts(run, 2).size(), 2u);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Restart, RestartPolicyOnCrashDoesNotRestartExitCode1) {
  SupervisedRun run(supervise({"--restart=on-crash"}, {"exit", "1"}));
  EXPECT_EQ(run.wait_exit(), 1) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Restart, RestartPolicyOnFailureRestartsExitCode1) {
  SupervisedRun run(supervise({"--restart=on-failure"}, {"exit", "1"}));
  EXPECT_EQ(starts(run, 2).size(), 2u);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Restart, BothFlagsRestartCrash) {
  SupervisedRun run(supervise({"-c", "-e"}, {"crash", "SEGV"}));
  EXPECT_EQ(starts(run, 2).size(), 2u);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Restart, MaxRestartsWithinWindowGivesUpWithLastStatus) {
  SupervisedRun run(supervise({"-c", "--max-restarts=1/60"}, {"crash", "ABRT"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGABRT) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 2) << "1 start + 1 restart\n" << run.log();
}

TEST_F(Restart, MaxRestartsGivesUpWithLastStatus) {
  SupervisedRun run(supervise({"-e", "--max-restarts=2"}, {"exit", "4"}));
  EXPECT_EQ(run.wait_exit(10000ms), 4) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 3) << "1 start + 2 restarts\n" << run.log();
}

// The delay announced by the last "restarting in D s" line so far.
double last_delay(SupervisedRun& run) {
  double delay = -1;
  std::regex re(kRestarting);
  for (const auto& line : run.lines(Stream::kErr)) {
    std::smatch m;
    if (std::regex_search(line.text, m, re)) delay = std::stod(m[1].str());
  }
  return delay;
}

// flap 2 FILE 1.5: two runs fail at once (restarts after 0 and 1 s), the third runs 1.5 s then
// fails. Returns the time from that failure to the next start, and the delay announced.
std::pair<double, double> restart_after_third_run(SupervisedRun& run) {
  if (starts(run, 3).size() != 3) return {-1, -1};
  auto done = run.expect_out("^flap run=3 done", 5000ms);
  if (!done) return {-1, -1};
  auto fourth = run.expect_err(kStarted, 6000ms);
  if (!fourth) return {-1, -1};
  return {ms_between(done->at, fourth->at), last_delay(run)};
}

// With --healthy-after=1 the 1.5 s run was healthy: the next restart is immediate again.
TEST_F(Restart, HealthyRunResetsBackoff) {
  SupervisedRun run(supervise({"-e", "-l", "2", "--healthy-after=1"},
                              {"flap", "2", tmp_ / "count", "1.5"}));
  auto [gap, delay] = restart_after_third_run(run);
  ASSERT_GE(gap, 0) << run.log();
  std::cout << "[ measured ] restart after a healthy run (ms): " << gap << "\n";
  EXPECT_EQ(delay, 0) << run.log();
  EXPECT_LT(gap, kTolerance) << "expected an immediate restart\n" << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// The same app with --healthy-after=5: the 1.5 s run does not count, the backoff goes on (2 s).
TEST_F(Restart, ShortRunKeepsBackoff) {
  SupervisedRun run(supervise({"-e", "-l", "2", "--healthy-after=5"},
                              {"flap", "2", tmp_ / "count", "1.5"}));
  auto [gap, delay] = restart_after_third_run(run);
  ASSERT_GE(gap, 0) << run.log();
  EXPECT_EQ(delay, 2) << run.log();
  // The announced delay is waited (the backoff's exact timing: CrashLoopGapsAre0_1_2_2_2Seconds).
  EXPECT_GE(gap, 2000 - kTolerance) << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// A crashed run's other processes (its workers) do not live on beside the next run: they are
// stopped before the restart. SPEC 4/6 leave this implicit; workers of a crashed master that
// keep its ports and locks would make the restarted app fail.
TEST_F(Restart, LeftoversOfCrashedRunAreStoppedBeforeRestart) {
  SupervisedRun run(supervise({"-c", "--stop-timeout=1"}, {"fork-tree", "4"}));
  auto main = run.expect_err(kStarted);
  ASSERT_TRUE(main);
  auto tree = run.expect_out(R"(^tree pids=([\d,]+)$)");
  ASSERT_TRUE(tree);
  ASSERT_TRUE(run.expect_out("^tree ready$"));
  kill(static_cast<pid_t>(main->num(2)), SIGSEGV);
  ASSERT_TRUE(run.expect_out("^tree ready$", 6000ms)) << "not restarted";
  std::istringstream in(tree->groups[1]);
  for (std::string p; std::getline(in, p, ',');) {
    EXPECT_FALSE(is_alive(static_cast<pid_t>(std::stol(p))))
        << "member " << p << " of the crashed run still runs\n" << run.log();
  }
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit(5000ms));
}

// The same with leftovers that ignore TERM: they get SIGKILL after --stop-timeout, and the
// kill must not reach the next run (which has to start and stay up). Found with this test on
// Linux 6.18: once cgroup.kill has been written to a v2 cgroup, every later
// clone3(CLONE_INTO_CGROUP) into that same cgroup is SIGKILLed at birth (joining through
// cgroup.procs is not), so a supervisor reusing the cgroup kills each new run.
TEST_F(Restart, RunAfterLeftoversNeededSigkillStaysUp) {
  SupervisedRun run(supervise({"-c", "--stop-timeout=1"}, {"fork-tree", "3", "ignore-term"}));
  auto main = run.expect_err(kStarted);
  ASSERT_TRUE(main);
  ASSERT_TRUE(run.expect_out("^tree ready$"));
  kill(static_cast<pid_t>(main->num(2)), SIGSEGV);
  ASSERT_TRUE(run.expect_err("killed by SIGSEGV"));
  auto second = run.expect_err(kStarted, 6000ms);
  ASSERT_TRUE(second);
  EXPECT_TRUE(run.expect_out("^tree ready$", 5000ms))
      << "the run after the SIGKILL escalation did not come up";
  EXPECT_EQ(run.count(Stream::kErr, "pid " + second->groups[2] + " killed by SIGKILL"), 0)
      << "the new run was killed by the previous run's SIGKILL\n" << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit(5000ms));
}

// A binary removed on disk (mid-upgrade, say): the restart fails to spawn. That counts as a
// failed run: logged, backed off (1 s, 2 s ...), never a tight loop; once the binary is back,
// the next attempt starts it.
TEST_F(Restart, RemovedBinaryIsAFailedRunWithBackoff) {
  std::string copy = tmp_ / "app-copy";
  std::filesystem::copy_file(kTestapp, copy);
  chmod(copy.c_str(), 0755);
  SupervisedRun run({"-c", "-l", "4", "--", copy, "print-signals"});
  auto first = run.expect_out(R"(^ready pid=(\d+))");
  ASSERT_TRUE(first);
  ASSERT_TRUE(run.expect_err(kStarted));
  std::filesystem::remove(copy);
  kill(static_cast<pid_t>(first->num(1)), SIGKILL);
  ASSERT_TRUE(run.expect_err("killed by SIGKILL"));

  // The failed attempts name the program. Restart 1 is immediate, restart 2 waits 1 s,
  // restart 3 waits 2 s.
  const std::string failed = R"(^supervisor\[\d+\]: (?!started ).*)" + regex_escape(copy);
  auto fail1 = run.expect_err(failed, 3000ms);
  auto fail2 = run.expect_err(failed, 4000ms);
  ASSERT_TRUE(fail1 && fail2) << run.log();
  // Backed off, not a tight loop (the backoff's exact timing: CrashLoopGapsAre0_1_2_2_2Seconds).
  EXPECT_GE(ms_between(fail1->at, fail2->at), 1000 - kTolerance) << run.log();
  EXPECT_TRUE(run.still_running_after(0ms)) << "a failed restart must not end the supervisor";

  std::filesystem::copy_file(kTestapp, copy);
  chmod(copy.c_str(), 0755);
  auto back = run.expect_out(R"(^ready pid=(\d+))", 5000ms);
  ASSERT_TRUE(back) << "the app did not come back once its binary was restored";
  EXPECT_NE(back->num(1), first->num(1));
  EXPECT_GE(ms_between(fail2->at, back->at), 2000 - kTolerance) << run.log();
  EXPECT_LE(run.count(Stream::kErr, failed), 4) << "a tight loop of failed restarts\n" << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

}  // namespace
}  // namespace e2e
