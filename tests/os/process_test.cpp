// os/process: a stop of our child reported once, from its pidfd (how the supervisor notices an
// app stopped for reading the terminal).
#include "os/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sup::os {
namespace {

TEST(ProcessStopSignal, AStopIsReportedOnceWithItsSignal) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  Process child(pid, UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))));
  ASSERT_GE(child.fd(), 0);
  EXPECT_EQ(child.stop_signal(), std::nullopt) << "running";
  ASSERT_EQ(::kill(pid, SIGTTIN), 0);
  // The stop is reported to the parent by waitid: wait for it without taking it.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WSTOPPED | WNOWAIT), 0);
  EXPECT_EQ(child.stop_signal(), SIGTTIN);
  EXPECT_EQ(child.stop_signal(), std::nullopt) << "a stop is reported once";
  ::kill(pid, SIGKILL);
  EXPECT_TRUE(child.reap_exited());
}

TEST(ProcessStopSignal, NotOurChildIsNoStop) {
  Process self(::getpid(), UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0))));
  EXPECT_EQ(self.stop_signal(), std::nullopt);
}

}  // namespace
}  // namespace sup::os
