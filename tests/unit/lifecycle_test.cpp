// The lifecycle reducer (SPEC 4-7) driven by a fake clock: every timing rule exact to the
// millisecond, and what each event does in each state.
#include "core/lifecycle.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "lifecycle_sim.hpp"

namespace sup::core {
namespace {

using sim::kT0;
using sim::on_failure;
using sim::Sim;


// ---------------------------------------------------------------------------------------------
// Start

TEST(Lifecycle, StartsBySpawning) {
  Sim sim;
  EXPECT_STREQ(sim.state(), "Starting");
  EXPECT_TRUE(sim.did<action::Spawn>());
  sim.spawned(100);
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_TRUE(sim.logged("started /bin/app as pid 100"));
  // --ready=exec: ready at once, and systemd hears it once.
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 100"});
  EXPECT_EQ(deadline(sim.machine()), std::nullopt) << "no wake-up while the app runs";
}

TEST(Lifecycle, FirstSpawnFailureIsFatalWithTheShellCode) {
  for (auto [err, code] : {std::pair{ENOENT, 127}, {EACCES, 126}, {ENOMEM, 125}}) {
    Sim sim(on_failure);
    sim.feed(event::SpawnFailed{err, "starting /bin/app: oops"});
    EXPECT_STREQ(sim.state(), "Done");
    EXPECT_EQ(sim.exit_code(), code);
    ASSERT_EQ(sim.all<action::Log>().size(), 1u);
    EXPECT_EQ(sim.all<action::Log>()[0].level, LogLevel::kFatal);
  }
}

// SPEC 3: 126 is for a program that cannot be executed; a step before its exec that failed
// (setgroups without privileges, say) is the supervisor's set-up failure, whatever its errno.
TEST(Lifecycle, FirstSpawnFailureBeforeTheExecIs125) {
  for (int err : {EPERM, EACCES, ENOENT, EINVAL}) {
    Sim sim;
    sim.feed(event::SpawnFailed{err, "starting /bin/app: setgroups: Operation not permitted", true});
    EXPECT_EQ(sim.exit_code(), 125) << err;
  }
}

// Issue 12: fork/clone3 failing with EAGAIN (RLIMIT_NPROC, pids.max) is no set-up mistake: it
// is retried with backoff at the first start too, without a restart policy, until a stop.
TEST(Lifecycle, SpawnFailingWithEagainIsRetriedAtTheFirstStartWithoutPolicy) {
  Sim sim;
  sim.feed(event::SpawnFailed{EAGAIN, "starting /bin/app: clone3: Resource temporarily unavailable",
                              true});
  EXPECT_STREQ(sim.state(), "Cleaning");
  EXPECT_TRUE(sim.logged("restarting in 0 s (restart 1)")) << sim.log();
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Starting") << "the first restart is immediate";
  sim.feed(event::SpawnFailed{EAGAIN, "starting /bin/app: clone3: Resource temporarily unavailable",
                              true});
  EXPECT_TRUE(sim.logged("restarting in 1 s (restart 2)")) << sim.log();
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Backoff");
  sim.feed(event::Signal{SIGTERM, false});
  EXPECT_STREQ(sim.state(), "Done") << sim.log();
}

TEST(Lifecycle, SpawnFailureOnARestartIsRetriedWithBackoff) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.exits(ExitStatus::killed(SIGSEGV), kT0 + 50);
  sim.feed(event::AppEmpty{});
  ASSERT_TRUE(sim.did<action::Spawn>());
  sim.feed(event::SpawnFailed{ENOENT, "starting /bin/app: No such file or directory"});
  EXPECT_STREQ(sim.state(), "Cleaning");
  EXPECT_TRUE(sim.logged("restarting in 1 s (restart 2)")) << sim.log();
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.as<state::Backoff>().until, sim.now() + 1'000);
}

TEST(Lifecycle, SpawnFailureOnARestartWithoutPolicyFinishesWith127) {
  Sim sim([](Config& c) { c.restart.on_error = true; });
  sim.spawned(100);
  sim.exits(ExitStatus::exited(1), kT0 + 10);
  sim.feed(event::AppEmpty{});
  sim.feed(event::SpawnFailed{ENOENT, "gone"});
  sim.feed(event::AppEmpty{});
  EXPECT_STREQ(sim.state(), "Backoff") << "retried under any restart policy";
}

// ---------------------------------------------------------------------------------------------
// SPEC 4: restart decisions, backoff, healthy reset

TEST(Lifecycle, NoRestartPolicyExitsWithTheAppsStatus) {
  Sim sim;
  sim.spawned(100);
  sim.exits(ExitStatus::exited(3), kT0 + 5);
  EXPECT_STREQ(sim.state(), "Cleaning");
  EXPECT_TRUE(sim.did<action::StopLeftovers>());
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 3);
}

