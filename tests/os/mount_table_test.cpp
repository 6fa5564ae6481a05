// The cgroup2 mounts found by listmount/statmount against those /proc/self/mountinfo lists,
// on this machine and on a bind mount made for the test in a mount namespace of its own.
#include "os/mount_table.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "in_child.hpp"
#include "os/cgroup_backends.hpp"

namespace sup::os {
namespace {

using Mounts = std::vector<core::MountEntry>;

// What the two ways must agree on; "" when they do, else both lists.
std::string compare(const Mounts& listed, const Mounts& parsed) {
  std::string a, b;
  for (const auto& m : listed) a += m.root + " on " + m.mount_point + "; ";
  for (const auto& m : parsed) b += m.root + " on " + m.mount_point + "; ";
  return a == b ? "" : "listmount: " + a + " mountinfo: " + b;
}

TEST(MountTable, ListedAgreesWithMountinfo) {
  auto listed = cgroup2_mounts_listed();
  if (!listed) GTEST_SKIP() << "no listmount/statmount here: " << listed.error().message;
  auto parsed = cgroup2_mounts_from_mountinfo();
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(compare(*listed, *parsed), "");
  auto chosen = cgroup2_mounts();
  ASSERT_TRUE(chosen);
  EXPECT_EQ(compare(*chosen, *parsed), "");
}

// A container's view: a cgroup below the hierarchy's root, bound on a path with a space (which
// mountinfo escapes and statmount does not), after more mounts than one listmount call returns
// (64). The comparison runs in a child, in a private mount namespace, so that no mount shows
// outside it.
TEST(MountTable, BindMountOfASubtreeWithASpace) {
  if (!cgroup2_mounts_listed()) GTEST_SKIP() << "no listmount/statmount here";
  auto h = cgroup_detail::find_v2_hierarchy(
      *cgroup_detail::read_text_at(AT_FDCWD, "/proc/self/mountinfo"),
      *cgroup_detail::read_text_at(AT_FDCWD, "/proc/self/cgroup"));
  if (!h) GTEST_SKIP() << h.error().message;
  const std::string name = "suptest-mounts." + std::to_string(::getpid());
  const std::string cgroup = h->own_dir + "/" + name;
  if (::mkdir(cgroup.c_str(), 0755) != 0) GTEST_SKIP() << "cannot create " << cgroup;
  char tmpl[] = "/tmp/suptest-mounts.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string target = std::string(tmpl) + "/with space";  // made on the last tmpfs

  const std::string said = what_failed_in_child([&]() -> std::string {
    bool mounted = ::unshare(CLONE_NEWNS) == 0 &&
                   ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    for (int i = 0; mounted && i < 70; ++i) {
      mounted = ::mount("tmpfs", tmpl, "tmpfs", 0, "size=4k") == 0;  // stacked on one another
    }
    if (mounted) {
      mounted = ::mkdir(target.c_str(), 0755) == 0 &&
                ::mount(cgroup.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0;
    }
    if (!mounted) return "cannot mount";
    auto listed = cgroup2_mounts_listed();
    auto parsed = cgroup2_mounts_from_mountinfo();
    if (!listed || !parsed) return "a listing failed";
    if (auto differ = compare(*listed, *parsed); !differ.empty()) return differ;
    const std::string root = cgroup_detail::child_path(h->own_path, name);
    for (const auto& m : *listed) {
      if (m.mount_point == target && m.root == root) return "";
    }
    return "the bind mount is not listed";
  });
  ::rmdir(tmpl);
  ::rmdir(cgroup.c_str());
  EXPECT_EQ(said, "");
}

}  // namespace
}  // namespace sup::os
