// SPEC 5 rule 3, tightened (issue 12): a child that was forked but has not exec'd yet is no
// heir: `sh -c 'sleep 3 & exit 3'` exits 3 at once, and its failure is not hidden from -e. A
// fork+exec upgrade whose new process execs only after the old one has exited is still
// followed. Each case 20 times: the race is the point.
#include <signal.h>

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

}  // namespace
}  // namespace e2e
