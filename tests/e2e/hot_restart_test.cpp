// SPEC 10, --hot-restart: the new incarnation starts beside the serving one, replaces it once
// ready, and is rolled back if it exits first or is not ready in time; the supervisor's PID
// never changes, and the old one serves (gets the signals) until the new one is ready.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "harness.hpp"

namespace e2e {
namespace {

class HotRestart : public E2ETest {};

// An app whose first run is testapp `notify READY=1` and whose later runs do `later` (a shell
// command; "$1" is testapp): the second version of a program, good or bad.
std::vector<std::string> versions(const TempDir& tmp, std::vector<std::string> options,
                                  const std::string& later) {
  const std::string script = "if [ -e \"$0\" ]; then " + later +
                             "; fi; : > \"$0\"; exec \"$1\" notify READY=1";
  options.insert(options.end(), {"--", "/bin/sh", "-c", script, tmp / "ran-once", kTestapp});
  return options;
}

long ready_pid(SupervisedRun& run, const char* line = R"(^notify done pid=(\d+)$)") {
  auto m = run.expect_out(line);
  return m ? m->num(1) : 0;
}

// Asks for a hot restart of a run whose first version is ready and whose later ones never
// become ready (versions(..., "exec \"$1\" print-signals")); returns {old pid, new pid}, 0s
// on failure.
std::pair<long, long> hot_restart_to_a_version_never_ready(SupervisedRun& run) {
  const long old = ready_pid(run);
  if (old == 0) return {0, 0};
  run.send(SIGHUP);
  return {old, ready_pid(run, R"(^ready pid=(\d+)$)")};
}

std::string cgroup_of(long pid) {
  return read_file("/proc/" + std::to_string(pid) + "/cgroup").value_or("");
}

// The directory of pid's cgroup v2, from /proc/self/mountinfo and /proc/PID/cgroup; "" if none.
std::string v2_dir_of(long pid) {
  std::string mount;
  std::istringstream mountinfo(read_file("/proc/self/mountinfo").value_or(""));
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    const auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() > 4 && dash != f.end() && dash + 1 != f.end() && *(dash + 1) == "cgroup2") {
      mount = f[4];
    }
  }
  std::istringstream cgroups(cgroup_of(pid));
  for (std::string line; std::getline(cgroups, line);) {
    if (line.rfind("0::", 0) == 0 && !mount.empty()) return mount + line.substr(3);
  }
  return "";
}

