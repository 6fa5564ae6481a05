// os/file: the directory listing every sweep and cgroup walk uses, and the check before the
// pid file or the status file replaces what is at its path.
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

// A scratch directory, removed with what the test made in it.
class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/suptest-replace.XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
  }
  ~Scratch() {
    for (const auto& name : made_) {
      if (::unlink(path(name).c_str()) != 0) ::rmdir(path(name).c_str());
    }
    ::rmdir(dir_.c_str());
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string make(const std::string& name) {
    made_.push_back(name);
    return path(name);
  }

 private:
  std::string dir_;
  std::vector<std::string> made_;
};

void write_text(const std::string& path, const std::string& text) {
  UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(f);
  ASSERT_EQ(::write(f.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

TEST(ReadReplaceable, NothingOrASymlinkMayBeReplaced) {
  Scratch s;
  auto none = read_replaceable(s.path("absent"), 64, "pidfile x");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(*none);
  // Dangling or not, a link is what replace_file replaces; what it points to is never read.
  const std::string link = s.make("link");
  ASSERT_EQ(::symlink("/dev/zero", link.c_str()), 0);
  auto linked = read_replaceable(link, 64, "pidfile x");
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_FALSE(*linked);
}

TEST(ReadReplaceable, ARegularFileIsReadForTheCallerToJudge) {
  Scratch s;
  const std::string file = s.make("file");
  write_text(file, "4711\n");
  auto text = read_replaceable(file, 64, "pidfile x");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, std::optional<std::string>("4711\n"));
}

TEST(ReadReplaceable, WhatReplacingWouldDestroyIsRefusedWithoutBlocking) {
  Scratch s;
  const std::string fifo = s.make("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string dir = s.make("dir");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  const std::string big = s.make("big");
  write_text(big, std::string(65, 'x'));
  struct Case {
    std::string path;
    std::string why;
  };
  for (const Case& c : {Case{fifo, "exists and is not a regular file"},
                        Case{dir, "exists and is not a regular file"},
                        Case{"/dev/null", "exists and is not a regular file"},
                        Case{big, "exists and is larger than 64 bytes"}}) {
    auto r = read_replaceable(c.path, 64, "pidfile x");
    ASSERT_FALSE(r) << c.path;
    EXPECT_EQ(r.error().message, "pidfile x: " + c.why) << c.path;
  }
}

}  // namespace
}  // namespace sup::os
