// -f, --fork (SPEC 2): the foreground process exits 0 only once the app counts as started, which
// the shell reads from Memory::ready_sent: at the exec with --ready=exec, at READY=1 or the
// --notify-fd newline otherwise. Should the supervisor end before that, the foreground exits
// with the supervisor's status, so the machine keeps it non-zero and says why in one line.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "core/lifecycle.hpp"
#include "lifecycle_sim.hpp"

namespace sup::core {
namespace {

using sim::kT0;
using sim::on_failure;
using sim::Sim;

void fork_notify(Config& c) {
  c.fork = true;
  c.ready = ReadyMode::kNotify;
}

std::vector<std::string> fatal_lines(const Sim& sim) {
  std::vector<std::string> out;
  for (const auto& l : sim.all<action::Log>()) {
    if (l.level == LogLevel::kFatal) out.push_back(l.text);
  }
  return out;
}

TEST(ForkStart, ExecModeCountsAsStartedAtTheSpawn) {
  Sim sim([](Config& c) { c.fork = true; });
  EXPECT_FALSE(sim.machine().memory.ready_sent);
  sim.spawned(100);
  EXPECT_TRUE(sim.machine().memory.ready_sent);
}

TEST(ForkStart, NotifyModeCountsAsStartedOnlyAtReadyOne) {
  Sim sim(fork_notify);
  sim.spawned(100);
  EXPECT_FALSE(sim.machine().memory.ready_sent) << "started before READY=1";
  sim.notified("STATUS=loading", 100);
  EXPECT_FALSE(sim.machine().memory.ready_sent);
  sim.notified("READY=1", 100);
  EXPECT_TRUE(sim.machine().memory.ready_sent);
}

TEST(ForkStart, NotifyFdCountsAsStartedOnlyAtTheNewline) {
  Sim sim([](Config& c) {
    c.fork = true;
    c.notify_fd = 3;
  });
  sim.spawned(100);
  EXPECT_FALSE(sim.machine().memory.ready_sent) << "started before the newline";
  sim.feed(event::ReadyLine{});
  EXPECT_TRUE(sim.machine().memory.ready_sent);
}

TEST(ForkStart, AppExitingBeforeReadyEndsWithItsStatusAndOneLine) {
  Sim sim(fork_notify);
  sim.spawned(100);
  sim.exits(ExitStatus::exited(4), kT0 + 500);
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 4);
  EXPECT_EQ(fatal_lines(sim),
            std::vector<std::string>{
                "starting /bin/app: pid 100 exited with status 4 before it was ready"});
}

// The app may well exit 0 on the stop signal: the foreground must still not say 0.
TEST(ForkStart, StartTimeoutEndsNonZeroEvenWhenTheAppExitsZero) {
  Sim sim([](Config& c) {
    fork_notify(c);
    c.start_timeout_ms = 1'000;
  });
  sim.spawned(100);
  sim.tick(kT0 + 1'000);
  EXPECT_STREQ(sim.state(), "Stopping");
  sim.exits(ExitStatus::exited(0), kT0 + 1'010);
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), kExitFailure);
  EXPECT_EQ(fatal_lines(sim),
            std::vector<std::string>{"starting /bin/app: pid 100 not ready after 1 s"});
}

TEST(ForkStart, StopBeforeReadyEndsNonZeroSayingSo) {
  Sim sim(fork_notify);
  sim.spawned(100);
  sim.signal(SIGTERM);
  sim.exits(ExitStatus::exited(0), kT0 + 10);
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), kExitFailure);
  EXPECT_EQ(fatal_lines(sim), std::vector<std::string>{"starting /bin/app: stopped by SIGTERM"});
}

// A restart policy goes on trying: the foreground waits for a later start, or for the end.
TEST(ForkStart, RestartsBeforeReadinessKeepTheForegroundWaiting) {
  Sim sim([](Config& c) {
    fork_notify(c);
    on_failure(c);
    c.restart.max_restarts = 1;
  });
  sim.spawned(100);
  sim.crash_after(50, 101);
  EXPECT_TRUE(fatal_lines(sim).empty());
  EXPECT_FALSE(sim.machine().memory.ready_sent);
  sim.exits(ExitStatus::exited(3), sim.now() + 50);
  EXPECT_TRUE(sim.logged("giving up"));
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 3);
  EXPECT_EQ(fatal_lines(sim),
            std::vector<std::string>{
                "starting /bin/app: pid 101 exited with status 3 before it was ready"});
}

TEST(ForkStart, ReadyAppEndingLaterIsNoStartFailure) {
  Sim sim(fork_notify);
  sim.spawned(100);
  sim.notified("READY=1", 100);
  sim.exits(ExitStatus::exited(0), kT0 + 500);
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0);
  EXPECT_TRUE(fatal_lines(sim).empty()) << sim.log();
}

// The failed first spawn's own fatal line is the reason; no second one.
TEST(ForkStart, FailedFirstSpawnSaysWhyOnce) {
  Sim sim(fork_notify);
  sim.feed(event::SpawnFailed{2, "starting /bin/app: exec: No such file or directory"});
  EXPECT_EQ(sim.exit_code(), kExitNotFound);
  EXPECT_EQ(fatal_lines(sim).size(), 1u) << sim.log();
}

// Without --fork the supervisor's status is the app's, as ever.
TEST(ForkStart, WithoutForkTheStatusIsTheAppsAsEver) {
  Sim sim([](Config& c) { c.ready = ReadyMode::kNotify; });
  sim.spawned(100);
  sim.exits(ExitStatus::exited(0), kT0 + 500);
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0);
  EXPECT_TRUE(fatal_lines(sim).empty()) << sim.log();
}

}  // namespace
}  // namespace sup::core
