// SPEC 6: "As PID 1 of a container (PID namespace), it reaps every zombie and behaves the
// same." The harness starts the supervisor as PID 1 of a new PID namespace with its own /proc
// (what a container runtime does); the test still sees and signals it by its outer PID. PID 1
// gets no signal whose disposition is the default, so forwarding only works if the supervisor
// really takes its signals (signalfd with the signals blocked, or handlers).
#include <signal.h>

#include "harness.hpp"

namespace e2e {
namespace {

class AsPid1 : public E2ETest {
 protected:
  std::unique_ptr<SupervisedRun> start(std::vector<std::string> args) {
    RunOptions options;
    options.pid_namespace = true;
    auto run = std::make_unique<SupervisedRun>(std::move(args), options);
    if (!run->started()) skip_reason_ = run->setup_error();
    return run;
  }
  std::string skip_reason_;
};

TEST_F(AsPid1, ForwardsSignalsAndPassesStatusThrough) {
  auto run = start(supervise({}, {"print-signals"}));
  if (!skip_reason_.empty()) GTEST_SKIP() << "no PID namespace: " << skip_reason_;
  ASSERT_TRUE(run->expect_err(R"(^supervisor\[1\]: )" + kStarted));
  ASSERT_TRUE(run->expect_out(R"(^ready pid=\d+$)"));
  for (int sig : {SIGUSR1, SIGHUP, SIGWINCH}) {
    run->send(sig);
    EXPECT_TRUE(run->expect_out(std::string("^signal ") + sigabbrev_np(sig) + "$"));
  }
  run->send(SIGTERM);
  EXPECT_TRUE(run->expect_out("^signal TERM$"));
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

TEST_F(AsPid1, ReapsTwoHundredOrphans) {
  auto run = start(supervise({}, {"spawn-orphans", "200"}));
  if (!skip_reason_.empty()) GTEST_SKIP() << "no PID namespace: " << skip_reason_;
  auto started = run->expect_err(kStarted);
  ASSERT_TRUE(started);
  ASSERT_TRUE(run->expect_out("^orphans done$", 20000ms));
  // Until the app is PID 1's only child again (see Reaping.TwoHundredOrphansLeaveNoZombie).
  std::vector<pid_t> kids;
  EXPECT_TRUE(eventually([&] {
    kids = children_of(run->pid());
    return kids.size() == 1;
  })) << kids.size() - 1 << " other children remain, of which " << zombies_of(run->pid()).size()
      << " zombies";
  EXPECT_TRUE(zombies_of(run->pid()).empty());
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 128 + SIGTERM) << run->log();
}

TEST_F(AsPid1, RestartsCrashedApp) {
  auto run = start(supervise({"-c"}, {"crash", "SEGV"}));
  if (!skip_reason_.empty()) GTEST_SKIP() << "no PID namespace: " << skip_reason_;
  ASSERT_TRUE(run->expect_err(kStarted));
  ASSERT_TRUE(run->expect_err(kStarted));
  ASSERT_TRUE(run->expect_err(R"(restarting in 1(\.0+)? s)"));  // stop during this wait
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 128 + SIGSEGV) << run->log();
}

TEST_F(AsPid1, FollowsSelfUpgrade) {
  auto run = start(supervise({}, {"upgrade"}));
  if (!skip_reason_.empty()) GTEST_SKIP() << "no PID namespace: " << skip_reason_;
  ASSERT_TRUE(run->expect_out(R"(^ready pid=\d+ gen=1$)"));
  run->send(SIGUSR2);
  auto next = run->expect_out(R"(^ready pid=(\d+) gen=2$)");
  ASSERT_TRUE(next);
  ASSERT_TRUE(run->expect_err(kMainPid));
  run->send(SIGUSR1);
  EXPECT_TRUE(run->expect_out("^gen=2 got USR1 pid=" + next->groups[1] + "$"));
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

}  // namespace
}  // namespace e2e
