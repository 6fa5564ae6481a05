// Issue 4, item 5, and SPEC 6: the supervisor as PID 1 of a container, started exactly as the
// issue says: `unshare --pid --fork --mount-proc supervisor -- app`. unshare forks the
// supervisor as PID 1 of a new PID namespace and passes its exit status through. The test finds
// the supervisor's PID as it sees it (the child of the unshare process) and signals it from
// outside, as a container runtime does. PID 1 gets no signal it has not asked for, so each
// forwarded signal proves the supervisor really takes its signals.
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "harness.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

class Pid1 : public E2ETest {
 protected:
  void SetUp() override {
    if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/unshare";
  }

  // Starts the supervisor under unshare and finds it (supervisor_ stays 0 if it is gone
  // before the test could see it). Sets unshare_failed_ when PID namespaces are not available
  // here (unshare itself complains).
  void start(std::vector<std::string> options, std::vector<std::string> app) {
    RunOptions run_options;
    run_options.wrapper = {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"};
    run_ = std::make_unique<SupervisedRun>(supervise(std::move(options), std::move(app)),
                                           run_options);
    // The supervisor's first message (or unshare's complaint) is the event: by then unshare
    // has forked it. A supervisor already gone by then is not found.
    auto said = run_->find_anywhere(Stream::kErr, R"(^supervisor\[1\]: |^unshare: )", kDeadline);
    if (said && said->line.rfind("unshare: ", 0) == 0) {
      unshare_failed_ = run_->log();
      return;
    }
    auto kids = live_children_of(run_->pid());
    if (kids.size() == 1) supervisor_ = kids[0];
  }

  // For the tests that signal the supervisor.
  bool found() {
    if (supervisor_ == 0) ADD_FAILURE() << "no supervisor below unshare\n" << run_->log();
    return supervisor_ != 0;
  }

  // The supervisor's pid inside its namespace (the last NSpid entry).
  std::string inner_pid(pid_t pid) {
    auto nspid = status_field(pid, "NSpid");
    if (!nspid) return "";
    return nspid->substr(nspid->find_last_of(" \t") + 1);
  }

  void send(int sig) {
    EXPECT_TRUE(signal_pid(supervisor_, sig)) << strerror(errno) << "\n" << run_->log();
  }

  // The cgroup directories holding this supervisor's app, found while it runs. In its
  // namespace every such supervisor is PID 1 and names its cgroup "supervisor.1.*", so the
  // name alone cannot tell this run's directory from another test's running elsewhere.
  void note_cgroups() {
    std::set<std::string> ours;
    std::set<pid_t> pids;
    for (pid_t p : descendants_of(supervisor_)) pids.insert(p);
    pids.insert(supervisor_);
    for (const auto& dir : leftover_cgroups({1})) {
      std::error_code ec;
      for (fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
        if (it->path().filename() != "cgroup.procs") continue;
        std::ifstream procs(it->path());
        for (pid_t p; procs >> p;) {
          if (pids.count(p)) ours.insert(dir);
        }
      }
    }
    cgroups_.assign(ours.begin(), ours.end());
  }

  void TearDown() override {
    const bool exited_on_its_own = run_ && run_->exited();
    run_.reset();
    if (exited_on_its_own) {
      for (const auto& dir : cgroups_) {
        EXPECT_NE(access(dir.c_str(), F_OK), 0) << "cgroup left behind: " << dir;
      }
    }
    E2ETest::TearDown();
  }

  std::unique_ptr<SupervisedRun> run_;
  pid_t supervisor_ = 0;
  std::string unshare_failed_;
  std::vector<std::string> cgroups_;
};

TEST_F(Pid1, SupervisorIsPid1OfTheNamespace) {
  start({}, {"print-signals"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  ASSERT_TRUE(found());
  ASSERT_TRUE(run_->expect_out(R"(^ready pid=\d+$)"));
  note_cgroups();
  EXPECT_EQ(inner_pid(supervisor_), "1");
  EXPECT_TRUE(run_->expect_err(R"(^supervisor\[1\]: )" + kStarted)) << "its messages name PID 1";
  send(SIGTERM);
  EXPECT_EQ(run_->wait_exit(), 0) << run_->log();
}

TEST_F(Pid1, ForwardsSignalsAsPid1) {
  start({}, {"print-signals"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  ASSERT_TRUE(found());
  ASSERT_TRUE(run_->expect_out(R"(^ready pid=\d+$)"));
  for (int sig : {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGQUIT}) {
    send(sig);
    EXPECT_TRUE(run_->expect_out(std::string("^signal ") + sigabbrev_np(sig) + "$"));
  }
  send(SIGTERM);
  EXPECT_TRUE(run_->expect_out("^signal TERM$"));
  EXPECT_EQ(run_->wait_exit(), 0) << run_->log();
}

// The app leaves 200 orphans; PID 1 (the supervisor) reaps every one of them.
TEST_F(Pid1, ReapsEveryOrphanAsPid1) {
  start({}, {"spawn-orphans", "200"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  ASSERT_TRUE(found());
  ASSERT_TRUE(run_->expect_out("^orphans done$", 20000ms));
  std::vector<pid_t> zombies;
  EXPECT_TRUE(eventually([&] {
    zombies = zombies_of(supervisor_);
    return zombies.empty();
  })) << zombies.size()
      << " zombies remain under PID 1";
  send(SIGTERM);
  EXPECT_TRUE(run_->wait_exit());
}

TEST_F(Pid1, StopsCleanlyOnTerm) {
  start({"--stop-timeout=1"}, {"fork-tree", "6"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  ASSERT_TRUE(found());
  ASSERT_TRUE(run_->expect_out("^tree ready$"));
  note_cgroups();
  std::vector<pid_t> tree = descendants_of(supervisor_);
  ASSERT_GE(tree.size(), 7u);
  send(SIGTERM);
  EXPECT_EQ(run_->wait_exit(), 128 + SIGTERM) << run_->log();
  for (pid_t p : tree) EXPECT_FALSE(is_alive(p)) << "pid " << p << " survived";
}

TEST_F(Pid1, KillsAnAppIgnoringTermAfterTheStopTimeout) {
  start({"--stop-timeout=1"}, {"ignore-term"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  ASSERT_TRUE(found());
  ASSERT_TRUE(run_->expect_out(R"(^ready pid=\d+$)"));
  send(SIGTERM);
  EXPECT_EQ(run_->wait_exit(4000ms), 128 + SIGKILL) << run_->log();
}

TEST_F(Pid1, ExitsWithTheAppsExitCode) {
  start({}, {"exit", "3"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  EXPECT_EQ(run_->wait_exit(), 3) << run_->log();
}

TEST_F(Pid1, ExitsWithTheAppsDeathSignalAsStatus) {
  start({}, {"crash", "SEGV"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  EXPECT_EQ(run_->wait_exit(), 128 + SIGSEGV) << run_->log();
}

TEST_F(Pid1, RestartsAFailingAppInPlace) {
  start({"-e"}, {"flap", "2", tmp_ / "runs"});
  if (!unshare_failed_.empty()) GTEST_SKIP() << "unshare failed:\n" << unshare_failed_;
  ASSERT_TRUE(found());
  auto third = run_->expect_out(R"(^flap run=3 ok pid=(\d+)$)", 8000ms);
  ASSERT_TRUE(third);
  note_cgroups();
  // The app's line and the supervisor's come through two pipes, in either order.
  ASSERT_TRUE(run_->expect_anywhere(Stream::kErr, R"(started \S+ as pid )" + third->groups[1] + "$"));
  EXPECT_EQ(run_->count(Stream::kErr, kStarted), 3) << run_->log();
  send(SIGTERM);
  EXPECT_EQ(run_->wait_exit(), 128 + SIGTERM) << run_->log();
}

}  // namespace
}  // namespace e2e