TEST_F(HotRestart, NewIncarnationReplacesTheOldOnceReady) {
  SupervisedRun run(supervise({"--hot-restart=HUP", "--ready=notify"}, {"notify", "READY=1"}));
  const long first = ready_pid(run);
  ASSERT_NE(first, 0) << run.log();
  run.send(SIGHUP);
  const long second = ready_pid(run);
  ASSERT_NE(second, 0) << run.log();
  EXPECT_NE(second, first);
  ASSERT_TRUE(run.expect_err("hot restart: pid " + std::to_string(second) + " takes over; " +
                             "stopping pid " + std::to_string(first)));
  ASSERT_TRUE(wait_gone(static_cast<pid_t>(first))) << "the old one was not stopped\n" << run.log();
  EXPECT_TRUE(is_alive(static_cast<pid_t>(second)));
  if (cgroup_mode() != "none") {
    EXPECT_NE(cgroup_of(second).find("/generation-2"), std::string::npos) << cgroup_of(second);
  }
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 2) << "no restart: both starts are hot\n"
                                                  << run.log();
  // Signals now reach the new one.
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_out("^signal USR1$"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(HotRestart, RepeatedHotRestartsKeepOneSupervisorAndNoLeftovers) {
  SupervisedRun run(supervise({"--hot-restart=USR2"}, {"print-signals"}));
  auto first = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(first);
  long previous = first->num(1);
  for (int i = 0; i < 5; ++i) {
    const std::string old_cgroup = cgroup_mode() == "v2" ? v2_dir_of(previous) : "";
    run.send(SIGUSR2);
    auto next = run.expect_out(R"(^ready pid=(\d+)$)");
    ASSERT_TRUE(next) << run.log();
    ASSERT_TRUE(wait_gone(static_cast<pid_t>(previous))) << run.log();
    if (!old_cgroup.empty()) {
      EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(old_cgroup); }))
          << old_cgroup << " was not removed";
    }
    previous = next->num(1);
  }
  EXPECT_TRUE(eventually([&] {
    return children_of(run.pid()) == std::vector<pid_t>{static_cast<pid_t>(previous)};
  })) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(HotRestart, NewVersionExitingBeforeReadyIsRolledBack) {
  SupervisedRun run(versions(tmp_, {"--hot-restart=HUP", "--ready=notify"}, "exit 3"));
  const long old = ready_pid(run);
  ASSERT_NE(old, 0) << run.log();
  run.send(SIGHUP);
  ASSERT_TRUE(run.expect_err(R"(hot restart failed: pid \d+ exited with status 3; keeping pid )" +
                             std::to_string(old)));
  EXPECT_TRUE(is_alive(static_cast<pid_t>(old)));
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_out("^signal USR1$")) << "the old one serves on\n" << run.log();
  EXPECT_TRUE(run.still_running_after(200ms));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(HotRestart, NewVersionNeverReadyIsStoppedAfterTheStartTimeout) {
  SupervisedRun run(versions(tmp_, {"--hot-restart=HUP", "--ready=notify", "--start-timeout=0.5"},
                             "exec \"$1\" print-signals"));
  const auto [old, fresh] = hot_restart_to_a_version_never_ready(run);
  ASSERT_TRUE(old != 0 && fresh != 0) << run.log();
  ASSERT_TRUE(run.expect_err("hot restart failed: not ready after 0.5 s; keeping pid " +
                             std::to_string(old)));
  EXPECT_TRUE(wait_gone(static_cast<pid_t>(fresh))) << run.log();
  EXPECT_TRUE(is_alive(static_cast<pid_t>(old)));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(HotRestart, TermDuringAHotRestartStopsBothAndASecondRequestIsIgnored) {
  SupervisedRun run(versions(tmp_, {"--hot-restart=HUP", "--ready=notify"},
                             "exec \"$1\" print-signals"));
  const auto [old, fresh] = hot_restart_to_a_version_never_ready(run);
  ASSERT_TRUE(old != 0 && fresh != 0) << run.log();
  run.send(SIGHUP);
  EXPECT_TRUE(run.expect_err("hot restart already in progress: ignoring SIGHUP"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_FALSE(is_alive(static_cast<pid_t>(old)));
  EXPECT_FALSE(is_alive(static_cast<pid_t>(fresh)));
  EXPECT_EQ(run.count(Stream::kOut, "^signal TERM$"), 2) << run.log();
}

// What the old generation left behind is killed with it after the stop timeout, where each
// generation has a cgroup of its own; with --cgroup=none the generations cannot be told apart,
// so only the old main process is stopped, and its leftovers live on until the supervisor
// stops (README, "Hot restart").
TEST_F(HotRestart, TheOldGenerationsLeftoversGoWithItExceptWithoutCgroups) {
  SupervisedRun run(supervise({"--hot-restart=HUP", "--stop-timeout=0.3"}, {"fork-tree", "3"}));
  auto old_main = run.expect_err(kStarted);
  ASSERT_TRUE(old_main);
  const std::vector<pid_t> old_tree = expect_tree_pids(run);  // the main's descendants
  ASSERT_EQ(old_tree.size(), 3u) << run.log();
  run.send(SIGHUP);
  const std::vector<pid_t> new_tree = expect_tree_pids(run);
  ASSERT_EQ(new_tree.size(), 3u) << run.log();
  auto all_gone = [&] {
    return std::none_of(old_tree.begin(), old_tree.end(), [](pid_t p) { return is_alive(p); });
  };
  if (cgroup_mode() == "none") {
    EXPECT_TRUE(wait_gone(static_cast<pid_t>(old_main->num(2)))) << "the old main is stopped";
    EXPECT_FALSE(eventually(all_gone, 1500ms)) << "without cgroups, leftovers live on";
  } else {
    EXPECT_TRUE(eventually(all_gone)) << run.log();
  }
  for (pid_t p : new_tree) EXPECT_TRUE(is_alive(p)) << p;
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit(10'000ms)) << run.log();
  EXPECT_TRUE(eventually(all_gone));
}

}  // namespace
}  // namespace e2e