TEST(Lifecycle, KilledBySignalExitsWith128PlusSignal) {
  Sim sim;
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::killed(SIGSEGV, true), 0}, kT0 + 5);
  EXPECT_TRUE(sim.logged("pid 100 killed by SIGSEGV (core dumped)"));
  sim.feed(event::NoSuccessor{});
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 128 + SIGSEGV);
}

TEST(Lifecycle, BackoffSequenceIsExactAndCapped) {
  Sim sim([](Config& c) {
    on_failure(c);
    c.restart.delay_limit_ms = 5'000;  // -l 5
  });
  sim.spawned(100);
  std::vector<Millis> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(sim.crash_after(100, 101 + i));
  EXPECT_EQ(delays, (std::vector<Millis>{0, 1'000, 2'000, 4'000, 5'000, 5'000}));
}

TEST(Lifecycle, BackoffCountsFromWhenTheLeftoversAreGone) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.crash_after(100, 101);
  sim.exits(ExitStatus::exited(1), sim.now() + 100);
  EXPECT_TRUE(sim.logged("restarting in 1 s (restart 2)"));
  sim.feed(event::AppEmpty{}, sim.now() + 700);  // leftovers took 700 ms to go
  EXPECT_EQ(sim.as<state::Backoff>().until, sim.now() + 1'000);
}

TEST(Lifecycle, HealthyRunResetsTheBackoffExactlyAtHealthyAfter) {
  for (Millis ran : {Millis{9'999}, Millis{10'000}}) {
    Sim sim(on_failure);  // --healthy-after 10
    sim.spawned(100);
    sim.crash_after(50, 101);
    sim.crash_after(50, 102);  // 1 s
    const Millis delay = sim.crash_after(ran, 103);
    EXPECT_EQ(delay, ran < 10'000 ? 2'000 : 0) << "ran " << ran;
  }
}

TEST(Lifecycle, HealthyAfterCountsFromReadinessWithReadyNotify) {
  for (Millis up : {Millis{9'999}, Millis{10'000}}) {
    Sim sim([](Config& c) {
      on_failure(c);
      c.ready = ReadyMode::kNotify;
    });
    sim.spawned(100);
    sim.crash_after(50, 101);
    sim.crash_after(50, 102);
    // Ready 5 s after its spawn: the run counts from there, not from the spawn.
    sim.feed(event::Tick{}, sim.now() + 5'000);
    sim.notified("READY=1", 102);
    EXPECT_EQ(sim.crash_after(up, 103), up < 10'000 ? 2'000 : 0) << "up " << up;
  }
}

TEST(Lifecycle, MaxRestartsGivesUpWithTheLastStatus) {
  Sim sim([](Config& c) {
    on_failure(c);
    c.restart.max_restarts = 2;
  });
  sim.spawned(100);
  sim.crash_after(10, 101);
  sim.crash_after(10, 102);
  sim.exits(ExitStatus::exited(7), sim.now() + 10);
  EXPECT_TRUE(sim.logged("giving up: restarted 2 times"));
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 7);
}

// The restart is counted when it happens, after the leftovers are gone and the delay passed;
// counting it at the decision (as the shell once did) let a crash loop with slow clean-ups slip
// through the window.
TEST(Lifecycle, MaxRestartsWindowCountsRestartsWhenTheyHappen) {
  Sim sim([](Config& c) {
    on_failure(c);
    c.restart.healthy_after_ms = 3'600'000;
    c.restart.max_restarts = 1;
    c.restart.max_restarts_window_ms = 10'000;  // --max-restarts=1/10
  });
  sim.spawned(100);
  sim.exits(ExitStatus::killed(SIGSEGV), kT0 + 100);
  EXPECT_STREQ(sim.state(), "Cleaning");
  sim.feed(event::AppEmpty{}, kT0 + 8'100);  // leftovers took 8 s; restart at once
  sim.spawned(101);
  // 5 s after that restart (13.1 s after the decision): still within 10 s of the restart.
  sim.exits(ExitStatus::killed(SIGSEGV), kT0 + 13'100);
  EXPECT_TRUE(sim.logged("giving up")) << sim.log();
}

TEST(Lifecycle, MaxRestartsWindowAgesOutExactly) {
  for (Millis gap : {Millis{9'999}, Millis{10'000}}) {
    Sim sim([](Config& c) {
      on_failure(c);
      c.restart.healthy_after_ms = 3'600'000;
      c.restart.max_restarts = 1;
      c.restart.max_restarts_window_ms = 10'000;
    });
    sim.spawned(100);
    sim.crash_after(100, 101);  // restart at kT0 + 100
    sim.exits(ExitStatus::killed(SIGSEGV), kT0 + 100 + gap);
    EXPECT_EQ(sim.logged("giving up"), gap < 10'000) << "gap " << gap;
  }
}

// ---------------------------------------------------------------------------------------------
// SPEC 6: stopping

TEST(Lifecycle, StopForwardsTermAndContThenKillsAtTheStopTimeout) {
  Sim sim([](Config& c) { c.stop_timeout_ms = 3'000; });
  sim.spawned(100);
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.signals_to_main(), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_EQ(sim.told(), std::vector<std::string>{"STOPPING=1\nSTATUS=stopping"});
  EXPECT_STREQ(sim.state(), "Stopping");
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'000);
  sim.tick(kT0 + 2'999);
  EXPECT_FALSE(sim.did<action::KillAll>());
  sim.tick(kT0 + 3'000);
  ASSERT_TRUE(sim.did<action::KillAll>());
  EXPECT_EQ(sim.all<action::KillAll>()[0].signo, SIGKILL);
  sim.exits(ExitStatus::killed(SIGKILL), kT0 + 3'001);
  EXPECT_STREQ(sim.state(), "Cleaning");
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 128 + SIGKILL);
}

TEST(Lifecycle, StopNeverRestartsAndKeepsItsDeadlineThroughTheCleaning) {
  Sim sim([](Config& c) {
    c.restart.on_success = c.restart.on_crash = c.restart.on_error = true;
    c.stop_timeout_ms = 3'000;
  });
  sim.spawned(100);
  sim.signal(SIGINT);
  sim.exits(ExitStatus::exited(0), kT0 + 1'000);
  EXPECT_STREQ(sim.state(), "Cleaning");
  EXPECT_EQ(sim.as<state::Cleaning>().restart, std::nullopt);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'000) << "the stop's deadline, not a new one";
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0);
}

TEST(Lifecycle, SecondStopRequestForwardsAgainButKeepsTheDeadline) {
  Sim sim([](Config& c) { c.stop_timeout_ms = 3'000; });
  sim.spawned(100);
  sim.signal(SIGTERM);
  sim.feed(event::Signal{SIGINT, false}, kT0 + 1'000);
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGINT});
  EXPECT_TRUE(sim.told().empty());
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'000);
}

TEST(Lifecycle, StopSignalAndKillSignalAreConfigurable) {
  Sim sim([](Config& c) {
    c.stop_signal = SIGQUIT;
    c.kill_signal = SIGUSR2;
  });
  sim.spawned(100);
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.signals_to_main(), (std::vector<int>{SIGQUIT, SIGCONT}));
  sim.tick(kT0 + 10'000);
  EXPECT_EQ(sim.all<action::KillAll>().at(0).signo, SIGUSR2);
}

TEST(Lifecycle, SurvivorsOfTheKillAreGivenUpOnAfterTheGrace) {
  Sim sim([](Config& c) { c.stop_timeout_ms = 1'000; });
  sim.spawned(100);
  sim.signal(SIGTERM);
  sim.tick(kT0 + 1'000);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 1'000 + kLeftoverGraceMs);
  sim.tick(kT0 + 1'000 + kLeftoverGraceMs - 1);
  EXPECT_FALSE(sim.exit_code());
  sim.tick(kT0 + 1'000 + kLeftoverGraceMs);
  EXPECT_TRUE(sim.logged("processes of the app survived SIGKILL"));
  EXPECT_EQ(sim.exit_code(), 0);
}

// A --kill-signal the app can catch is followed by SIGKILL after the grace: we never end with
// the app still running.
TEST(Lifecycle, ACatchableKillSignalIsFollowedBySigkill) {
  Sim sim([](Config& c) {
    c.stop_timeout_ms = 1'000;
    c.kill_signal = SIGUSR1;
  });
  sim.spawned(100);
  sim.signal(SIGTERM);
  sim.tick(kT0 + 1'000);
  EXPECT_EQ(sim.all<action::KillAll>().at(0).signo, SIGUSR1);
  sim.tick(kT0 + 1'000 + kLeftoverGraceMs);
  EXPECT_EQ(sim.all<action::KillAll>().at(0).signo, SIGKILL);
  EXPECT_TRUE(sim.logged("processes of the app survived SIGUSR1: sending SIGKILL"));
  EXPECT_FALSE(sim.exit_code());
  EXPECT_EQ(deadline(sim.machine()), kT0 + 1'000 + 2 * kLeftoverGraceMs);
  sim.tick(kT0 + 1'000 + 2 * kLeftoverGraceMs);
  EXPECT_TRUE(sim.logged("processes of the app survived SIGKILL"));
  EXPECT_EQ(sim.exit_code(), 0);
}

TEST(Lifecycle, StopDuringBackoffEndsAtOnceWithTheLastStatus) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.crash_after(10, 101);
  sim.exits(ExitStatus::exited(4), sim.now() + 10);
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Backoff");
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.exit_code(), 4);
  EXPECT_FALSE(sim.did<action::Spawn>());
}

TEST(Lifecycle, StopDuringCleaningTurnsTheRestartIntoAFinish) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.exits(ExitStatus::exited(4), kT0 + 10);
  ASSERT_TRUE(sim.as<state::Cleaning>().restart);
  sim.signal(SIGTERM);
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 4);
}

// ---------------------------------------------------------------------------------------------
// SPEC 4, 6: leftovers

TEST(Lifecycle, LeftoversGetTheStopSignalThenTheKillSignalAfterTheStopTimeout) {
  Sim sim([](Config& c) { c.stop_timeout_ms = 2'000; });
  sim.spawned(100);
  sim.exits(ExitStatus::exited(0), kT0 + 10);
  ASSERT_EQ(sim.all<action::StopLeftovers>().size(), 1u);
  EXPECT_EQ(sim.all<action::StopLeftovers>()[0].signo, SIGTERM);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 2'010);
  sim.tick(kT0 + 2'009);
  EXPECT_FALSE(sim.did<action::KillAll>());
  sim.tick(kT0 + 2'010);
  EXPECT_TRUE(sim.did<action::KillAll>());
  sim.tick(kT0 + 2'010 + kLeftoverGraceMs);
  EXPECT_EQ(sim.exit_code(), 0);
}

// ---------------------------------------------------------------------------------------------
// SPEC 5: following the main process

TEST(Lifecycle, SuccessorTakesOverWithoutARestart) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::exited(0), 0}, kT0 + 10);
  ASSERT_STREQ(sim.state(), "Electing");
  const auto elect = sim.all<action::ElectSuccessor>().at(0);
  EXPECT_EQ(elect.exited, 100);
  EXPECT_FALSE(elect.main_failed);
  EXPECT_TRUE(elect.await_exec);
  EXPECT_FALSE(elect.may_wait);
  sim.feed(event::SuccessorFound{200, "child"});
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_TRUE(sim.logged("main pid 100 -> 200 (successor)"));
  EXPECT_EQ(sim.all<action::Follow>().at(0).pid, 200);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"STATUS=running pid 200"});
  sim.signal(SIGHUP);
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGHUP});
}

TEST(Lifecycle, CrashedMainIsMarkedForTheElection) {
  Sim sim;
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::killed(SIGKILL), 0}, kT0 + 10);
  EXPECT_TRUE(sim.all<action::ElectSuccessor>().at(0).main_failed);
}

TEST(Lifecycle, OutOfMemoryIsNamedOncePerKill) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::killed(SIGKILL), 1}, kT0 + 10);
  EXPECT_TRUE(sim.logged("pid 100 killed by SIGKILL (out of memory)"));
  sim.feed(event::NoSuccessor{});
  sim.feed(event::AppEmpty{});
  sim.spawned(101);
  sim.feed(event::MainExited{ExitStatus::killed(SIGKILL), 1}, kT0 + 20);
  EXPECT_FALSE(sim.logged("out of memory"));
}

TEST(Lifecycle, PidfileWaitIsBoundedByTheStopTimeout) {
  Sim sim([](Config& c) {
    c.main_pidfile = "/run/app.pid";
    c.stop_timeout_ms = 4'000;
  });
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::exited(0), 0}, kT0 + 10);
  EXPECT_TRUE(sim.all<action::ElectSuccessor>().at(0).may_wait);
  sim.feed(event::NoSuccessor{true, true});
  ASSERT_STREQ(sim.state(), "AwaitingPidfile");
  // Elected once more: the file may have been written before the watch existed.
  EXPECT_FALSE(sim.all<action::ElectSuccessor>().at(0).may_wait);
  sim.feed(event::NoSuccessor{true, false});
  EXPECT_EQ(deadline(sim.machine()), kT0 + 4'010);
  sim.tick(kT0 + 4'009);
  EXPECT_STREQ(sim.state(), "AwaitingPidfile");
  sim.tick(kT0 + 4'010);
  EXPECT_TRUE(sim.logged("/run/app.pid named no live process of the app in time"));
  EXPECT_TRUE(sim.did<action::UnwatchPidfile>());
  EXPECT_STREQ(sim.state(), "Cleaning");
}

TEST(Lifecycle, PidfileWrittenInTimeNamesTheSuccessor) {
  Sim sim([](Config& c) { c.main_pidfile = "/run/app.pid"; });
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::exited(0), 0}, kT0 + 10);
  sim.feed(event::NoSuccessor{true, true});
  sim.feed(event::NoSuccessor{true, false});
  sim.feed(event::PidfileChanged{}, kT0 + 500);
  ASSERT_TRUE(sim.did<action::ElectSuccessor>());
  sim.feed(event::SuccessorFound{300, "pidfile"});
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_TRUE(sim.did<action::UnwatchPidfile>());
  EXPECT_TRUE(sim.logged("main pid 100 -> 300 (pidfile)"));
}

TEST(Lifecycle, PidfileWaitEndsWhenTheAppEmpties) {
  Sim sim([](Config& c) { c.main_pidfile = "/run/app.pid"; });
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::exited(5), 0}, kT0 + 10);
  sim.feed(event::NoSuccessor{true, true});
  EXPECT_TRUE(awaits_empty(sim.machine()));
  sim.feed(event::AppEmpty{});
  EXPECT_TRUE(sim.did<action::UnwatchPidfile>());
  EXPECT_STREQ(sim.state(), "Cleaning");
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 5);
}

TEST(Lifecycle, MainPidHandOverKeepsThePredecessorForARollback) {
  Sim sim;
  sim.spawned(100);
  sim.notified("MAINPID=200", 100);
  EXPECT_TRUE(sim.logged("main pid 100 -> 200 (MAINPID)"));
  EXPECT_EQ(sim.all<action::Follow>().at(0).pid, 200);
  EXPECT_EQ(sim.as<state::Running>().gen.predecessors, std::vector<int>{100});
  sim.feed(event::MainExited{ExitStatus::exited(1), 0}, kT0 + 10);
  EXPECT_EQ(sim.all<action::ElectSuccessor>().at(0).predecessors, std::vector<int>{100});
  sim.feed(event::SuccessorFound{100, "predecessor"});
  EXPECT_TRUE(sim.logged("main pid 200 -> 100 (rolled back)"));
  EXPECT_TRUE(sim.as<state::Running>().gen.predecessors.empty());
}

TEST(Lifecycle, MainPidOfTheCurrentMainChangesNothing) {
  Sim sim;
  sim.spawned(100);
  sim.notified("MAINPID=100", 100);
  EXPECT_FALSE(sim.did<action::Follow>());
}

// ---------------------------------------------------------------------------------------------
// SPEC 6: signals

TEST(Lifecycle, SignalsAreForwardedMappedOrDropped) {
  Sim sim([](Config& c) {
    c.signal_map[SIGUSR1] = SIGUSR2;
    c.signal_map[SIGWINCH] = 0;
  });
  sim.spawned(100);
  sim.signal(SIGUSR1);
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGUSR2});
  sim.signal(SIGWINCH);
  EXPECT_TRUE(sim.signals_to_main().empty());
  sim.signal(SIGQUIT);
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGQUIT});
  EXPECT_STREQ(sim.state(), "Running") << "QUIT requests no stop";
}

