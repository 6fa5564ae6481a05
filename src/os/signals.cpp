#include "os/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace sup::os {

Result<SignalFd> SignalFd::create(const std::vector<int>& signals) {
  // The kernel's 64-bit mask and its system calls: glibc's sigaddset and sigprocmask leave out
  // 32 and 33, which it keeps for threads (a single-threaded program never uses them), and
  // unblocked, their default action would end us.
  std::uint64_t mask = 0;
  for (int s : signals) mask |= std::uint64_t{1} << (s - 1);
  if (::syscall(SYS_rt_sigprocmask, SIG_BLOCK, &mask, nullptr, sizeof mask) != 0) {
    return errno_error("sigprocmask");
  }
  const int fd = static_cast<int>(
      ::syscall(SYS_signalfd4, -1, &mask, sizeof mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (fd < 0) return errno_error("signalfd");
  return SignalFd(UniqueFd(fd));
}

Result<std::vector<int>> SignalFd::read_all() {
  std::vector<int> out;
  signalfd_siginfo buf[16];
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return out;
      return errno_error("reading signalfd");
    }
    const auto count = static_cast<std::size_t>(n) / sizeof(signalfd_siginfo);
    for (std::size_t i = 0; i < count; ++i) {
      out.push_back(static_cast<int>(buf[i].ssi_signo));
    }
    if (count < std::size(buf)) return out;
  }
}

bool in_terminal_foreground() {
  return ::isatty(STDIN_FILENO) == 1 && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
}

void stop_self() { ::kill(::getpid(), SIGSTOP); }

void ignore_sigpipe() { ::signal(SIGPIPE, SIG_IGN); }

sigset_t ignored_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) sigaddset(&set, sig);
  }
  return set;
}

}  // namespace sup::os
