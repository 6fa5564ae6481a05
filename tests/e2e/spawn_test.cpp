// SPEC 6: the app starts with default signal dispositions, an empty signal mask, no file
// descriptor beyond stdio, in a process group of its own, whatever state the supervisor itself
// was started in. The harness starts the supervisor with signals ignored and blocked (a shell
// started in the background, nohup, a careless init all do that).
#include <signal.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>

#include "harness.hpp"

namespace e2e {
namespace {

class Spawning : public E2ETest {
 protected:
  // Runs `testapp state` under a supervisor started with a dirty signal state.
  std::optional<Match> app_state(RunOptions options = {}) {
    options.ignore_signals = {SIGPIPE, SIGINT, SIGHUP, SIGUSR2};
    options.block_signals = {SIGUSR1, SIGHUP, SIGTERM, SIGCHLD, SIGALRM};
    run_ = std::make_unique<SupervisedRun>(supervise({}, {"state"}), options);
    return run_->expect_out(
        R"(^blocked=([0-9a-f]+) ignored=([0-9a-f]+) fds=(\S*) pgid=(\d+) pid=(\d+) sid=(\d+) )"
        R"(cgroups=(\S*)$)");
  }
  // The cgroups in the state line are the supervisor's app cgroup (unless --cgroup=none).
  void expect_started_in_app_cgroup(const Match& state) {
    if (cgroup_mode() == "none") return;
    EXPECT_NE(state.groups[7].find("/supervisor." + std::to_string(run_->pid()) + "."),
              std::string::npos)
        << "not in the supervisor's app cgroup at start: " << state.line;
  }
  void TearDown() override {
    if (run_) {
      run_->send(SIGTERM);
      EXPECT_EQ(run_->wait_exit(), 128 + SIGTERM) << run_->log();
      run_.reset();
    }
    E2ETest::TearDown();
  }
  std::unique_ptr<SupervisedRun> run_;
};

unsigned long long hex(const std::string& text) { return std::strtoull(text.c_str(), nullptr, 16); }

TEST_F(Spawning, AppHasEmptySignalMask) {
  auto state = app_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(hex(state->groups[1]), 0u) << state->line;
}

TEST_F(Spawning, AppHasDefaultSignalDispositions) {
  auto state = app_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(hex(state->groups[2]), 0u) << "signals ignored in the app: " << state->line;
}

TEST_F(Spawning, AppHasOnlyStdioOpen) {
  auto state = app_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(state->groups[3], "0,1,2") << state->line;
}

// An fd the supervisor's own parent leaked into it (no close-on-exec) is not passed on either:
// only stdio, and the fds SPEC 7 passes on purpose, reach the app.
TEST_F(Spawning, AppDoesNotInheritFdsLeakedIntoTheSupervisor) {
  RunOptions options;
  options.stray_fd = 7;
  run_ = std::make_unique<SupervisedRun>(supervise({}, {"state"}), options);
  auto state = run_->expect_out(R"(fds=(\S*) )");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->groups[1], "0,1,2") << state->line;
}

// The cgroups the app saw at the start of its main() are the ones it runs in later, which are
// the supervisor's app cgroup (unless --cgroup=none): it was placed before it ran, not moved
// after.
TEST_F(Spawning, AppStartsInItsCgroup) {
  auto state = app_state();
  ASSERT_TRUE(state);
  std::string now = read_file("/proc/" + state->groups[5] + "/cgroup").value_or("");
  std::replace(now.begin(), now.end(), '\n', ';');
  if (!now.empty() && now.back() == ';') now.pop_back();
  EXPECT_EQ(state->groups[7], now) << state->line;
  expect_started_in_app_cgroup(*state);
}

// Where clone3 is refused (ENOSYS: a kernel before 5.3, or a container runtime's seccomp profile
// that predates it), the supervisor spawns with vfork and the child joins the cgroup itself
// before its exec: the same clean state, the same cgroup, and restarts work.
TEST_F(Spawning, WithoutClone3TheAppStartsCleanInItsCgroup) {
  RunOptions options;
  options.refused_syscalls = {SYS_clone3};
  auto state = app_state(options);
  ASSERT_TRUE(state) << run_->log();
  EXPECT_EQ(hex(state->groups[1]), 0u) << state->line;
  EXPECT_EQ(hex(state->groups[2]), 0u) << state->line;
  EXPECT_EQ(state->groups[3], "0,1,2") << state->line;
  EXPECT_EQ(state->groups[4], state->groups[5]) << "pgid != pid: " << state->line;
  expect_started_in_app_cgroup(*state);
}

TEST_F(Spawning, WithoutClone3RestartsAndExitStatusesWork) {
  RunOptions options;
  options.refused_syscalls = {SYS_clone3};
  SupervisedRun run(supervise({"-e", "-l", "0", "--max-restarts=1"}, {"exit", "3"}), options);
  EXPECT_EQ(run.wait_exit(), 3) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 2) << run.log();
}

TEST_F(Spawning, AppRunsInItsOwnProcessGroup) {
  auto state = app_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(state->groups[4], state->groups[5]) << "pgid != pid: " << state->line;
  auto sup = read_stat(run_->pid());
  ASSERT_TRUE(sup);
  EXPECT_NE(state->num(4), sup->pgrp) << "the app shares the supervisor's process group";
}

}  // namespace
}  // namespace e2e
