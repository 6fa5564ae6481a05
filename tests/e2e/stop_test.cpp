// SPEC 6: stopping. A stop ends every process of the app, however it forked: setsid'd
// children, double-forked daemons, nested groups. Without cgroups (mode "none") the same must
// hold: every member is a descendant of the supervisor, which is their subreaper.
#include <signal.h>

#include "harness.hpp"

namespace e2e {
namespace {

class Stopping : public E2ETest {};

void expect_all_gone(const std::vector<pid_t>& pids, SupervisedRun& run) {
  for (pid_t p : pids) {
    EXPECT_FALSE(is_alive(p)) << "tree member " << p << " (" << cmdline_of(p)
                              << ") survived the supervisor\n" << run.log();
  }
}

TEST_F(Stopping, TermEndsEveryProcessOfTheTree) {
  SupervisedRun run(supervise({"--stop-timeout=2"}, {"fork-tree", "12"}));
  auto pids = expect_tree_pids(run);
  ASSERT_EQ(pids.size(), 12u) << run.log();
  for (pid_t p : pids) ASSERT_TRUE(is_alive(p)) << p;
  run.send(SIGTERM);
  // The main process dies of the TERM; the rest are leftovers: TERM, then KILL after 2 s. A
  // supervisor that first elects a double-forked member as successor ends with its status.
  auto status = run.wait_exit(8000ms);
  EXPECT_TRUE(status == 128 + SIGTERM || status == 128 + SIGKILL) << run.log();
  expect_all_gone(pids, run);
}

TEST_F(Stopping, TreeMembersIgnoringTermAreKilledAfterStopTimeout) {
  SupervisedRun run(supervise({"--stop-timeout=1"}, {"fork-tree", "8", "ignore-term"}));
  auto pids = expect_tree_pids(run);
  ASSERT_EQ(pids.size(), 8u) << run.log();
  auto sent = Clock::now();
  run.send(SIGTERM);
  auto status = run.wait_exit(8000ms);
  ASSERT_TRUE(status) << run.log();
  std::cout << "[ measured ] stop of a TERM-ignoring tree (ms): "
            << ms_between(sent, run.exit_time()) << "\n";
  EXPECT_LE(ms_between(sent, run.exit_time()), 3500) << run.log();
  expect_all_gone(pids, run);
}

}  // namespace
}  // namespace e2e