TEST(Lifecycle, CtrlZInATerminalSuspendsTheSupervisorToo) {
  Sim sim;
  sim.spawned(100);
  sim.feed(event::Signal{SIGTSTP, true});
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGTSTP});
  EXPECT_TRUE(sim.did<action::SuspendSelf>());
  sim.feed(event::Signal{SIGTSTP, false});
  EXPECT_FALSE(sim.did<action::SuspendSelf>());
}

TEST(Lifecycle, NoMainProcessNothingToForwardTo) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.exits(ExitStatus::exited(1), kT0 + 10);
  sim.signal(SIGHUP);
  EXPECT_TRUE(sim.signals_to_main().empty());
  EXPECT_TRUE(sim.logged("no main process to forward SIGHUP to"));
}

// ---------------------------------------------------------------------------------------------
// SPEC 7: readiness, start timeout, watchdogs

Config& notify_mode(Config& c) {
  c.ready = ReadyMode::kNotify;
  return c;
}

TEST(Lifecycle, ReadyNotifyWaitsForReadyAndToldOnce) {
  Sim sim([](Config& c) { notify_mode(c); });
  sim.spawned(100);
  EXPECT_TRUE(sim.told().empty());
  sim.notified("READY=1\nSTATUS=up", 100);
  EXPECT_TRUE(sim.logged("pid 100 is ready"));
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 100"});
  sim.notified("READY=1", 100);
  EXPECT_TRUE(sim.told().empty());
}

