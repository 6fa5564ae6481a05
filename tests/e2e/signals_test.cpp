// SPEC 6: signals. Every steering signal sent to the supervisor reaches the app's current main
// process; TERM and INT also request a stop (no restart, SIGKILL after --stop-timeout); QUIT is
// forwarded without a stop; --map-signal rewrites or drops; a stop during a backoff wait ends
// the supervisor at once.
#include <signal.h>

#include <iterator>
#include <set>

#include "harness.hpp"

namespace e2e {
namespace {

class Signals : public E2ETest {};

std::string name_of(int sig) { return sigabbrev_np(sig); }

// Starts print-signals and returns the app's pid (0 on failure).
pid_t ready_app(SupervisedRun& run) {
  auto ready = run.expect_out(R"(^ready pid=(\d+)$)");
  return ready ? static_cast<pid_t>(ready->num(1)) : 0;
}

TEST_F(Signals, EverySteeringSignalReachesTheApp) {
  SupervisedRun run(supervise({"-c"}, {"print-signals"}));
  ASSERT_NE(ready_app(run), 0);
  // SPEC 6's list, TERM last (it ends print-signals) and INT in a test of its own.
  for (int sig : {SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH,
                  SIGALRM, SIGPWR, SIGVTALRM, SIGPROF, SIGURG, SIGIO, SIGTERM}) {
    run.send(sig);
    ASSERT_TRUE(run.expect_out("^signal " + name_of(sig) + "$")) << "SIG" << name_of(sig);
  }
  EXPECT_TRUE(run.expect_err("stopping: SIGTERM"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// Different signals sent back to back are all forwarded (only equal ones may coalesce).
TEST_F(Signals, BurstOfDifferentSignalsAllArrive) {
  SupervisedRun run(supervise({}, {"print-signals"}));
  ASSERT_NE(ready_app(run), 0);
  const std::set<std::string> sent = {"HUP", "USR1", "USR2", "WINCH", "ALRM", "PWR"};
  for (int sig : {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGPWR}) run.send(sig);
  std::set<std::string> got;
  for (size_t i = 0; i < sent.size(); ++i) {
    auto line = run.expect_out(R"(^signal (\w+)$)");
    if (!line) break;
    got.insert(line->groups[1]);
  }
  EXPECT_EQ(got, sent) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(Signals, QuitLeavesTheSupervisorRunning) {
  SupervisedRun run(supervise({"-c"}, {"print-signals"}));
  pid_t app = ready_app(run);
  ASSERT_NE(app, 0);
  run.send(SIGQUIT);
  ASSERT_TRUE(run.expect_out("^signal QUIT$"));
  run.send(SIGUSR1);
  ASSERT_TRUE(run.expect_out("^signal USR1$"));
  EXPECT_FALSE(run.exited());
  EXPECT_TRUE(is_alive(app));
  EXPECT_EQ(run.count(Stream::kErr, "stopping"), 0) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// QUIT requests no stop: an app killed by it is a crash like any other, restarted under -c.
TEST_F(Signals, AppKilledByForwardedQuitIsRestarted) {
  SupervisedRun run(supervise({"-c"}, {"sleep"}), in_directory(tmp_.path()));
  auto first = run.expect_err(kStarted);
  ASSERT_TRUE(first);
  run.send(SIGQUIT);
  EXPECT_TRUE(run.expect_err("killed by SIGQUIT"));
  auto second = run.expect_err(kStarted);
  ASSERT_TRUE(second);
  EXPECT_NE(second->groups[2], first->groups[2]);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 128 + SIGTERM) << run.log();
}

TEST_F(Signals, TermRequestsStopWithoutRestart) {
  SupervisedRun run(supervise({"-c"}, {"sleep"}));
  ASSERT_TRUE(run.expect_err(kStarted));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 128 + SIGTERM) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Signals, IntRequestsStopWithoutRestart) {
  SupervisedRun run(supervise({"-c"}, {"sleep"}));
  ASSERT_TRUE(run.expect_err(kStarted));
  run.send(SIGINT);
  EXPECT_EQ(run.wait_exit(), 128 + SIGINT) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

// Under --restart=always an app that exits 0 would be restarted: not after a stop request.
TEST_F(Signals, IntReachesTheAppAndStopsEvenUnderRestartAlways) {
  SupervisedRun run(supervise({"--restart=always"}, {"print-signals"}));
  ASSERT_NE(ready_app(run), 0);
  run.send(SIGINT);
  EXPECT_TRUE(run.expect_out("^signal INT$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
}

TEST_F(Signals, MapSignalRewritesUsr1ToUsr2) {
  SupervisedRun run(supervise({"--map-signal=USR1:USR2"}, {"print-signals"}));
  ASSERT_NE(ready_app(run), 0);
  run.send(SIGUSR1);
  auto first = run.expect_out("^signal ");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->line, "signal USR2");
  run.send(SIGHUP);  // an unmapped signal is untouched
  auto second = run.expect_out("^signal ");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->line, "signal HUP");
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(Signals, MapSignalToZeroDropsIt) {
  SupervisedRun run(supervise({"--map-signal=USR1:0"}, {"print-signals"}));
  ASSERT_NE(ready_app(run), 0);
  run.send(SIGUSR1);
  run.send(SIGHUP);
  auto next = run.expect_out("^signal ");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->line, "signal HUP") << "USR1 should have been dropped\n" << run.log();
  EXPECT_FALSE(run.exited());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// A signal the app is not steered with must not end the supervisor by its default action and
// leave the app, its cgroup and its files behind: real-time signals (32 and 33, which glibc
// keeps for itself, included), SIGXCPU, SIGXFSZ, SIGSTKFLT are logged and ignored, and never
// reach the app.
TEST_F(Signals, OtherSignalsAreLoggedAndIgnored) {
  SupervisedRun run(supervise({}, {"print-signals"}));
  const pid_t app = ready_app(run);
  ASSERT_NE(app, 0);
  const int others[] = {32, 33, SIGRTMIN + 1, SIGRTMAX, SIGXCPU, SIGXFSZ, SIGSTKFLT};
  for (int sig : others) {
    run.send(sig);
    ASSERT_TRUE(run.expect_err("ignoring .*: not a signal the app is steered with"))
        << "signal " << sig << "\n"
        << run.log();
  }
  run.send(SIGHUP);
  auto next = run.expect_out("^signal ");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->line, "signal HUP") << "only HUP should have reached the app\n" << run.log();
  EXPECT_TRUE(is_alive(app));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, "ignoring "), static_cast<int>(std::size(others)));
}

// The "Done when" measurement: kill -TERM on the supervisor during a backoff wait ends it
// within 100 ms.
TEST_F(Signals, TermDuringBackoffEndsSupervisorWithin100ms) {
  SupervisedRun run(supervise({"-c", "-l", "80"}, {"crash", "SEGV"}));
  // Restarts 1 (0 s) and 2 (1 s) go by; restart 3 waits 2 s: stop it in that wait.
  ASSERT_TRUE(run.expect_err(R"(restarting in 2(\.0+)? s)", 6000ms));
  auto sent = Clock::now();
  run.send(SIGTERM);
  auto status = run.wait_exit(2000ms);
  double took = ms_between(sent, run.exit_time());
  std::cout << "[ measured ] TERM during backoff -> exit (ms): " << took << "\n";
  // Under the sanitizers the exit includes LeakSanitizer's heap scan (seen: 6 to 107 ms with
  // ctest -j on 2 loaded cores): the 100 ms are held in the plain stage.
  EXPECT_LT(took, kSanitized ? 500 : 100) << run.log();
  // SPEC 3: the app ended for good, its last status was SIGSEGV.
  EXPECT_EQ(status, 128 + SIGSEGV) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 3) << "no start after the stop request\n"
                                                  << run.log();
}

// With no app running (a backoff wait), a steering signal has nobody to go to: it is dropped
// and the supervisor carries on with its restart.
TEST_F(Signals, SteeringSignalDuringBackoffIsHarmless) {
  SupervisedRun run(supervise({"-c", "-l", "80"}, {"crash", "SEGV"}));
  auto wait = run.expect_err(R"(restarting in 1(\.0+)? s)", 6000ms);
  ASSERT_TRUE(wait);
  run.send(SIGUSR1);
  run.send(SIGHUP);
  run.send(SIGQUIT);
  auto next = run.expect_err(kStarted, 3000ms);
  ASSERT_TRUE(next) << "no restart after signals during the wait";
  // The wait was not cut short (its exact length: Restart.CrashLoopGapsAre0_1_2_2_2Seconds).
  EXPECT_GE(ms_between(wait->at, next->at), 700) << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Signals, IgnoredTermEscalatesToKillAfterStopTimeout) {
  SupervisedRun run(supervise({"--stop-timeout=1"}, {"ignore-term"}));
  ASSERT_NE(ready_app(run), 0);
  auto sent = Clock::now();
  run.send(SIGTERM);
  auto status = run.wait_exit(5000ms);
  double took = ms_between(sent, run.exit_time());
  std::cout << "[ measured ] TERM ignored -> KILL -> exit (ms): " << took << "\n";
  EXPECT_EQ(status, 128 + SIGKILL) << run.log();
  EXPECT_GE(took, 900) << run.log();
  // Under the sanitizers the exit includes LeakSanitizer's heap scan (seen up to 1254 ms).
  EXPECT_LE(took, kSanitized ? 2000 : 1500) << run.log();
  EXPECT_TRUE(run.expect_err("stopping: SIGTERM"));
}

// --stop-signal replaces the TERM a stop sends first, --kill-signal the KILL it sends last.
TEST_F(Signals, StopSignalAndKillSignalReplaceTermAndKill) {
  SupervisedRun run(supervise({"--stop-signal=USR2", "--kill-signal=INT", "--stop-timeout=1"},
                              {"print-signals"}));
  ASSERT_NE(ready_app(run), 0);
  run.send(SIGTERM);
  auto first = run.expect_out("^signal USR2$");
  ASSERT_TRUE(first);
  auto last = run.expect_out("^signal INT$", 4000ms);  // print-signals ends on INT
  ASSERT_TRUE(last);
  // A stop timeout apart (its exact length: Signals.IgnoredTermEscalatesToKill...).
  EXPECT_GE(ms_between(first->at, last->at), 700) << run.log();
  EXPECT_EQ(run.count(Stream::kOut, "^signal TERM$"), 0) << run.log();
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// SPEC 6: "In an interactive terminal, Ctrl-C reaches the app exactly once." The supervisor
// leads a session on a pseudo-terminal; the test types Ctrl-C on it.
TEST_F(Signals, CtrlCInTerminalReachesTheAppOnce) {
  RunOptions options;
  options.terminal = TerminalMode::kStdin;
  SupervisedRun run(supervise({"--stop-timeout=1"}, {"print-signals", "keep"}), options);
  ASSERT_TRUE(run.started()) << run.setup_error();
  ASSERT_NE(ready_app(run), 0);
  run.type("\x03");
  ASSERT_TRUE(run.expect_out("^signal INT$"));
  // A barrier: the supervisor handles signals in order, so a second INT it forwarded would
  // come before this HUP.
  run.send(SIGHUP);
  ASSERT_TRUE(run.expect_out("^signal HUP$"));
  EXPECT_EQ(run.count(Stream::kOut, "^signal INT$"), 1) << run.log();
  if (!run.exited()) run.send(SIGTERM);  // Ctrl-C may have requested a stop already
  EXPECT_TRUE(run.wait_exit(5000ms));
}

// SPEC 6: "A stopped app is sent SIGCONT after the stop signal, so it can act on it."
TEST_F(Signals, StoppedAppIsContinuedAfterStopSignal) {
  SupervisedRun run(supervise({}, {"print-signals"}));
  pid_t app = ready_app(run);
  ASSERT_NE(app, 0);
  kill(app, SIGSTOP);
  ASSERT_TRUE(eventually([&] {
    auto st = read_stat(app);
    return st && st->state == 'T';
  }));
  run.send(SIGTERM);
  // The app can only print this once it runs again.
  EXPECT_TRUE(run.expect_out("^signal TERM$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

}  // namespace
}  // namespace e2e
