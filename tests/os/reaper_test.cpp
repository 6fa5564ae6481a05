// os/reaper: a stopped child is reported once, with the signal that stopped it (how the
// supervisor notices an app stopped for reading the terminal); an exited one is reaped.
#include "os/reaper.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sup::os {
namespace {

TEST(ReapOne, AStopIsReportedOnceWithItsSignalThenTheExit) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  EXPECT_EQ(reap_one(), std::nullopt) << "running";
  ASSERT_EQ(::kill(pid, SIGTTIN), 0);
  // Waited for without taking the report, which reap_one must take.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WSTOPPED | WNOWAIT), 0);
  auto stopped = reap_one();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->pid, pid);
  EXPECT_EQ(stopped->stopped_by, SIGTTIN);
  EXPECT_EQ(reap_one(), std::nullopt) << "a stop is reported once";
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
  auto exited = reap_one();
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->pid, pid);
  EXPECT_EQ(exited->stopped_by, 0);
  EXPECT_EQ(exited->status, core::ExitStatus::killed(SIGKILL));
}

}  // namespace
}  // namespace sup::os
