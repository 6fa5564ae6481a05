// SPEC 5: with a cgroup backend, the app runs in a cgroup of its own, supervisor.<pid>.<n>...,
// created as a child of the supervisor's own cgroup (or, in systemd's layout, a sibling of a
// "supervisor" leaf holding the supervisor); with --cgroup=none, the app stays in the
// supervisor's cgroups. The harness checks after every test that no such cgroup is left.
#include <signal.h>
#include <sys/syscall.h>

#include <map>

#include "harness.hpp"

namespace e2e {
namespace {

class CgroupPlacement : public E2ETest {};

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

TEST_F(CgroupPlacement, AppRunsInCgroupMatchingTheMode) {
  SupervisedRun run(supervise({}, {"print-signals"}));
  auto ready = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(ready);
  pid_t app = static_cast<pid_t>(ready->num(1));
  auto app_cg = cgroups_of(app);
  auto sup_cg = cgroups_of(run.pid());
  // supervisor.<pid>.<start time>, possibly with more qualifiers (a PID namespace id, say).
  const std::regex own(R"((^|/)supervisor\.)" + std::to_string(run.pid()) + R"((\.\d+)+$)");
  std::string mode = cgroup_mode();
  if (mode == "none") {
    EXPECT_EQ(app_cg, sup_cg) << "--cgroup=none must not move the app";
  } else if (mode == "v2" || mode == "v1") {
    // v2 is hierarchy "0"; v1 is any numbered controller hierarchy the backend picked.
    int placed = 0;
    for (const auto& [id, path] : app_cg) {
      if ((mode == "v2") != (id == "0")) continue;
      if (!std::regex_search(path, own)) continue;
      ++placed;
      std::string sup_path = sup_cg[id];
      bool child = parent_dir(path) == sup_path;
      bool systemd_sibling = sup_path.size() >= 11 &&
                             sup_path.compare(sup_path.size() - 11, 11, "/supervisor") == 0 &&
                             parent_dir(path) == parent_dir(sup_path);
      EXPECT_TRUE(child || systemd_sibling)
          << "app cgroup " << path << " is not below the supervisor's " << sup_path;
    }
    EXPECT_GE(placed, 1) << "the app is in no supervisor." << run.pid()
                         << ".* cgroup of a " << mode << " hierarchy";
  } else {
    GTEST_SKIP() << "SUPERVISOR_TEST_CGROUP unset: automatic backend";
  }
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// The cgroup2 mount is found by listmount/statmount (Linux 6.8) or, where they are refused (an
// older kernel, a container runtime's seccomp profile), in /proc/self/mountinfo: v2 either way.
TEST_F(CgroupPlacement, WithoutListmountTheV2MountIsFoundInMountinfo) {
  constexpr long kStatmount = 457, kListmount = 458;  // glibc 2.36's headers predate them
  for (const bool refused : {false, true}) {
    RunOptions options = without_cgroup_flag();
    if (refused) options.refused_syscalls = {kListmount, kStatmount};
    SupervisedRun run(supervise({"--cgroup=v2"}, {"print-signals"}), options);
    auto ready = run.expect_out(R"(^ready pid=(\d+)$)");
    if (!ready && !refused) GTEST_SKIP() << "no cgroup v2 here: " << run.log();
    ASSERT_TRUE(ready) << "refused: " << refused << "\n" << run.log();
    const std::regex own(R"((^|/)supervisor\.)" + std::to_string(run.pid()) + R"((\.\d+)+$)");
    EXPECT_TRUE(std::regex_search(cgroups_of(static_cast<pid_t>(ready->num(1)))["0"], own))
        << "refused: " << refused;
    run.send(SIGTERM);
    EXPECT_EQ(run.wait_exit(), 0) << run.log();
  }
}

}  // namespace
}  // namespace e2e
