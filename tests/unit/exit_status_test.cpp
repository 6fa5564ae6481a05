// How a process ended (SPEC 3, 8): from waitid's siginfo, to the shell code, to the log text.
#include "core/exit_status.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace sup::core {
namespace {

TEST(ExitStatus, SiginfoCodesMatchSignalH) {
  // The core hard-codes the si_code values; they must be the kernel's.
  EXPECT_EQ(exit_status_from_siginfo(CLD_EXITED, 0), ExitStatus::exited(0));
  EXPECT_EQ(exit_status_from_siginfo(CLD_KILLED, SIGTERM), ExitStatus::killed(SIGTERM, false));
  EXPECT_EQ(exit_status_from_siginfo(CLD_DUMPED, SIGSEGV), ExitStatus::killed(SIGSEGV, true));
  EXPECT_EQ(CLD_EXITED, 1);
  EXPECT_EQ(CLD_KILLED, 2);
  EXPECT_EQ(CLD_DUMPED, 3);
}

TEST(ExitStatus, FromSiginfoExited) {
  for (int code : {0, 1, 2, 3, 42, 125, 126, 127, 128, 137, 255}) {
    const ExitStatus s = exit_status_from_siginfo(CLD_EXITED, code);
    EXPECT_TRUE(s.is_exit()) << code;
    EXPECT_FALSE(s.is_signal()) << code;
    EXPECT_EQ(s.value, code);
    EXPECT_FALSE(s.core_dumped);
  }
}

TEST(ExitStatus, FromSiginfoKilledAndDumped) {
  for (int sig : {SIGHUP, SIGINT, SIGKILL, SIGSEGV, SIGABRT, SIGTERM, SIGRTMIN, SIGRTMAX}) {
    const ExitStatus k = exit_status_from_siginfo(CLD_KILLED, sig);
    EXPECT_TRUE(k.is_signal()) << sig;
    EXPECT_FALSE(k.is_exit()) << sig;
    EXPECT_EQ(k.value, sig);
    EXPECT_FALSE(k.core_dumped);

    const ExitStatus d = exit_status_from_siginfo(CLD_DUMPED, sig);
    EXPECT_TRUE(d.is_signal()) << sig;
    EXPECT_EQ(d.value, sig);
    EXPECT_TRUE(d.core_dumped);
  }
}

TEST(ExitStatus, Constructors) {
  EXPECT_EQ(ExitStatus::exited(3).kind, ExitStatus::Kind::kExited);
  EXPECT_EQ(ExitStatus::killed(9).kind, ExitStatus::Kind::kKilled);
  EXPECT_FALSE(ExitStatus::killed(9).core_dumped);
  EXPECT_TRUE(ExitStatus::killed(11, true).core_dumped);
  // Exit code N and signal N are different things.
  EXPECT_NE(ExitStatus::exited(9), ExitStatus::killed(9));
  EXPECT_NE(ExitStatus::killed(11, true), ExitStatus::killed(11, false));
}

TEST(ToShellCode, CodeOr128PlusSignal) {
  const std::pair<ExitStatus, int> cases[] = {
      {ExitStatus::exited(0), 0},
      {ExitStatus::exited(1), 1},
      {ExitStatus::exited(42), 42},
      {ExitStatus::exited(255), 255},
      {ExitStatus::killed(SIGHUP), 128 + SIGHUP},
      {ExitStatus::killed(SIGINT), 130},
      {ExitStatus::killed(SIGKILL), 137},
      {ExitStatus::killed(SIGSEGV, true), 139},
      {ExitStatus::killed(SIGTERM), 143},
      {ExitStatus::killed(SIGABRT, true), 134},
  };
  for (const auto& [status, code] : cases) {
    EXPECT_EQ(to_shell_code(status), code) << describe(status);
  }
}

TEST(ToShellCode, FromSiginfoEndToEnd) {
  EXPECT_EQ(to_shell_code(exit_status_from_siginfo(CLD_EXITED, 3)), 3);
  EXPECT_EQ(to_shell_code(exit_status_from_siginfo(CLD_KILLED, SIGKILL)), 137);
  EXPECT_EQ(to_shell_code(exit_status_from_siginfo(CLD_DUMPED, SIGSEGV)), 139);
}

TEST(Describe, Strings) {
  const std::pair<ExitStatus, std::string> cases[] = {
      {ExitStatus::exited(0), "exited with status 0"},
      {ExitStatus::exited(1), "exited with status 1"},
      {ExitStatus::exited(255), "exited with status 255"},
      {ExitStatus::killed(SIGSEGV, true), "killed by SIGSEGV (core dumped)"},
      {ExitStatus::killed(SIGSEGV, false), "killed by SIGSEGV"},
      {ExitStatus::killed(SIGKILL), "killed by SIGKILL"},
      {ExitStatus::killed(SIGTERM), "killed by SIGTERM"},
      {ExitStatus::killed(SIGABRT, true), "killed by SIGABRT (core dumped)"},
      {ExitStatus::killed(SIGRTMIN + 2), "killed by SIGRTMIN+2"},
  };
  for (const auto& [status, text] : cases) EXPECT_EQ(describe(status), text);
}

TEST(ExitCodes, Spec) {
  EXPECT_EQ(kExitFailure, 125);
  EXPECT_EQ(kExitNotExecutable, 126);
  EXPECT_EQ(kExitNotFound, 127);
}

}  // namespace
}  // namespace sup::core
