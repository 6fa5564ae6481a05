// Issue 3, item 5: if the supervisor itself is killed with SIGKILL, the app must not live on
// unnoticed. The process the supervisor started dies with it (PR_SET_PDEATHSIG); processes
// that left its process tree (setsid'd, double-forked) stay in the app's cgroup, which is
// named for the dead supervisor's pid and start time, so the next supervisor started in the
// same cgroup kills them and removes it. Without cgroups (mode "none") there is nothing to
// find them by: only the first half holds, and the test says so.
#include <signal.h>

#include <filesystem>

#include "harness.hpp"

namespace e2e {
namespace {

class SupervisorKilled : public E2ETest {};

TEST_F(SupervisorKilled, TheAppItStartedDiesWithIt) {
  SupervisedRun run(supervise({}, {"print-signals"}));
  auto started = run.expect_err(kStarted);
  ASSERT_TRUE(started) << run.log();
  const auto app = static_cast<pid_t>(started->num(2));
  run.expect_out("^ready");
  run.send(SIGKILL);
  ASSERT_TRUE(run.wait_exit());
  EXPECT_TRUE(wait_gone(app)) << "the app outlived its SIGKILLed supervisor\n" << run.log();
  // Its cgroup is left for the next supervisor to find and remove.
  SupervisedRun next(supervise({}, {"exit", "0"}));
  EXPECT_EQ(next.wait_exit(), 0) << next.log();
  EXPECT_TRUE(leftover_cgroups({run.pid()}).empty());
}

// Nor can it remove its notify socket: the next supervisor does, once its own app runs.
TEST_F(SupervisorKilled, TheNextSupervisorRemovesTheNotifySocketItLeft) {
  SupervisedRun run(supervise({}, {"env"}));
  auto socket = run.expect_out("^env NOTIFY_SOCKET=(/.*)$");
  ASSERT_TRUE(socket) << run.log();
  const std::string left = socket->groups[1];
  run.send(SIGKILL);
  ASSERT_TRUE(run.wait_exit());
  ASSERT_TRUE(std::filesystem::exists(left)) << "a SIGKILLed supervisor cannot remove " << left;

  SupervisedRun next(supervise({}, {"env"}));
  auto own = next.expect_out("^env NOTIFY_SOCKET=(/.*)$");
  ASSERT_TRUE(own) << next.log();
  ASSERT_TRUE(next.expect_err(kStarted));
  // The sweep follows the spawn at once; a stop after it makes sure it has run.
  next.send(SIGTERM);
  EXPECT_EQ(next.wait_exit(), 0) << next.log();
  EXPECT_FALSE(std::filesystem::exists(left)) << left << " outlived the next supervisor";
}

TEST_F(SupervisorKilled, TheNextSupervisorCleansUpWhatEscapedTheTree) {
  if (cgroup_mode() == "none") {
    GTEST_SKIP() << "without cgroups, processes that left the tree of a SIGKILLed supervisor "
                    "cannot be recognised by the next one (documented in the README)";
  }
  std::vector<pid_t> escaped;
  pid_t first_supervisor = 0;
  {
    SupervisedRun run(supervise({}, {"fork-tree", "6"}));
    escaped = expect_tree_pids(run);
    ASSERT_EQ(escaped.size(), 6u) << run.log();
    first_supervisor = run.pid();
    run.send(SIGKILL);
    ASSERT_TRUE(run.wait_exit());
    ASSERT_FALSE(leftover_cgroups({first_supervisor}).empty())
        << "the dead supervisor's cgroup is the only trace of its app";
    // Whatever survived is still ours to clean: the next supervisor must find it first.
    escaped.erase(std::remove_if(escaped.begin(), escaped.end(), [](pid_t p) { return !is_alive(p); }),
                  escaped.end());
    ASSERT_FALSE(escaped.empty()) << "fork-tree members that left the tree should survive";

    SupervisedRun next(supervise({}, {"exit", "0"}));
    EXPECT_EQ(next.wait_exit(), 0) << next.log();
  }
  for (pid_t p : escaped) {
    EXPECT_TRUE(wait_gone(p, 3000ms)) << "pid " << p << " (" << cmdline_of(p)
                                      << ") of the dead supervisor's app survived";
  }
  EXPECT_TRUE(leftover_cgroups({first_supervisor}).empty());
}

}  // namespace
}  // namespace e2e
