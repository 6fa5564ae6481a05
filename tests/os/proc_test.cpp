// os/proc: the executable a process will run, for when it is gone before its exe was read.
#include "os/proc.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sup::os {
namespace {

class ExecutableOf : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/suptest-exe.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& name : made_) ::unlink((dir_ + "/" + name).c_str());
    ::rmdir(dir_.c_str());
  }
  std::string link(const std::string& name, const std::string& target) {
    made_.push_back(name);
    EXPECT_EQ(::symlink(target.c_str(), (dir_ + "/" + name).c_str()), 0);
    return dir_ + "/" + name;
  }
  std::string script(const std::string& name, const std::string& text) {
    made_.push_back(name);
    std::ofstream(dir_ + "/" + name) << text;
    ::chmod((dir_ + "/" + name).c_str(), 0755);
    return dir_ + "/" + name;
  }
  static std::string real(const std::string& path) {
    char buf[PATH_MAX];
    return ::realpath(path.c_str(), buf) != nullptr ? buf : "";
  }
  std::string dir_;
  std::vector<std::string> made_;
};

// What the running process's exe says, compared with what the file says beforehand.
TEST_F(ExecutableOf, AProgramIsItselfWithEverySymlinkResolved) {
  const std::string self = read_exe(::getpid());
  ASSERT_FALSE(self.empty());
  EXPECT_EQ(executable_of(self), self);
  const std::string first = link("first", self);
  EXPECT_EQ(executable_of(link("second", first)), self);
}

TEST_F(ExecutableOf, AScriptIsItsInterpreterResolved) {
  const std::string sh = real("/bin/sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_EQ(executable_of(script("plain", "#!/bin/sh\nexit 0\n")), sh);
  // A link to a script, whose interpreter is named through a link, and a script as the
  // interpreter of another.
  const std::string shell_link = link("shell", "/bin/sh");
  const std::string inner = script("inner", "#!" + shell_link + " -e\nexit 0\n");
  EXPECT_EQ(executable_of(link("to-inner", inner)), sh);
  EXPECT_EQ(executable_of(script("outer", "#!" + inner + "\n")), sh);
}

TEST_F(ExecutableOf, WhatCannotBeResolvedIsTakenAsItIs) {
  EXPECT_EQ(executable_of(dir_ + "/missing"), dir_ + "/missing");
  const std::string dangling = link("dangling", dir_ + "/nowhere");
  EXPECT_EQ(executable_of(dangling), dangling);
  EXPECT_EQ(executable_of(script("bad-interpreter", "#!/nonexistent/shell\n")),
            "/nonexistent/shell");
}

}  // namespace
}  // namespace sup::os
