// os/file: the directory listing every sweep and cgroup walk uses.
#include "os/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace sup::os {
namespace {

// More entries than one getdents64 call returns into for_each_entry's 4 KiB buffer, of two
// types; "." and ".." are never reported.
TEST(ForEachEntry, EveryEntryOnceWithItsTypeButDotAndDotDot) {
  char tmpl[] = "/tmp/suptest-entries.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::vector<std::string> made;
  for (int i = 0; i < 300; ++i) {
    const std::string name = "entry-with-a-longish-name-" + std::to_string(i);
    if (i % 10 == 0) {
      ASSERT_EQ(::mkdir((dir + "/" + name).c_str(), 0755), 0);
    } else {
      UniqueFd f(::open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
      ASSERT_TRUE(f);
    }
    made.push_back(name);
  }
  std::vector<std::string> seen;
  int dirs = 0;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  EXPECT_TRUE(for_each_entry(fd.get(), [&](const char* name, unsigned char type) {
    seen.emplace_back(name);
    if (type == DT_DIR) ++dirs;
  }));
  std::sort(made.begin(), made.end());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, made);
  EXPECT_EQ(dirs, 30);
  for (const auto& name : made) {
    if (::unlink((dir + "/" + name).c_str()) != 0) ::rmdir((dir + "/" + name).c_str());
  }
  ::rmdir(dir.c_str());
}

TEST(ForEachEntry, NotADirectoryIsAFailure) {
  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  bool called = false;
  EXPECT_FALSE(for_each_entry(fd.get(), [&](const char*, unsigned char) { called = true; }));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace sup::os
