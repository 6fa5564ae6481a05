#include "os/spawn.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sanitizer/asan_interface.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "core/fd_moves.hpp"
#include "os/listen_fds.hpp"

namespace sup::os {
namespace {

// The child shares our memory (CLONE_VM) and we are suspended until it has exec'd or exited
// (CLONE_VFORK): no copy of the address space, no exec pipe. So the child must not allocate
// or touch the heap; everything it needs is prepared here, and a failure is reported by
// writing it into this struct.
struct ChildArgs {
  const SpawnSpec* spec;
  char* const* argv;
  char* const* envp;
  const core::FdStep* fd_steps;  // core::plan_fd_moves(spec->pass_fds)
  std::size_t fd_step_count;
  pid_t parent;
  bool placed_by_clone;
  // Set by a child that fails before or at exec, read once it has exited.
  int err = 0;
  bool exec_failed = false;  // the exec itself failed, not a step before it
  const char* step = "";
};

[[noreturn]] void child_fail(ChildArgs& a, const char* step, int err, bool exec = false) {
  a.step = step;
  a.exec_failed = exec;
  a.err = err;
  _exit(err == ENOENT ? 127 : 126);
}

// Runs in the child: carries out core::plan_fd_moves's steps. False with errno on a failure.
bool place_fds(const core::FdStep* steps, std::size_t count) {
  int spare = -1;
  for (std::size_t i = 0; i < count; ++i) {
    const core::FdStep& step = steps[i];
    switch (step.kind) {
      case core::FdStep::Kind::kMove:
        if (::dup2(step.from, step.to) < 0) return false;
        break;
      case core::FdStep::Kind::kKeep:
        if (::fcntl(step.to, F_SETFD, 0) != 0) return false;
        break;
      case core::FdStep::Kind::kSave:
        // From 3: every target is taken by now, and stdio must stay as it is.
        spare = ::fcntl(step.from, F_DUPFD_CLOEXEC, 3);
        if (spare < 0) return false;
        break;
      case core::FdStep::Kind::kFromSpare:
        if (::dup2(spare, step.to) < 0) return false;
        break;
      case core::FdStep::Kind::kDropSpare:
        ::close(spare);
        spare = -1;
        break;
    }
  }
  return true;
}

// Runs in the child: async-signal-safe calls only, no allocation, no return.
[[noreturn]] void child_main(ChildArgs& a) {
  const SpawnSpec& spec = *a.spec;
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
  if (!a.placed_by_clone && spec.cgroup_join_fd >= 0 && ::write(spec.cgroup_join_fd, "0", 1) != 1) {
    child_fail(a, "joining the app's cgroup", errno);
  }
  // Its own process group: a Ctrl-C on the terminal reaches the supervisor, which forwards it
  // once, instead of reaching both.
  if (::setpgid(0, 0) != 0) child_fail(a, "setpgid", errno);

  const char* step = "";
  if (int err = apply_credentials(spec.credentials, &step); err != 0) child_fail(a, step, err);
  if (spec.die_with_supervisor) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(a, "prctl", errno);
    // The supervisor may have died before the prctl took effect.
    if (::getppid() != a.parent) _exit(125);
  }

  // Every fd beyond stdio closes at exec, except the passed ones, which are put in place as
  // planned (a permutation done in place, needing one spare fd at most: the app's soft limit
  // may leave no more, SPEC 7). dup2 clears close-on-exec on each target.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  if (!place_fds(a.fd_steps, a.fd_step_count)) child_fail(a, "passing a file descriptor", errno);
  if (spec.fd_soft_limit) {
    // The supervisor's own soft limit was raised to the hard one; the app gets back the one it
    // would have had (select(2) fails above 1024), within a hard limit lowered since.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) child_fail(a, "getrlimit", errno);
    if (*spec.fd_soft_limit < limit.rlim_max) limit.rlim_cur = *spec.fd_soft_limit;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) child_fail(a, "setting the fd limit", errno);
  }

  // LISTEN_PID and WATCHDOG_PID must name the app itself, known only now.
  fill_pid_placeholders(a.envp);
  ::execve(spec.path.c_str(), a.argv, a.envp);
  child_fail(a, "exec", errno, true);
}