TEST(Lifecycle, NotifyFdNewlineIsReadiness) {
  Sim sim([](Config& c) { c.notify_fd = 3; });
  sim.spawned(100);
  sim.feed(event::ReadyLine{});
  EXPECT_TRUE(sim.logged("pid 100 is ready"));
}

TEST(Lifecycle, ReadinessAfterAReloadIsRelayed) {
  Sim sim([](Config& c) { notify_mode(c); });
  sim.spawned(100);
  sim.notified("READY=1", 100);
  sim.notified("RELOADING=1", 100);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"RELOADING=1\nMONOTONIC_USEC=" +
                                                 std::to_string(kT0 * 1000)});
  sim.notified("READY=1", 100);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 100"});
}

TEST(Lifecycle, ARestartedAppIsNotAnnouncedReadyTwice) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.crash_after(10, 101);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"STATUS=running pid 101"});
}

TEST(Lifecycle, StartTimeoutStopsAnAppThatIsNeverReady) {
  Sim sim([](Config& c) {
    on_failure(notify_mode(c));
    c.start_timeout_ms = 2'500;
    c.stop_timeout_ms = 1'000;
  });
  sim.spawned(100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 2'500);
  sim.tick(kT0 + 2'499);
  EXPECT_STREQ(sim.state(), "Running");
  sim.tick(kT0 + 2'500);
  EXPECT_TRUE(sim.logged("pid 100 not ready after 2.5 s: sending SIGTERM"));
  EXPECT_EQ(sim.signals_to_main(), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_EQ(sim.told(), std::vector<std::string>{"STATUS=stopping pid 100: not ready after 2.5 s"});
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'500);
  // It then exits 0, but a start that never became ready failed: restarted, with backoff.
  sim.exits(ExitStatus::exited(0), kT0 + 2'600);
  EXPECT_TRUE(sim.logged("restarting in 0 s (restart 1)")) << sim.log();
}

TEST(Lifecycle, ReadyBeforeTheStartTimeoutClearsIt) {
  Sim sim([](Config& c) {
    notify_mode(c);
    c.start_timeout_ms = 2'500;
  });
  sim.spawned(100);
  sim.feed(event::ReadyLine{}, kT0 + 2'499);
  sim.notified("READY=1", 100);
  EXPECT_EQ(deadline(sim.machine()), std::nullopt);
}

TEST(Lifecycle, ExtendTimeoutMovesTheStartDeadline) {
  Sim sim([](Config& c) {
    notify_mode(c);
    c.start_timeout_ms = 2'000;
  });
  sim.spawned(100);
  sim.feed(event::Tick{}, kT0 + 1'000);
  sim.notified("EXTEND_TIMEOUT_USEC=5000000", 100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 6'000);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"EXTEND_TIMEOUT_USEC=5000000"});
}

TEST(Lifecycle, ExtendTimeoutMovesTheKillDeadlineWhileStopping) {
  Sim sim;
  sim.spawned(100);
  sim.signal(SIGTERM);
  sim.feed(event::Tick{}, kT0 + 1'000);
  sim.notified("EXTEND_TIMEOUT_USEC=30000000", 100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 31'000);
}

TEST(Lifecycle, WatchdogPingsMoveTheDeadlineAndAMissIsAHang) {
  Sim sim([](Config& c) {
    on_failure(c);
    c.watchdog_ms = 1'000;
    c.stop_timeout_ms = 2'000;
  });
  sim.spawned(100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 1'000);
  sim.feed(event::Tick{}, kT0 + 800);
  sim.notified("WATCHDOG=1", 100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 1'800);
  sim.tick(kT0 + 1'799);
  EXPECT_TRUE(sim.signals_to_main().empty());
  sim.tick(kT0 + 1'800);
  EXPECT_TRUE(sim.logged("pid 100 missed its watchdog deadline: sending SIGABRT"));
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGABRT});
  EXPECT_EQ(sim.told(), std::vector<std::string>{"STATUS=hung: pid 100 missed its watchdog deadline"})
      << "systemd's StatusText must not say running while the hung app is stopped";
  sim.notified("WATCHDOG=1", 100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'800) << "a late ping does not save a hung app";
  sim.tick(kT0 + 3'800);
  EXPECT_TRUE(sim.did<action::KillAll>());
  sim.exits(ExitStatus::killed(SIGKILL), kT0 + 3'801);
  EXPECT_TRUE(sim.logged("restarting in 0 s")) << "a hang counts as a crash";
}

TEST(Lifecycle, WatchdogTriggerIsAHangAtOnce) {
  Sim sim([](Config& c) { c.watchdog_ms = 1'000; });
  sim.spawned(100);
  sim.notified("WATCHDOG=trigger", 100);
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGABRT});
}

TEST(Lifecycle, KeepalivesGoUpEveryIntervalExceptWhileHung) {
  Sim sim([](Config& c) { c.watchdog_ms = 10'000; }, 3'000);
  sim.spawned(100);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'000);
  sim.tick(kT0 + 3'000);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"WATCHDOG=1"});
  EXPECT_EQ(deadline(sim.machine()), kT0 + 6'000);
  sim.tick(kT0 + 10'000);  // the app's watchdog and our keep-alive both due
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGABRT});
  sim.tick(kT0 + 13'000);
  EXPECT_TRUE(sim.told().empty()) << "systemd must see the hang";
  sim.exits(ExitStatus::killed(SIGABRT), kT0 + 13'500);
  sim.tick(kT0 + 16'000);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"WATCHDOG=1"}) << "resumed in the backoff";
}

TEST(Lifecycle, LateNotificationsOfADeadAppAreIgnored) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.exits(ExitStatus::exited(1), kT0 + 10);
  sim.notified("READY=1\nMAINPID=300", 100);
  EXPECT_TRUE(sim.actions().empty());
}

}  // namespace
}  // namespace sup::core
