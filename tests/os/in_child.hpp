// For os tests whose steps must not touch the test process: a process of its own (fds 3, 4, …
// arranged as a fresh supervisor finds them) or a mount namespace of its own. gtest is
// single-threaded here, so the forked child may allocate.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace sup::os {

// Runs body in a forked child and returns its exit code (128 + N if signal N killed it).
template <class F>
int in_child(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) _exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs steps in a forked child and returns what it says went wrong; "" when nothing did.
inline std::string what_failed_in_child(const std::function<std::string()>& steps) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return "pipe2 failed";
  const pid_t child = ::fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    const std::string out = steps();
    [[maybe_unused]] auto n = ::write(report[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string said;
  char buf[512];
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) > 0;) {
    said.append(buf, static_cast<std::size_t>(n));
  }
  ::close(report[0]);
  ::waitpid(child, nullptr, 0);
  return said;
}

}  // namespace sup::os