int child_entry(void* args) { child_main(*static_cast<ChildArgs*>(args)); }

#if defined(__x86_64__)
// clone3 with a stack of the child's own, which glibc 2.36 has no wrapper for (its __clone3
// is internal). A raw syscall(SYS_clone3, CLONE_VM) would let the child return into the
// caller's frames on the parent's stack and clobber them. As glibc's clone3.S: the child
// (rax 0) calls fn(arg) on the new stack and exits; fn (rdx) and arg (r8) survive syscall.
// Returns the child's pid or -errno.
extern "C" long sup_clone3_call(clone_args* args, std::size_t size, int (*fn)(void*), void* arg);
asm(R"(
  .text
  .globl sup_clone3_call
  .hidden sup_clone3_call
  .type sup_clone3_call, @function
sup_clone3_call:
  endbr64
  mov %rcx, %r8
  mov $435, %eax
  syscall
  test %rax, %rax
  jz 1f
  ret
1:
  xor %ebp, %ebp
  and $-16, %rsp
  mov %r8, %rdi
  call *%rdx
  mov %eax, %edi
  mov $60, %eax
  syscall
  hlt
  .size sup_clone3_call, .-sup_clone3_call
)");
static_assert(SYS_clone3 == 435 && SYS_exit == 60);

// The child's stack: a few KiB of ours below this frame, which stays live while we wait
// for the child (CLONE_VFORK), so no mmap; under ASan, within the stack it knows.
// (vfork() below needs no such care: ASan intercepts it and cleans our stack itself.)
constexpr std::size_t kChildStack = 64 * 1024;

pid_t clone_vfork(ChildArgs& args, int cgroup_fd, int* pidfd) {
  alignas(16) char stack[kChildStack];
  clone_args ca{};
  ca.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD;
  ca.pidfd = reinterpret_cast<std::uint64_t>(pidfd);
  ca.exit_signal = SIGCHLD;
  ca.stack = reinterpret_cast<std::uint64_t>(stack);
  ca.stack_size = sizeof stack;
  if (cgroup_fd >= 0) {
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
  args.placed_by_clone = cgroup_fd >= 0;
  const long r = sup_clone3_call(&ca, sizeof ca, child_entry, &args);
  // The child's instrumented frames poisoned parts of the array in ASan's shadow, and it
  // never returned to clear them: our later frames there would report false overflows.
  // A no-op without ASan.
  ASAN_UNPOISON_MEMORY_REGION(stack, sizeof stack);
  if (r >= 0) return static_cast<pid_t>(r);
  errno = static_cast<int>(-r);
  return -1;
}
#else
pid_t clone_vfork(ChildArgs&, int, int*) {
  errno = ENOSYS;  // no trampoline for this architecture: vfork below
  return -1;
}
#endif

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
  // The child fills its pid into the environment's placeholders, in our memory: a copy, so
  // that spec keeps them.
  std::vector<std::string> env = spec.env;
  const auto argv = to_c_array(spec.argv);
  const auto envp = to_c_array(env);
  const std::vector<core::FdStep> fd_steps = core::plan_fd_moves(spec.pass_fds);
  ChildArgs args{&spec,           argv.data(), envp.data(), fd_steps.data(),
                 fd_steps.size(), ::getpid(),  false};

  int pidfd = -1;
  pid_t pid = clone_vfork(args, spec.cgroup_clone_fd, &pidfd);
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
    // Kernels before 5.3 have no clone3 (before 5.7 no CLONE_INTO_CGROUP: E2BIG); the child
    // joins its cgroup itself. vfork keeps the memory sharing; the pidfd is opened while the
    // child cannot have been reaped (nobody has waited for it yet).
    args.placed_by_clone = false;
    pid = ::vfork();
    if (pid == 0) child_main(args);
    if (pid > 0) pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  }
  if (pid < 0) return errno_error("clone3");

  Process child(pid, UniqueFd(pidfd));
  if (args.err == 0) return child;  // we resumed at its exec: the app runs

  // The child failed and has exited; reap it so no zombie is left behind.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) < 0 && errno == EINTR) {
  }
  if (exec_failed != nullptr) *exec_failed = args.exec_failed;
  return errno_error(args.step, args.err);
}

}  // namespace sup::os
