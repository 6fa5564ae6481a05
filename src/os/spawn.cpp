#include "os/spawn.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/listen_fds.hpp"

namespace sup::os {
namespace {

// What the child reports over the CLOEXEC pipe when a step before exec fails.
struct ChildFailure {
  int err;
  bool exec;  // the exec itself failed, not a step before it
  char step[60];
};

[[noreturn]] void child_fail(int pipe_fd, const char* step, int err, bool exec = false) {
  ChildFailure f{};
  f.err = err;
  f.exec = exec;
  std::strncpy(f.step, step, sizeof f.step - 1);
  [[maybe_unused]] auto n = ::write(pipe_fd, &f, sizeof f);
  _exit(err == ENOENT ? 127 : 126);
}

// Runs in the child: async-signal-safe calls only, no allocation, no return.
// moved: room for one int per pass_fds entry (the child must not allocate).
[[noreturn]] void child_main(const SpawnSpec& spec, char* const* argv, char* const* envp,
                             int* moved, int pipe_fd, pid_t parent, bool placed_by_clone) {
  // Default dispositions and an empty mask: nothing of the supervisor's signal setup leaks.
  // Only ignored signals need a call (exec keeps SIG_IGN, resets handlers): one or two
  // instead of 62 (issue 11).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&spec.ignored_signals, sig) == 1) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);

  // Joining costs a cgroup migration (an RCU grace period, milliseconds): only when clone3
  // could not place the child there from the start.
  if (!placed_by_clone && spec.cgroup_join_fd >= 0 && ::write(spec.cgroup_join_fd, "0", 1) != 1) {
    child_fail(pipe_fd, "joining the app's cgroup", errno);
  }
  // Its own process group: a Ctrl-C on the terminal reaches the supervisor, which forwards it
  // once, instead of reaching both.
  if (::setpgid(0, 0) != 0) child_fail(pipe_fd, "setpgid", errno);

  const char* step = "";
  if (int err = apply_credentials(spec.credentials, &step); err != 0) {
    child_fail(pipe_fd, step, err);
  }
  if (spec.die_with_supervisor) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(pipe_fd, "prctl", errno);
    // The supervisor may have died before the prctl took effect.
    if (::getppid() != parent) _exit(125);
  }

  // Every fd beyond stdio closes at exec (the failure pipe stays usable until then), except
  // the passed ones. Sources are first copied above every target, so that a source that is
  // another pair's target is not clobbered; dup2 then clears close-on-exec on each target.
  // Just above the highest target, not at a fixed number: that would fail (EINVAL) under a
  // low RLIMIT_NOFILE such as systemd's default soft limit of 1024.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  const std::size_t count = spec.pass_fds.size();
  int above = 3;
  for (std::size_t i = 0; i < count; ++i) {
    if (spec.pass_fds[i].second >= above) above = spec.pass_fds[i].second + 1;
  }
  for (std::size_t i = 0; i < count; ++i) {
    moved[i] = ::fcntl(spec.pass_fds[i].first, F_DUPFD_CLOEXEC, above);
    if (moved[i] < 0) child_fail(pipe_fd, "passing a file descriptor", errno);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (::dup2(moved[i], spec.pass_fds[i].second) < 0) {
      child_fail(pipe_fd, "passing a file descriptor", errno);
    }
  }

  // LISTEN_PID and WATCHDOG_PID must name the app itself, known only now.
  fill_pid_placeholders(envp);
  ::execve(spec.path.c_str(), argv, envp);
  child_fail(pipe_fd, "exec", errno, true);
}

pid_t clone_with_pidfd(int cgroup_fd, int* pidfd) {
  clone_args args{};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

std::vector<char*> to_c_array(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<Process> spawn(const SpawnSpec& spec, bool* exec_failed) {
  if (exec_failed != nullptr) *exec_failed = false;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  // Everything the child needs is built here: it must not allocate.
  const auto argv = to_c_array(spec.argv);
  const auto envp = to_c_array(spec.env);
  std::vector<int> moved(spec.pass_fds.size());
  const pid_t parent = ::getpid();

  int pidfd = -1;
  pid_t pid = clone_with_pidfd(spec.cgroup_clone_fd, &pidfd);
  const bool placed_by_clone = pid >= 0 && spec.cgroup_clone_fd >= 0;
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
    // Kernels before 5.3 have no clone3: fork, then open the pidfd while the child is
    // guaranteed to exist (it cannot be reaped before we wait for it).
    pid = ::fork();
    if (pid > 0) pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  }
  if (pid < 0) return errno_error("clone3");
  if (pid == 0) {
    child_main(spec, argv.data(), envp.data(), moved.data(), write_end.get(), parent,
               placed_by_clone);
  }

  Process child(pid, UniqueFd(pidfd));
  write_end.reset();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(read_end.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return child;  // the pipe closed at exec: the app runs

  // The child failed before exec and exits at once; reap it so no zombie is left behind.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) < 0 && errno == EINTR) {
  }
  if (exec_failed != nullptr) *exec_failed = failure.exec;
  return errno_error(failure.step, failure.err);
}

}  // namespace sup::os
