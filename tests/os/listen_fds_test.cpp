// The socket-activation hand-over: taking systemd's fds, and LISTEN_PID filled in by the child.
#include "os/listen_fds.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "in_child.hpp"

namespace sup::os {
namespace {

// in_child (in_child.hpp): the child plays a freshly started supervisor whose fds 3, 4, … we
// arrange.

TEST(ListenFds, FormatPidInto) {
  char slot[11];
  std::memset(slot, '?', sizeof slot);
  ASSERT_TRUE(format_pid_into(slot, sizeof slot, 4711));
  EXPECT_STREQ(slot, "4711");
  ASSERT_TRUE(format_pid_into(slot, sizeof slot, 2147483647));
  EXPECT_STREQ(slot, "2147483647");
  ASSERT_TRUE(format_pid_into(slot, 2, 7));
  EXPECT_STREQ(slot, "7");
  std::memset(slot, '?', sizeof slot);
  EXPECT_FALSE(format_pid_into(slot, 4, 4711));  // "4711" and the NUL need 5
  EXPECT_FALSE(format_pid_into(slot, sizeof slot, 0));
  EXPECT_FALSE(format_pid_into(slot, sizeof slot, -3));
  EXPECT_EQ(slot[0], '?');  // nothing written on failure
}

TEST(ListenFds, EnvForAChildCarriesAPlaceholderTheChildFillsBeforeExec) {
  ListenFds listen;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  listen.fds.emplace_back(p[0]);
  listen.fds.emplace_back(p[1]);
  listen.names = {"http", "admin"};
  auto env = listen_env(passed_fds(listen));
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[0], "LISTEN_FDS=2");
  EXPECT_EQ(env[1], "LISTEN_FDNAMES=http:admin");
  EXPECT_EQ(env[2], kListenPidPlaceholder);
  EXPECT_EQ(listen_pass_fds(passed_fds(listen)), (std::vector<std::pair<int, int>>{{p[0], 3}, {p[1], 4}}));
  EXPECT_TRUE(listen_env(passed_fds(ListenFds{})).empty());

  // The child fills the placeholder in its copy of the strings and execs a shell that prints
  // what it sees; it must be its own pid. The parent's strings are untouched.
  // (An inherited LISTEN_PID must not also be in the block: with duplicates, which one a
  // program sees differs, glibc's getenv takes the first and shells the last.)
  env.insert(env.begin(), "PATH=/usr/bin:/bin");
  env.push_back(kWatchdogPidPlaceholder);
  env.push_back("WATCHDOG_USEC=1000000");
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out[1], 1);
    if (fill_pid_placeholders(envp.data()) != 2) _exit(3);
    char* argv[] = {
        const_cast<char*>("sh"), const_cast<char*>("-c"),
        const_cast<char*>("echo \"$LISTEN_PID $LISTEN_FDS $LISTEN_FDNAMES $WATCHDOG_PID\""),
        nullptr};
    ::execve("/bin/sh", argv, envp.data());
    _exit(4);
  }
  ::close(out[1]);
  std::string seen;
  char buf[256];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) seen.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(seen, std::to_string(child) + " 2 http:admin " + std::to_string(child) + "\n");
  EXPECT_EQ(env[3], kListenPidPlaceholder);  // PATH was inserted first
  EXPECT_EQ(env[4], kWatchdogPidPlaceholder);
}

TEST(ListenFds, FillWithoutPlaceholderDoesNothing) {
  std::string a = "LISTEN_PID=??????????x";  // not exactly the placeholder
  std::string b = "LISTEN_PID=5";
  std::string c = "WATCHDOG_PID=?????????";  // one '?' short
  std::string d = "X_LISTEN_PID=??????????";
  char* envp[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
  EXPECT_EQ(fill_pid_placeholders(envp), 0);
  EXPECT_EQ(c, "WATCHDOG_PID=?????????");
  EXPECT_EQ(d, "X_LISTEN_PID=??????????");
  EXPECT_EQ(a, "LISTEN_PID=??????????x");
  EXPECT_EQ(b, "LISTEN_PID=5");
}

// A child plays a socket-activated supervisor: systemd's fds at 3 and 4, LISTEN_* naming it.
TEST(ListenFds, TakeOverFromTheEnvironment) {
  const int code = in_child([] {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 10;
    // Move the pair above the range first, then onto 3 and 4 without CLOEXEC, as systemd does.
    const int a = ::fcntl(sv[0], F_DUPFD, 100);
    const int b = ::fcntl(sv[1], F_DUPFD, 100);
    ::close(sv[0]);
    ::close(sv[1]);
    if (::dup2(a, 3) != 3 || ::dup2(b, 4) != 4) return 11;
    ::close(a);
    ::close(b);
    ::close(5);  // fd 5 must not be taken
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "2", 1);
    ::setenv("LISTEN_FDNAMES", "web:admin", 1);
    auto listen = take_listen_fds_from_env();
    if (!listen) return 12;
    if (listen->fds.size() != 2 || listen->fds[0].get() != 3 || listen->fds[1].get() != 4)
      return 13;
    if (listen->names != std::vector<std::string>{"web", "admin"}) return 14;
    if ((::fcntl(3, F_GETFD) & FD_CLOEXEC) == 0 || (::fcntl(4, F_GETFD) & FD_CLOEXEC) == 0)
      return 15;
    if (std::getenv("LISTEN_PID") || std::getenv("LISTEN_FDS") || std::getenv("LISTEN_FDNAMES"))
      return 16;
    // Still the same connected pair.
    if (::write(3, "x", 1) != 1) return 17;
    char c = 0;
    if (::read(4, &c, 1) != 1 || c != 'x') return 18;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(ListenFds, VariablesForAnotherPidAreUnsetAndNothingIsTaken) {
  const int code = in_child([] {
    ::setenv("LISTEN_PID", "1", 1);
    ::setenv("LISTEN_FDS", "1", 1);
    auto listen = take_listen_fds_from_env();
    if (!listen || !listen->empty()) return 1;
    if (std::getenv("LISTEN_PID") || std::getenv("LISTEN_FDS")) return 2;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(ListenFds, MissingFdIsAnErrorAndNothingIsTaken) {
  const int code = in_child([] {
    int p[2];
    if (::pipe(p) != 0) return 10;
    if (::dup2(p[0], 3) != 3) return 11;
    ::close(4);
    auto listen = take_listen_fds(core::ListenFdsEnv{2, {"a", "b"}});
    if (listen) return 1;
    if (listen.error().code != EBADF) return 2;
    if (::fcntl(3, F_GETFD) < 0) return 3;                  // fd 3 was not closed
    if ((::fcntl(3, F_GETFD) & FD_CLOEXEC) != 0) return 4;  // nor changed
    return 0;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace sup::os
