#include "os/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace sup::os {

Result<SignalFd> SignalFd::create(const std::vector<int>& signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return errno_error("sigprocmask");
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
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
