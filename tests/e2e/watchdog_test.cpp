// SPEC 7 and issue 4: watchdogs, both ways.
//
// For the app (--watchdog=S): it gets WATCHDOG_USEC=<S in usec> and WATCHDOG_PID=<its own
// pid>; it must send WATCHDOG=1 at least every S. A missed deadline, or WATCHDOG=trigger, is a
// hang: "pid N missed its watchdog deadline", SIGABRT, SIGKILL after --stop-timeout, and it
// counts as a crash (-c restarts it).
//
// For systemd (WatchdogSec=): with WATCHDOG_USEC set for the supervisor (WATCHDOG_PID unset or
// its own pid), it sends WATCHDOG=1 every WATCHDOG_USEC/2 while the app is not hung.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "harness.hpp"
#include "sd_helpers.hpp"

namespace e2e {
namespace {

using sd::FakeSystemd;

constexpr double kTolerance = 300;  // ms
const std::string kMissed = R"(pid (\d+) missed its watchdog deadline)";

class Watchdog : public E2ETest {
 protected:
  void SetUp() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID",
                             "LISTEN_FDS", "LISTEN_FDNAMES"}) {
      unsetenv(name);
    }
  }
};

class SystemdWatchdog : public Watchdog {};

// "watchdog usec=U pid=N": the app's view of its watchdog, and its pid.
std::optional<Match> watchdog_app(SupervisedRun& run, Millis deadline = kDeadline) {
  return run.expect_out(R"(^watchdog usec=(\d+) pid=(\d+)$)", deadline);
}

// ---- the app's watchdog ----

