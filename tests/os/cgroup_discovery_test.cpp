// The cgroup adapter's pure helpers (cgroup_backends.hpp) against /proc/self/mountinfo and
// /proc/self/cgroup fixtures for hybrid, pure-v2, v1-only and container layouts. No root needed.
#include <gtest/gtest.h>

#include "os/cgroup_backends.hpp"

namespace sup::os {
namespace {

using namespace cgroup_detail;

constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridCgroup =
    "9:name=systemd:/system.slice/x.service\n"
    "6:freezer:/\n"
    "4:memory:/process_api/7f1c\n"
    "1:cpu,cpuacct:/system.slice\n"
    "0::/system.slice/x.service\n";

TEST(CgroupDiscovery, Hybrid) {
  auto v2 = find_v2_hierarchy(kHybridMountinfo, kHybridCgroup);
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v2->id, 0);
  EXPECT_EQ(v2->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(v2->own_dir, "/sys/fs/cgroup/unified/system.slice/x.service");

  auto freezer = find_v1_hierarchy(kHybridMountinfo, kHybridCgroup, "freezer");
  ASSERT_TRUE(freezer) << freezer.error().message;
  EXPECT_EQ(freezer->id, 6);
  EXPECT_EQ(freezer->own_dir, "/sys/fs/cgroup/freezer");
  auto memory = find_v1_hierarchy(kHybridMountinfo, kHybridCgroup, "memory");
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->own_dir, "/sys/fs/cgroup/memory/process_api/7f1c");
  auto cpu = find_v1_hierarchy(kHybridMountinfo, kHybridCgroup, "cpuacct");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->own_dir, "/sys/fs/cgroup/cpu,cpuacct/system.slice");
  auto systemd = find_v1_hierarchy(kHybridMountinfo, kHybridCgroup, "name=systemd");
  ASSERT_TRUE(systemd);
  EXPECT_EQ(systemd->id, 9);
  EXPECT_EQ(systemd->own_dir, "/sys/fs/cgroup/systemd/system.slice/x.service");

  auto pids = find_v1_hierarchy(kHybridMountinfo, kHybridCgroup, "pids");
  ASSERT_FALSE(pids);
  EXPECT_EQ(pids.error().message, "no cgroup pids mount in /proc/self/mountinfo");
}

TEST(CgroupDiscovery, PureV2) {
  const char* mountinfo =
      "25 30 0:22 / /sys rw - sysfs sysfs rw\n"
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n";
  auto v2 = find_v2_hierarchy(mountinfo, "0::/user.slice/user-0.slice/session-3.scope\n");
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v2->own_path, "/user.slice/user-0.slice/session-3.scope");
  EXPECT_EQ(v2->own_dir, "/sys/fs/cgroup/user.slice/user-0.slice/session-3.scope");
  auto root = find_v2_hierarchy(mountinfo, "0::/\n");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->own_dir, "/sys/fs/cgroup");
  EXPECT_FALSE(find_v1_hierarchy(mountinfo, "0::/\n", "freezer"));

  auto deleted = find_v2_hierarchy(mountinfo, "0::/gone (deleted)\n");
  ASSERT_FALSE(deleted);
  EXPECT_NE(deleted.error().message.find("removed"), std::string::npos);
}

TEST(CgroupDiscovery, V1Only) {
  const char* mountinfo =
      "20 19 0:17 / /cg/freezer rw - cgroup freezer rw,freezer\n"
      "21 19 0:18 / /cg/pids rw - cgroup pids rw,pids\n";
  const char* cgroup = "3:pids:/a/b\n2:freezer:/a\n";
  auto v2 = find_v2_hierarchy(mountinfo, cgroup);
  ASSERT_FALSE(v2);
  EXPECT_EQ(v2.error().message, "no cgroup2 mount");
  auto pids = find_v1_hierarchy(mountinfo, cgroup, "pids");
  ASSERT_TRUE(pids);
  EXPECT_EQ(pids->own_dir, "/cg/pids/a/b");
  EXPECT_EQ(pids->own_path, "/a/b");
}

TEST(CgroupDiscovery, ContainerMountRoots) {
  // Without a cgroup namespace a container sees its own subtree mounted at the usual place.
  const char* mountinfo =
      "600 590 0:30 /docker/abc /sys/fs/cgroup/freezer ro - cgroup cgroup rw,freezer\n"
      "601 590 0:31 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  auto freezer = find_v1_hierarchy(mountinfo, "7:freezer:/docker/abc/app\n", "freezer");
  ASSERT_TRUE(freezer);
  EXPECT_EQ(freezer->own_dir, "/sys/fs/cgroup/freezer/app");
  auto v2 = find_v2_hierarchy(mountinfo, "0::/docker/abc\n");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->own_dir, "/sys/fs/cgroup");
  EXPECT_FALSE(find_v2_hierarchy(mountinfo, "0::/docker/abcd\n"));  // not below the root
  EXPECT_FALSE(find_v2_hierarchy(mountinfo, "0::/../other\n"));     // outside our cgroupns
}

TEST(CgroupNames, RoundTripAndPaths) {
  EXPECT_EQ(app_cgroup_name({4711, 123456, 4026531836}), "supervisor.4711.123456.4026531836");
  auto owner = parse_app_cgroup_name("supervisor.4711.123456.4026531836");
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->pid, 4711);
  EXPECT_EQ(owner->start_time, 123456u);
  EXPECT_EQ(owner->pid_ns, 4026531836u);
  for (const char* bad : {"supervisor", "supervisor.1", "supervisor.1.2", "supervisor.x.1.2",
                          "supervisor.1.2.3.4", "supervisor.0.5.6", "other.1.2.3",
                          "supervisor.-1.2.3"}) {
    EXPECT_FALSE(parse_app_cgroup_name(bad)) << bad;
  }
  EXPECT_EQ(child_path("/", "x"), "/x");
  EXPECT_EQ(child_path("/a/b", "x"), "/a/b/x");
  EXPECT_TRUE(path_within("/a/b", "/a"));
  EXPECT_TRUE(path_within("/a", "/a"));
  EXPECT_TRUE(path_within("/a", "/"));
  EXPECT_FALSE(path_within("/ab", "/a"));
  EXPECT_EQ(keyed_value("populated 1\nfrozen 0\n", "frozen"), 0);
  EXPECT_EQ(keyed_value("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3);
  EXPECT_FALSE(keyed_value("populated 1\n", "frozen"));
}

}  // namespace
}  // namespace sup::os
