// Signals arrive through a signalfd; no handlers run. Blocking happens before anything else,
// and every child gets an empty mask and default dispositions back before exec.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <vector>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

class SignalFd {
 public:
  // Blocks the given signals in the calling thread and opens a non-blocking signalfd for them.
  static Result<SignalFd> create(const std::vector<int>& signals);

  int fd() const noexcept { return fd_.get(); }
  // Every pending signal, in arrival order (a signal pending twice arrives once).
  Result<std::vector<int>> read_all();

 private:
  explicit SignalFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Whether we run in the foreground process group of the terminal on stdin: the interactive
// case, where Ctrl-Z must suspend the supervisor too so the shell's job control sees it.
bool in_terminal_foreground();

// Stops this process (SIGSTOP), as a shell job does on Ctrl-Z; SIGCONT resumes it.
void stop_self();

// Sets SIGPIPE to ignored, so a closed stderr never kills the supervisor.
void ignore_sigpipe();

// The signals whose disposition in this process is SIG_IGN (inherited or set by us).
sigset_t ignored_signals();

}  // namespace sup::os