TEST_F(Watchdog, AppGetsWatchdogUsecAndItsOwnPid) {
  SupervisedRun run(supervise({"--watchdog=2"}, {"env"}));
  auto usec = run.expect_out(R"(^env WATCHDOG_USEC(=(.*)| unset)$)");
  auto pid = run.expect_out(R"(^env WATCHDOG_PID(=(.*)| unset)$)");
  auto self = run.expect_out(R"(^env pid=(\d+) )");
  ASSERT_TRUE(usec && pid && self);
  EXPECT_EQ(usec->groups[2], "2000000");
  EXPECT_EQ(pid->groups[2], self->groups[1]);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// Every incarnation gets its own pid as WATCHDOG_PID (the value is filled in per spawn).
TEST_F(Watchdog, RestartedAppGetsItsOwnWatchdogPid) {
  SupervisedRun run(supervise({"-c", "--watchdog=30"}, {"env"}));
  auto pid1 = run.expect_out(R"(^env WATCHDOG_PID=(\d+)$)");
  auto self1 = run.expect_out(R"(^env pid=(\d+) )");
  ASSERT_TRUE(pid1 && self1);
  EXPECT_EQ(pid1->groups[1], self1->groups[1]);
  kill(static_cast<pid_t>(self1->num(1)), SIGKILL);  // a crash
  auto pid2 = run.expect_out(R"(^env WATCHDOG_PID=(\d+)$)");
  auto self2 = run.expect_out(R"(^env pid=(\d+) )");
  ASSERT_TRUE(pid2 && self2);
  EXPECT_NE(self2->groups[1], self1->groups[1]);
  EXPECT_EQ(pid2->groups[1], self2->groups[1]);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// The supervisor's own WATCHDOG_* (from systemd) are not the app's.
TEST_F(Watchdog, InheritedWatchdogVariablesDoNotReachTheApp) {
  RunOptions options;
  options.env = {"WATCHDOG_USEC=30000000"};
  SupervisedRun run(supervise({}, {"env"}), options);
  auto usec = run.expect_out(R"(^env WATCHDOG_USEC(=(.*)| unset)$)");
  auto pid = run.expect_out(R"(^env WATCHDOG_PID(=(.*)| unset)$)");
  ASSERT_TRUE(usec && pid);
  EXPECT_EQ(usec->groups[1], " unset") << usec->line;
  EXPECT_EQ(pid->groups[1], " unset") << pid->line;
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(Watchdog, RegularPingsKeepTheAppRunning) {
  // Pings every 300 ms for 2.4 s, four times the watchdog interval.
  SupervisedRun run(supervise({"--watchdog=0.6"}, {"watchdog", "8"}));
  ASSERT_TRUE(watchdog_app(run));
  ASSERT_TRUE(run.expect_out("^hung$", 5000ms));
  EXPECT_EQ(run.count(Stream::kErr, kMissed), 0) << "missed while pinging\n" << run.log();
  EXPECT_EQ(run.count(Stream::kOut, "failed"), 0) << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// The deadline runs from the last ping: a hang is noticed one interval later (measured).
TEST_F(Watchdog, HangIsDetectedOneIntervalAfterTheLastPing) {
  SupervisedRun run(supervise({"--watchdog=0.8"}, {"watchdog", "3"}));
  auto app = watchdog_app(run);
  ASSERT_TRUE(app);
  auto last = run.expect_out("^ping 3$", 4000ms);
  ASSERT_TRUE(last);
  auto missed = run.expect_err(kMissed, 3000ms);
  ASSERT_TRUE(missed);
  EXPECT_EQ(missed->groups[1], app->groups[2]);
  EXPECT_NEAR(ms_between(last->at, missed->at), 800, kTolerance) << run.log();
  std::cout << "[ measured ] --watchdog=0.8: last ping -> missed deadline "
            << ms_between(last->at, missed->at) << " ms\n";
}

TEST_F(Watchdog, MissedDeadlineSendsSigabrt) {
  SupervisedRun run(supervise({"--watchdog=0.5"}, {"watchdog", "0"}));
  auto app = watchdog_app(run);
  ASSERT_TRUE(app);
  auto missed = run.expect_err(kMissed, 3000ms);
  ASSERT_TRUE(missed);
  EXPECT_EQ(missed->groups[1], app->groups[2]);
  EXPECT_TRUE(run.expect_err("pid " + app->groups[2] + " killed by SIGABRT"));
  EXPECT_EQ(run.wait_exit(), 128 + SIGABRT) << run.log();
}

TEST_F(Watchdog, MissedDeadlineCountsAsACrash) {
  SupervisedRun run(supervise({"-c", "--watchdog=0.5"}, {"watchdog", "1"}));
  auto first = watchdog_app(run);
  ASSERT_TRUE(first);
  ASSERT_TRUE(run.expect_err(kMissed, 3000ms));
  auto second = watchdog_app(run, 4000ms);
  ASSERT_TRUE(second) << "not restarted after the hang\n" << run.log();
  EXPECT_NE(second->groups[2], first->groups[2]);
  EXPECT_EQ(second->groups[1], "500000");
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// An app that survives SIGABRT is killed a stop timeout later.
TEST_F(Watchdog, AppSurvivingSigabrtIsKilledAfterTheStopTimeout) {
  SupervisedRun run(
      supervise({"--watchdog=0.5", "--stop-timeout=1"}, {"watchdog", "0", "survive-abrt"}));
  ASSERT_TRUE(watchdog_app(run));
  auto abrt = run.expect_out("^signal ABRT$", 3000ms);
  ASSERT_TRUE(abrt) << run.log();
  auto killed = run.expect_err("killed by SIGKILL", 3000ms);
  ASSERT_TRUE(killed);
  // Not before the stop timeout (its exact length: Signals.IgnoredTermEscalatesToKill...).
  EXPECT_GE(ms_between(abrt->at, killed->at), 1000 - kTolerance) << run.log();
  EXPECT_EQ(run.wait_exit(), 128 + SIGKILL) << run.log();
}

// The next incarnation after a hang that needed SIGKILL runs normally (with cgroup v2 the kill
// is a cgroup.kill of the app's cgroup, which must not poison later starts into it).
TEST_F(Watchdog, AppKilledForAHangIsRestartedAndRuns) {
  SupervisedRun run(
      supervise({"-c", "--watchdog=1", "--stop-timeout=0.5"}, {"watchdog", "0", "survive-abrt"}));
  auto first = watchdog_app(run);
  ASSERT_TRUE(first);
  ASSERT_TRUE(run.expect_err("pid " + first->groups[2] + " killed by SIGKILL", 4000ms));
  auto second = watchdog_app(run, 3000ms);
  EXPECT_TRUE(second) << "the restarted app never ran\n" << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kRestarting), 1) << run.log();
}

// testapp notify reports signals instead of dying of them: SIGABRT shows, SIGKILL ends it.
TEST_F(Watchdog, WatchdogTriggerActsAsAMissedDeadline) {
  SupervisedRun run(
      supervise({"--watchdog=30", "--stop-timeout=1"}, {"notify", "WATCHDOG=trigger"}));
  auto ready = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(ready);
  auto missed = run.expect_err(kMissed, 3000ms);
  ASSERT_TRUE(missed) << run.log();
  EXPECT_EQ(missed->groups[1], ready->groups[1]);
  EXPECT_TRUE(run.expect_out("^signal ABRT$"));
  EXPECT_TRUE(run.expect_err("killed by SIGKILL", 3000ms));
  EXPECT_EQ(run.wait_exit(), 128 + SIGKILL) << run.log();
}

// Only the app feeds its watchdog: pings from another process do not keep a hung app alive.
TEST_F(Watchdog, PingsFromOutsideTheAppDoNotFeedTheWatchdog) {
  SupervisedRun run(supervise({"--watchdog=1"}, {"watchdog", "0"}));
  auto app = watchdog_app(run);
  ASSERT_TRUE(app);
  pid_t pid = static_cast<pid_t>(app->num(2));
  auto address = environ_of(pid, "NOTIFY_SOCKET");
  ASSERT_TRUE(address);
  // Every 250 ms for 2 s, twice the interval (the rhythm is the behaviour under test).
  std::optional<Match> missed;
  for (int i = 0; i < 8 && !missed; ++i) {
    sd::send_from_test(*address, "WATCHDOG=1", /*barrier=*/false);
    missed = run.find_line(Stream::kErr, kMissed, 250ms);
  }
  if (!missed) missed = run.find_line(Stream::kErr, kMissed, 500ms);
  EXPECT_TRUE(missed) << "foreign pings kept the hung app alive\n" << run.log();
  EXPECT_EQ(run.wait_exit(), 128 + SIGABRT) << run.log();
}

TEST_F(Watchdog, AppWithoutWatchdogOptionIsNeverAborted) {
  SupervisedRun run(supervise({}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out(R"(^ready pid=\d+$)"));
  EXPECT_FALSE(run.find_line(Stream::kErr, kMissed, 1000ms)) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// ---- answering systemd's watchdog ----

RunOptions with_env(std::vector<std::string> env) {
  RunOptions options;
  options.env = std::move(env);
  return options;
}

// Collects `n` bare WATCHDOG=1 datagrams; returns their receive times.
std::vector<Clock::time_point> pings(FakeSystemd& systemd, int n, Millis each) {
  std::vector<Clock::time_point> at;
  while (static_cast<int>(at.size()) < n) {
    auto note = systemd.next(each);
    if (!note) break;
    if (note->is_watchdog_ping()) at.push_back(note->at);
  }
  return at;
}

TEST_F(SystemdWatchdog, SupervisorPingsSystemdEveryHalfInterval) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"print-signals"}),
                    with_env({systemd.env(), "WATCHDOG_USEC=600000"}));
  ASSERT_TRUE(run.expect_out(R"(^ready pid=\d+$)"));
  auto at = pings(systemd, 5, 1000ms);
  ASSERT_EQ(at.size(), 5u) << "pings received:\n" << systemd.history_text() << run.log();
  std::string gaps;
  std::vector<double> sorted;
  for (size_t i = 1; i < at.size(); ++i) {
    sorted.push_back(ms_between(at[i - 1], at[i]));
    gaps += std::to_string(sorted.back()) + " ";
  }
  std::sort(sorted.begin(), sorted.end());
  // Every gap within systemd's deadline, none a burst; the typical one half the interval. One
  // late wake-up on a loaded machine moves a single gap, not the median.
  EXPECT_GT(sorted.front(), 150) << "gaps (ms): " << gaps;
  EXPECT_LT(sorted.back(), 600) << "gaps (ms): " << gaps;
  EXPECT_NEAR(sorted[sorted.size() / 2], 300, 100) << "gaps (ms): " << gaps;
  std::cout << "[ measured ] WATCHDOG_USEC=600000: gaps between pings (ms): " << gaps << "\n";
  for (const auto& n : systemd.history()) EXPECT_EQ(n.sender, run.pid());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(SystemdWatchdog, WatchdogMeantForAnotherPidIsNotAnswered) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"print-signals"}),
                    with_env({systemd.env(), "WATCHDOG_USEC=200000",
                              "WATCHDOG_PID=" + std::to_string(getpid())}));
  ASSERT_TRUE(run.expect_out(R"(^ready pid=\d+$)"));
  // Observing an absence: ten ping intervals.
  auto at = pings(systemd, 1, 1000ms);
  EXPECT_TRUE(at.empty()) << "pinged for WATCHDOG_PID=" << getpid() << "\n"
                          << systemd.history_text();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(SystemdWatchdog, NoPingsWithoutWatchdogUsec) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"print-signals"}), with_env({systemd.env()}));
  ASSERT_TRUE(run.expect_out(R"(^ready pid=\d+$)"));
  EXPECT_TRUE(pings(systemd, 1, 1000ms).empty()) << systemd.history_text();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// While the app is hung (deadline missed, SIGABRT ignored, waiting for the stop timeout), the
