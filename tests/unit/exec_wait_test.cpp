// SPEC 5 rule 3 in the lifecycle (issue 12): after a successful exit, a same-executable child
// that has not exec'd yet is waited for (elected again every kExecPollMs, up to kExecWaitMs);
// after a failed exit it is not. Fake clock, exact to the millisecond.
#include <gtest/gtest.h>

#include <csignal>

#include "core/lifecycle.hpp"
#include "lifecycle_sim.hpp"

namespace sup::core {
namespace {

using sim::kT0;
using sim::on_failure;
using sim::Sim;

const event::NoSuccessor kPending{true, false, 0, true};

// The main process 100 exits with `status` at kT0 + 10.
void main_exits(Sim& sim, ExitStatus status) {
  sim.spawned(100);
  sim.feed(event::MainExited{status, 0}, kT0 + 10);
  ASSERT_STREQ(sim.state(), "Electing");
}

TEST(ExecWait, ASuccessfulExitAsksToAwaitExec) {
  Sim sim;
  main_exits(sim, ExitStatus::exited(0));
  const auto elect = sim.all<action::ElectSuccessor>().at(0);
  EXPECT_TRUE(elect.await_exec);
  EXPECT_FALSE(elect.exec_wait_over);
  EXPECT_FALSE(elect.main_failed);
}

TEST(ExecWait, AFailedExitHasNoHeirs) {
  Sim sim;
  main_exits(sim, ExitStatus::exited(3));
  EXPECT_TRUE(sim.all<action::ElectSuccessor>().at(0).main_failed);
  sim.feed(event::NoSuccessor{true, false});
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 3) << sim.log();
}

TEST(ExecWait, ASuccessCodeOfTheUserIsNoFailure) {
  Sim sim([](Config& c) { c.restart.success_codes = {0, 3}; });
  main_exits(sim, ExitStatus::exited(3));
  EXPECT_FALSE(sim.all<action::ElectSuccessor>().at(0).main_failed);
}

TEST(ExecWait, APendingChildIsElectedAgainEveryPoll) {
  Sim sim;
  main_exits(sim, ExitStatus::exited(0));
  sim.feed(kPending);
  ASSERT_STREQ(sim.state(), "AwaitingExec");
  EXPECT_FALSE(sim.did<action::Spawn>());
  EXPECT_TRUE(awaits_empty(sim.machine()));
  EXPECT_EQ(deadline(sim.machine()), kT0 + 10 + kExecPollMs);
  sim.tick(kT0 + 10 + kExecPollMs - 1);
  EXPECT_STREQ(sim.state(), "AwaitingExec");
  EXPECT_FALSE(sim.did<action::ElectSuccessor>());
  sim.tick(kT0 + 10 + kExecPollMs);
  ASSERT_STREQ(sim.state(), "Electing");
  const auto again = sim.all<action::ElectSuccessor>().at(0);
  EXPECT_EQ(again.exited, 100);
  EXPECT_TRUE(again.await_exec);
  EXPECT_FALSE(again.exec_wait_over);
  // It exec'd the same executable: the upgrade is followed, no restart.
  sim.feed(event::SuccessorFound{200, "child"});
  EXPECT_STREQ(sim.state(), "Running");
  EXPECT_TRUE(sim.logged("main pid 100 -> 200 (successor)"));
  EXPECT_EQ(sim.all<action::Follow>().at(0).pid, 200);
}

TEST(ExecWait, TheWaitIsBoundedThenASoleChildIsTakenForADaemon) {
  Sim sim(on_failure);
  main_exits(sim, ExitStatus::exited(0));
  sim.feed(kPending);
  const Millis until = kT0 + 10 + kExecWaitMs;
  Millis at = kT0 + 10;
  int polls = 0;
  for (;;) {
    ASSERT_STREQ(sim.state(), "AwaitingExec");
    at = *deadline(sim.machine());
    ASSERT_LE(at, until);
    sim.tick(at);
    ++polls;
    ASSERT_STREQ(sim.state(), "Electing");
    if (!sim.all<action::ElectSuccessor>().at(0).await_exec) break;
    sim.feed(kPending);  // still not exec'd
  }
  EXPECT_EQ(at, until) << "the last election is at the bound";
  EXPECT_EQ(polls, kExecWaitMs / kExecPollMs);
  EXPECT_TRUE(sim.all<action::ElectSuccessor>().at(0).exec_wait_over);
  sim.feed(event::NoSuccessor{true, false});  // several, say
  EXPECT_STREQ(sim.state(), "Cleaning");
  EXPECT_TRUE(sim.did<action::StopLeftovers>());
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0) << "exit 0 is no reason to restart\n" << sim.log();
}

TEST(ExecWait, ABoundIsKeptAcrossElections) {
  Sim sim;
  main_exits(sim, ExitStatus::exited(0));
  sim.feed(kPending);
  sim.tick(kT0 + 10 + kExecPollMs);
  sim.feed(kPending, kT0 + 500);  // the election itself took a while
  EXPECT_EQ(sim.as<state::AwaitingExec>().until, kT0 + 10 + kExecWaitMs);
  EXPECT_EQ(deadline(sim.machine()), kT0 + 500 + kExecPollMs);
}

TEST(ExecWait, TheAppEmptyingEndsTheWait) {
  Sim sim(on_failure);
  main_exits(sim, ExitStatus::exited(0));
  sim.feed(kPending);
  sim.feed(event::AppEmpty{}, kT0 + 15);
  EXPECT_STREQ(sim.state(), "Cleaning");
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0);
}

TEST(ExecWait, AStopDuringTheWaitEndsIt) {
  Sim sim(on_failure);
  main_exits(sim, ExitStatus::exited(0));
  sim.feed(kPending);
  sim.signal(SIGTERM);
  ASSERT_STREQ(sim.state(), "Cleaning");
  EXPECT_FALSE(sim.as<state::Cleaning>().restart.has_value());
  sim.feed(event::AppEmpty{});
  EXPECT_EQ(sim.exit_code(), 0);
}

TEST(ExecWait, APidfileWatchIsStillSetUpAtTheEnd) {
  Sim sim([](Config& c) { c.main_pidfile = "/run/app.pid"; });
  main_exits(sim, ExitStatus::exited(0));
  EXPECT_TRUE(sim.all<action::ElectSuccessor>().at(0).may_wait);
  sim.feed(kPending);
  sim.tick(kT0 + 10 + kExecPollMs);
  EXPECT_TRUE(sim.all<action::ElectSuccessor>().at(0).may_wait);
  sim.feed(event::NoSuccessor{true, true});
  EXPECT_STREQ(sim.state(), "AwaitingPidfile");
}

}  // namespace
}  // namespace sup::core
