// --hot-restart in the lifecycle reducer (SPEC 10): the new generation beside the old one,
// promotion on readiness, rollback on exit, spawn failure or timeout, signal routing, stops,
// repeated requests, requests during the backoff, retiring generations. Fake clock.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <utility>
#include <vector>

#include "core/lifecycle.hpp"
#include "lifecycle_sim.hpp"

namespace sup::core {
namespace {

using sim::kT0;
using sim::Sim;
using Signals = std::vector<std::pair<int, int>>;  // (generation, signal)

void hot(Config& c) {
  c.hot_restart_signal = SIGHUP;
  c.stop_timeout_ms = 3'000;
}
void hot_notify(Config& c) {
  hot(c);
  c.ready = ReadyMode::kNotify;
}

// Generation 1 (pid 100) runs and is ready; SIGHUP starts generation 2 (pid 200).
Sim hot_restarting(void (*tweak)(Config&)) {
  Sim sim(tweak);
  sim.spawned(100);
  sim.notified("READY=1", 100);
  sim.signal(SIGHUP);
  return sim;
}

TEST(HotRestart, SignalStartsANewGenerationBesideTheOldAndTellsSystemdItReloads) {
  Sim sim = hot_restarting(hot_notify);
  EXPECT_STREQ(sim.state(), "HotRestart");
  ASSERT_EQ(sim.all<action::Spawn>().size(), 1u);
  EXPECT_EQ(sim.all<action::Spawn>()[0].generation, 2);
  EXPECT_TRUE(sim.signals_to_main().empty()) << "the hot-restart signal is never forwarded";
  EXPECT_EQ(sim.told(), std::vector<std::string>{"RELOADING=1\nMONOTONIC_USEC=" +
                                                 std::to_string(kT0 * 1000)});
  sim.spawned(200);
  EXPECT_STREQ(sim.state(), "HotRestart") << "not ready yet";
  EXPECT_TRUE(sim.logged("started /bin/app as pid 200"));
}

TEST(HotRestart, WithReadyExecTheNewOneTakesOverAtOnce) {
  Sim sim = hot_restarting(hot);
  sim.spawned(200);
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_EQ(sim.as<state::Running>().gen.number, 2);
  EXPECT_EQ(sim.as<state::Running>().gen.main, 200);
  EXPECT_EQ(sim.signals_by_generation(), (Signals{{1, SIGTERM}, {1, SIGCONT}}));
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 200"});
  ASSERT_EQ(sim.machine().memory.retiring.size(), 1u);
  EXPECT_EQ(sim.machine().memory.retiring[0].generation, 1);
  EXPECT_EQ(sim.machine().memory.restarts, 0) << "a hot restart is no restart";
}

TEST(HotRestart, SignalsReachTheOldOneUntilTheNewOneIsReadyThenTheNewOne) {
  Sim sim = hot_restarting(hot_notify);
  sim.spawned(200);
  sim.signal(SIGUSR1);
  EXPECT_EQ(sim.signals_by_generation(), (Signals{{1, SIGUSR1}}));
  sim.notified("READY=1", 100, 1);
  EXPECT_STREQ(sim.state(), "HotRestart") << "the old one's READY=1 is not the new one's";
  sim.notified("READY=1", 200, 2);
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_TRUE(sim.logged("hot restart: pid 200 takes over; stopping pid 100"));
  EXPECT_TRUE(sim.logged("pid 200 is ready"));
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 200"});
  sim.signal(SIGUSR1);
  EXPECT_EQ(sim.signals_by_generation(), (Signals{{2, SIGUSR1}}));
}

TEST(HotRestart, NotifyFdReadinessOfTheNewGenerationPromotesIt) {
  Sim sim = hot_restarting([](Config& c) {
    hot(c);
    c.notify_fd = 3;
  });
  sim.spawned(200);
  sim.feed(event::ReadyLine{1});
  EXPECT_STREQ(sim.state(), "HotRestart");
  sim.feed(event::ReadyLine{2});
  EXPECT_STREQ(sim.state(), "Running");
}

TEST(HotRestart, TheOldGenerationIsKilledAfterTheStopTimeoutAndForgottenOnceEmpty) {
  Sim sim = hot_restarting(hot);
  sim.spawned(200);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 3'000);
  sim.tick(kT0 + 2'999);
  EXPECT_FALSE(sim.did<action::KillAll>());
  sim.tick(kT0 + 3'000);
  ASSERT_EQ(sim.all<action::KillAll>().size(), 1u);
  EXPECT_EQ(sim.all<action::KillAll>()[0].generation, 1);
  EXPECT_EQ(sim.all<action::KillAll>()[0].signo, SIGKILL);
  sim.feed(event::GenerationEmpty{1}, kT0 + 3'010);
  ASSERT_EQ(sim.all<action::ForgetGeneration>().size(), 1u);
  EXPECT_EQ(sim.all<action::ForgetGeneration>()[0].generation, 1);
  EXPECT_TRUE(sim.machine().memory.retiring.empty());
  EXPECT_EQ(deadline(sim.machine()), std::nullopt);
}

TEST(HotRestart, RetiringSurvivorsAreGivenUpOnAfterTheGrace) {
  Sim sim = hot_restarting(hot);
  sim.spawned(200);
  sim.tick(kT0 + 3'000);
  sim.tick(kT0 + 3'000 + kLeftoverGraceMs);
  EXPECT_TRUE(sim.logged("processes of generation 1 survived SIGKILL"));
  EXPECT_TRUE(sim.machine().memory.retiring.empty());
  EXPECT_STREQ(sim.state(), "Running") << "the new generation serves on";
}

// A catchable --kill-signal is followed by SIGKILL, so an old generation that ignores it does
// not serve on beside the new one.
TEST(HotRestart, RetiringSurvivorsOfACatchableKillSignalGetSigkill) {
  Sim sim = hot_restarting([](Config& c) {
    hot(c);
    c.kill_signal = SIGUSR1;
  });
  sim.spawned(200);
  sim.tick(kT0 + 3'000);
  ASSERT_EQ(sim.all<action::KillAll>().size(), 1u);
  sim.tick(kT0 + 3'000 + kLeftoverGraceMs);
  const auto kills = sim.all<action::KillAll>();
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].signo, SIGKILL);
  EXPECT_EQ(kills[0].generation, 1);
  EXPECT_TRUE(sim.logged("processes of generation 1 survived SIGUSR1: sending SIGKILL"));
  EXPECT_FALSE(sim.machine().memory.retiring.empty());
  sim.tick(kT0 + 3'000 + 2 * kLeftoverGraceMs);
  EXPECT_TRUE(sim.logged("processes of generation 1 survived SIGKILL"));
  EXPECT_TRUE(sim.machine().memory.retiring.empty());
}

TEST(HotRestart, NewOneExitingBeforeReadyIsRolledBack) {
  Sim sim = hot_restarting(hot_notify);
  sim.spawned(200);
  sim.feed(event::MainExited{ExitStatus::exited(3), 0, 2}, kT0 + 50);
  ASSERT_EQ(sim.all<action::ElectSuccessor>().size(), 1u);
  EXPECT_EQ(sim.all<action::ElectSuccessor>()[0].generation, 2);
  sim.feed(event::NoSuccessor{false, false, 2});
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_EQ(sim.as<state::Running>().gen.main, 100);
  EXPECT_TRUE(sim.logged("hot restart failed: pid 200 exited with status 3; keeping pid 100"));
  ASSERT_EQ(sim.all<action::StopLeftovers>().size(), 1u);
  EXPECT_EQ(sim.all<action::StopLeftovers>()[0].generation, 2);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 100"});
  EXPECT_EQ(sim.machine().memory.last_status, std::nullopt) << "the old one's status stands";
  sim.signal(SIGUSR1);
  EXPECT_EQ(sim.signals_by_generation(), (Signals{{1, SIGUSR1}}));
}

TEST(HotRestart, NewOneNotReadyInTimeIsRolledBack) {
  for (Millis timeout : {Millis{0}, Millis{5'000}}) {
    Sim sim = hot_restarting(timeout == 0 ? hot_notify : [](Config& c) {
      hot_notify(c);
      c.start_timeout_ms = 5'000;
    });
    sim.spawned(200);
    const Millis limit = timeout == 0 ? kHotRestartTimeoutMs : timeout;
    EXPECT_EQ(deadline(sim.machine()), kT0 + limit);
    sim.tick(kT0 + limit - 1);
    EXPECT_STREQ(sim.state(), "HotRestart");
    sim.tick(kT0 + limit);
    EXPECT_STREQ(sim.state(), "Running");
    EXPECT_TRUE(sim.logged("hot restart failed: not ready after " +
                           std::to_string(limit / 1000) + " s; keeping pid 100"))
        << sim.log();
    EXPECT_EQ(sim.all<action::StopLeftovers>().at(0).generation, 2);
  }
}

TEST(HotRestart, SpawnFailureIsRolledBack) {
  Sim sim = hot_restarting(hot_notify);
  sim.feed(event::SpawnFailed{ENOENT, "starting /bin/app: No such file or directory"});
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_TRUE(sim.logged("hot restart failed: starting /bin/app: No such file or directory; "
                         "keeping pid 100"));
  EXPECT_FALSE(sim.did<action::StopLeftovers>()) << "nothing of it runs";
  EXPECT_TRUE(sim.machine().memory.retiring.empty());
}

TEST(HotRestart, ADaemonizingNewVersionIsFollowedInsideItsGeneration) {
  Sim sim = hot_restarting(hot_notify);
  sim.spawned(200);
  sim.feed(event::MainExited{ExitStatus::exited(0), 0, 2}, kT0 + 50);
  sim.feed(event::SuccessorFound{300, "child", 2});
  EXPECT_STREQ(sim.state(), "HotRestart");
  ASSERT_EQ(sim.all<action::Follow>().size(), 1u);
  EXPECT_EQ(sim.all<action::Follow>()[0].generation, 2);
  EXPECT_EQ(sim.all<action::Follow>()[0].pid, 300);
  sim.notified("READY=1", 300, 2);
  EXPECT_EQ(sim.as<state::Running>().gen.main, 300);
}

TEST(HotRestart, TermStopsBothGenerations) {
  Sim sim = hot_restarting(hot_notify);
  sim.spawned(200);
  sim.signal(SIGTERM);
  EXPECT_STREQ(sim.state(), "Stopping");
  EXPECT_EQ(sim.signals_by_generation(), (Signals{{1, SIGTERM}, {1, SIGCONT}}));
  ASSERT_EQ(sim.all<action::StopLeftovers>().size(), 1u);
  EXPECT_EQ(sim.all<action::StopLeftovers>()[0].generation, 2);
  ASSERT_EQ(sim.machine().memory.retiring.size(), 1u);
  EXPECT_EQ(sim.machine().memory.retiring[0].kill_at, kT0 + 3'000);
  EXPECT_EQ(sim.as<state::Stopping>().kill_at, kT0 + 3'000);
  sim.exits(ExitStatus::exited(0), kT0 + 100);
  sim.feed(event::GenerationEmpty{2});
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0);
}

TEST(HotRestart, ASecondRequestDuringOneIsLoggedAndIgnored) {
  Sim sim = hot_restarting(hot_notify);
  sim.spawned(200);
  sim.signal(SIGHUP);
  EXPECT_TRUE(sim.logged("hot restart already in progress: ignoring SIGHUP"));
  EXPECT_FALSE(sim.did<action::Spawn>());
  EXPECT_TRUE(sim.signals_to_main().empty());
}

TEST(HotRestart, ARequestDuringTheBackoffStartsTheAppAtOnce) {
  Sim sim([](Config& c) {
    hot(c);
    c.restart.on_crash = true;
  });
  sim.spawned(100);
  sim.crash_after(10, 101);
  sim.exits(ExitStatus::killed(SIGSEGV), sim.now() + 10);
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Backoff");
  sim.signal(SIGHUP);
  EXPECT_STREQ(sim.state(), "Starting");
  EXPECT_TRUE(sim.did<action::Spawn>());
  ASSERT_EQ(sim.told().size(), 1u);
  EXPECT_EQ(sim.told()[0].rfind("RELOADING=1\n", 0), 0u);
  sim.spawned(102);
  EXPECT_EQ(sim.told(), std::vector<std::string>{"READY=1\nSTATUS=running pid 102"})
      << "the reload ends when the app is up";
}

TEST(HotRestart, TheOldOneEndingMeanwhileHandsOverToTheNewOne) {
  Sim sim = hot_restarting(hot_notify);
  sim.spawned(200);
  sim.feed(event::MainExited{ExitStatus::killed(SIGSEGV), 0, 1}, kT0 + 100);
  ASSERT_EQ(sim.all<action::ElectSuccessor>().at(0).generation, 1);
  sim.feed(event::NoSuccessor{true, false, 1});
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_EQ(sim.as<state::Running>().gen.main, 200);
  EXPECT_EQ(sim.as<state::Running>().start_deadline, kT0 + kHotRestartTimeoutMs)
      << "still not ready: the deadline stands";
  EXPECT_EQ(sim.all<action::StopLeftovers>().at(0).generation, 1);
}

TEST(HotRestart, ARetiringGenerationsMainExitingChangesNothing) {
  Sim sim = hot_restarting(hot);
  sim.spawned(200);
  sim.feed(event::MainExited{ExitStatus::killed(SIGTERM), 0, 1}, kT0 + 100);
  EXPECT_TRUE(sim.actions().empty());
  EXPECT_STREQ(sim.state(), "Running");
}

TEST(HotRestart, TheNewGenerationCrashingLaterIsAnOrdinaryCrash) {
  Sim sim = hot_restarting([](Config& c) {
    hot(c);
    c.restart.on_crash = true;
  });
  sim.spawned(200);
  sim.exits(ExitStatus::killed(SIGSEGV), kT0 + 100);
  EXPECT_TRUE(sim.logged("restarting in 0 s (restart 1)")) << sim.log();
}

TEST(HotRestart, OnlyWhenConfigured) {
  Sim sim;
  sim.spawned(100);
  sim.signal(SIGHUP);
  EXPECT_EQ(sim.signals_to_main(), std::vector<int>{SIGHUP});
  EXPECT_STREQ(sim.state(), "Running");
}

}  // namespace
}  // namespace sup::core
