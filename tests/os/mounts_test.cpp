// os/mounts against this machine's mount table: statmount's answer must be what
// /proc/self/mountinfo says of the same mount point. Skips before Linux 6.8.
#include "os/mounts.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "core/proc_parse.hpp"
#include "os/cgroup_backends.hpp"

namespace sup::os {
namespace {

std::string read_file(const std::string& path) {
  auto text = cgroup_detail::read_text_at(AT_FDCWD, path);
  return text ? *text : "";
}

bool have_statmount() {
  auto root = mount_at("/");
  return root || root.error().code != ENOSYS;
}

TEST(MountAt, AgreesWithMountinfo) {
  if (!have_statmount()) GTEST_SKIP() << "no statmount (Linux < 6.8)";
  const auto mounts = core::parse_mountinfo(read_file("/proc/self/mountinfo"));
  ASSERT_FALSE(mounts.empty());
  int checked = 0;
  for (const char* path : {"/", "/proc", "/sys", "/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    // The last entry for a mount point is the one on top, which a path lookup reaches.
    const core::MountEntry* listed = nullptr;
    for (const auto& m : mounts) {
      if (m.mount_point == path) listed = &m;
    }
    if (listed == nullptr) continue;
    auto found = mount_at(path);
    ASSERT_TRUE(found) << path << ": " << found.error().message;
    EXPECT_EQ(found->mount_point, path);
    EXPECT_EQ(found->root, listed->root) << path;
    EXPECT_EQ(found->fs_type, listed->fs_type) << path;
    ++checked;
  }
  EXPECT_GE(checked, 2);  // "/" and "/proc" at least
}

TEST(MountAt, APathInsideAMountIsNoMountPoint) {
  if (!have_statmount()) GTEST_SKIP() << "no statmount (Linux < 6.8)";
  char dir[] = "/tmp/mounts_test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  auto inside = mount_at(dir);
  ::rmdir(dir);
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error().code, EINVAL) << inside.error().message;
  auto missing = mount_at(std::string(dir) + "/gone");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT) << missing.error().message;
}

// The shortcut create_app_cgroup takes must land where the mountinfo route does.
TEST(MountAt, UsualCgroup2MountGivesTheSameHierarchyAsMountinfo) {
  const std::string proc_cgroup = read_file("/proc/self/cgroup");
  auto listed = cgroup_detail::find_v2_hierarchy(read_file("/proc/self/mountinfo"), proc_cgroup);
  if (!listed) GTEST_SKIP() << listed.error().message;
  auto usual = cgroup_detail::usual_cgroup2_mounts();
  if (usual.empty()) {
    if (!have_statmount()) GTEST_SKIP() << "no statmount (Linux < 6.8)";
    GTEST_SKIP() << "cgroup2 is mounted at an unusual place: " << listed->mount_point;
  }
  auto found = cgroup_detail::find_v2_in_mounts(usual, proc_cgroup);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->mount_point, listed->mount_point);
  EXPECT_EQ(found->own_path, listed->own_path);
  EXPECT_EQ(found->own_dir, listed->own_dir);
}

}  // namespace
}  // namespace sup::os