// supervisor stops answering systemd; once a new incarnation runs, it answers again.
TEST_F(SystemdWatchdog, SupervisorStopsPingingSystemdWhileTheAppIsHung) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(
      supervise({"-c", "--watchdog=0.5", "--stop-timeout=2"}, {"watchdog", "0", "survive-abrt"}),
      with_env({systemd.env(), "WATCHDOG_USEC=200000"}));
  ASSERT_TRUE(watchdog_app(run));
  ASSERT_EQ(pings(systemd, 2, 1000ms).size(), 2u) << "no pings while healthy\n"
                                                  << systemd.history_text();
  auto missed = run.expect_err(kMissed, 3000ms);
  ASSERT_TRUE(missed);
  // 1.5 s of the 2 s hang, allowing a ping already on its way when the hang was noticed.
  int during_hang = 0;
  auto until = missed->at + 1500ms;
  while (Clock::now() < until) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
    auto note = systemd.next(left);
    if (note && note->is_watchdog_ping() && note->at > missed->at + 150ms) ++during_hang;
  }
  EXPECT_EQ(during_hang, 0) << "systemd was told all is well while the app hung\n" << run.log();
  ASSERT_TRUE(watchdog_app(run, 3000ms)) << "not restarted";
  EXPECT_EQ(pings(systemd, 1, 1000ms).size(), 1u) << "no pings after the restart";
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// A hung app that died of its SIGABRT leaves nothing hung behind: during the backoff before
// its restart the supervisor is healthy and keeps answering systemd (a backoff can last up to
// --delay-limit, far longer than systemd's WatchdogSec).
TEST_F(SystemdWatchdog, SupervisorKeepsPingingSystemdDuringBackoffAfterAHang) {
  FakeSystemd systemd(tmp_.path());
  // Each incarnation hangs at once and dies of SIGABRT 0.3 s later: restart 1 is immediate,
  // restart 2 waits 1 s.
  SupervisedRun run(supervise({"-c", "--watchdog=0.3"}, {"watchdog", "0"}),
                    with_env({systemd.env(), "WATCHDOG_USEC=200000"}));
  auto backoff = run.expect_err(R"(restarting in 1 s \(restart 2\))", 4000ms);
  ASSERT_TRUE(backoff);
  int pings_in_backoff = 0;
  auto until = backoff->at + 850ms;
  while (Clock::now() < until) {
    auto note = systemd.next(std::chrono::duration_cast<Millis>(until - Clock::now()));
    if (note && note->is_watchdog_ping() && note->at > backoff->at + 100ms) ++pings_in_backoff;
  }
  EXPECT_GE(pings_in_backoff, 4) << "a 100 ms ping rhythm stopped during the 1 s backoff\n"
                                 << systemd.history_text() << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

}  // namespace
}  // namespace e2e
