#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
extern "C" {  // glibc 2.36 declares these without C linkage for C++
#include <sys/pidfd.h>
}
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

extern char** environ;

namespace e2e {
namespace {

namespace fs = std::filesystem;

// Every SupervisedRun alive right now: a clean-up sweep must not touch another run's processes.
std::set<SupervisedRun*>& live_runs() {
  static std::set<SupervisedRun*> runs;
  return runs;
}

// Processes the test started itself (Outsider): never part of a sweep.
std::set<pid_t>& exempt() {
  static std::set<pid_t> pids;
  return pids;
}

// The test process adopts whatever a supervisor leaves behind (see harness.hpp).
void become_subreaper() {
  static bool done = false;
  if (done) return;
  done = true;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    ADD_FAILURE() << "PR_SET_CHILD_SUBREAPER: " << strerror(errno);
  }
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}


void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Splits complete lines off `buf` into `lines`; at EOF the unterminated rest is a line too.
void take_lines(std::string& buf, std::vector<Line>& lines, bool eof) {
  size_t start = 0;
  for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back({buf.substr(start, nl - start), Clock::now()});
  }
  buf.erase(0, start);
  if (eof && !buf.empty()) {
    lines.push_back({buf, Clock::now()});
    buf.clear();
  }
}

// Descendants of the test process that belong to no other live run.
std::vector<pid_t> unowned_descendants(const SupervisedRun* self) {
  std::set<pid_t> excluded;
  for (SupervisedRun* run : live_runs()) {
    if (run == self || run->exited()) continue;
    excluded.insert(run->pid());
    excluded.insert(run->child());
    for (pid_t p : descendants_of(run->pid())) excluded.insert(p);
  }
  for (pid_t p : exempt()) excluded.insert(p);
  std::vector<pid_t> out;
  for (pid_t p : descendants_of(getpid())) {
    if (!excluded.count(p)) out.push_back(p);
  }
  return out;
}

// Kills every process in `pids` and whatever they fork meanwhile, reaping our own children,
// until none of them (or their descendants reparented to us) is left.
void kill_and_reap(const SupervisedRun* self, std::vector<pid_t> pids) {
  auto deadline = Clock::now() + 5000ms;
  for (;;) {
    for (pid_t p : pids) signal_pid(p, SIGKILL);
    for (pid_t p : pids) {
      auto st = read_stat(p);
      if (st && st->ppid == getpid()) waitpid(p, nullptr, WNOHANG);
    }
    pids = unowned_descendants(self);
    if (pids.empty() || Clock::now() > deadline) return;
    poll(nullptr, 0, 5);
  }
}

void remove_cgroup_tree(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) remove_cgroup_tree(entry.path());
  }
  auto deadline = Clock::now() + 2000ms;
  while (rmdir(dir.c_str()) != 0 && errno == EBUSY && Clock::now() < deadline) {
    if (std::ifstream procs{dir / "cgroup.procs"}) {
      for (pid_t p; procs >> p;) signal_pid(p, SIGKILL);
    }
    poll(nullptr, 0, 10);
  }
}

}  // namespace

std::string cgroup_mode() {
  const char* mode = getenv("SUPERVISOR_TEST_CGROUP");
  return mode != nullptr ? mode : "";
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

long Match::num(size_t i) const {
  if (i >= groups.size()) {
    ADD_FAILURE() << "no group " << i << " in match of: " << line;
    return -1;
  }
  char* end = nullptr;
  long v = strtol(groups[i].c_str(), &end, 10);
  if (groups[i].empty() || *end != '\0') {
    ADD_FAILURE() << "group " << i << " is not a number: '" << groups[i] << "' in: " << line;
    return -1;
  }
  return v;
}

// ---- SupervisedRun ----

SupervisedRun::SupervisedRun(std::vector<std::string> args, RunOptions options) {
  become_subreaper();
  if (!options.plain_command) {
    argv_ = options.wrapper;
    argv_.push_back(kSupervisor);
    if (options.cgroup_flag && !cgroup_mode().empty()) {
      argv_.push_back("--cgroup=" + cgroup_mode());
    }
  }
  for (auto& a : args) argv_.push_back(std::move(a));

  // Everything the child needs is built before fork.
  std::vector<char*> argv;
  for (auto& a : argv_) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = std::any_of(options.env.begin(), options.env.end(), [&](const std::string& o) {
      return o.substr(0, o.find('=')) == name;
    });
    bool unset = std::find(options.unset_env.begin(), options.unset_env.end(), name) !=
                 options.unset_env.end();
    if (!replaced && !unset && !(options.listen_pid_self && name == "LISTEN_PID")) {
      env_strings.push_back(entry);
    }
  }
  for (const auto& e : options.env) env_strings.push_back(e);
  // The digits are filled in by the child, which alone knows its pid.
  if (options.listen_pid_self) env_strings.push_back("LISTEN_PID=0000000000");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* listen_pid_value =
      options.listen_pid_self ? envp[envp.size() - 2] + sizeof "LISTEN_PID=" - 1 : nullptr;
  std::vector<int> pass = options.pass_fds;
  if (pass.size() > 16) ADD_FAILURE() << "at most 16 fds can be passed";
  sigset_t block;
  sigemptyset(&block);
  for (int sig : options.block_signals) sigaddset(&block, sig);
  // Each refused syscall -> ENOSYS, everything else allowed, as Docker's default profile
  // answers a syscall it does not know (and the supervisor falls back on something older).
  std::vector<sock_filter> filter = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  const auto refused = options.refused_syscalls.size();
  for (std::size_t i = 0; i < refused; ++i) {
    const auto to_refusal = static_cast<unsigned char>(refused - i);  // past the later tests
    filter.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                              static_cast<unsigned>(options.refused_syscalls[i]), to_refusal, 0));
  }
  filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  sock_fprog seccomp_program{static_cast<unsigned short>(filter.size()), filter.data()};

  int out[2], err[2], status[2], info[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0 ||
      pipe2(info, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    return;
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pty_slave = -1;
  if (options.terminal != TerminalMode::kNone) {
    pty_master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_master_ < 0 || grantpt(pty_master_) != 0 || unlockpt(pty_master_) != 0) {
      ADD_FAILURE() << "posix_openpt: " << strerror(errno);
      return;
    }
    pty_slave = open(ptsname(pty_master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_slave < 0) {
      ADD_FAILURE() << "open pty slave: " << strerror(errno);
      return;
    }
  }
  start_time_ = Clock::now();
  pid_ = fork();
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return;
  }
  if (pid_ == 0) {
    // Child: async-signal-safe calls only. Reports a failed step as {step, errno}.
    auto fail = [&](int step) {
      int report[2] = {step, errno};
      (void)!write(status[1], report, sizeof report);
      _exit(126);
    };
    if (pty_slave >= 0) {
      // A terminal session as an interactive shell gives it: the supervisor leads a session
      // whose controlling terminal is stdin, and it is in the foreground process group.
      if (setsid() < 0) fail(6);
      if (ioctl(pty_slave, TIOCSCTTY, 0) != 0) fail(7);
      dup2(pty_slave, STDIN_FILENO);
    } else {
      dup2(devnull, STDIN_FILENO);
    }
    if (options.terminal == TerminalMode::kAll) {
      dup2(pty_slave, STDOUT_FILENO);
      dup2(pty_slave, STDERR_FILENO);
    } else {
      dup2(out[1], STDOUT_FILENO);
      dup2(options.merge_stderr ? out[1] : err[1], STDERR_FILENO);
    }
    // Nothing of the test process's leaks into the supervisor: only stdio crosses exec.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (options.stray_fd >= 0) dup2(devnull, options.stray_fd);  // dup2: not close-on-exec
    // Passed fds: out of the way first, so that a source is never overwritten by an earlier
    // target; then 3, 4, ... without close-on-exec.
    int high[16];
    size_t passed = pass.size() < 16 ? pass.size() : 16;
    for (size_t i = 0; i < passed; ++i) high[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, 100);
    for (size_t i = 0; i < passed; ++i) dup2(high[i], 3 + static_cast<int>(i));
    if (listen_pid_value != nullptr) {
      char digits[16];
      int len = 0;
      for (pid_t p = getpid(); p > 0; p /= 10) digits[len++] = static_cast<char>('0' + p % 10);
      for (int i = 0; i < len; ++i) listen_pid_value[i] = digits[len - 1 - i];
      listen_pid_value[len] = '\0';
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    for (int sig : options.ignore_signals) sigaction(sig, &ign, nullptr);
    sigprocmask(SIG_SETMASK, &block, nullptr);
    if (!options.readonly_tmpfs.empty()) {
      if (unshare(CLONE_NEWNS) != 0) fail(1);
      if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail(2);
      for (const std::string& dir : options.readonly_tmpfs) {
        if (mount("tmpfs", dir.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=16k") != 0) {
          fail(3);
        }
      }
    }
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) fail(4);
    if (refused > 0) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(11);
      if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &seccomp_program) != 0) fail(12);
    }
    if (options.pid_namespace) {
      if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) fail(8);
      if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail(2);
      pid_t inner = fork();
      if (inner < 0) fail(9);
      if (inner == 0) {  // PID 1 of the new namespace, with a /proc that shows it
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
          fail(10);
        }
        execve(argv[0], argv.data(), envp.data());
        fail(5);
      }
      // The namespace's parent: tells the test who the supervisor is, then mirrors its status.
      (void)!write(info[1], &inner, sizeof inner);
      close(info[1]);
      close(status[1]);
      close(STDOUT_FILENO);
      close(STDERR_FILENO);
      int st = 0;
      while (waitpid(inner, &st, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(st)) _exit(WEXITSTATUS(st));
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(WTERMSIG(st), SIG_DFL);
      kill(getpid(), WTERMSIG(st));
      _exit(128 + WTERMSIG(st));
    }
    execve(argv[0], argv.data(), envp.data());
    fail(5);
  }
  child_ = pid_;
  close(out[1]);
  close(err[1]);
  close(status[1]);
  close(info[1]);
  if (devnull >= 0) close(devnull);
  if (pty_slave >= 0) close(pty_slave);
  int report[2] = {0, 0};
  ssize_t n;
  do n = read(status[0], report, sizeof report);
  while (n < 0 && errno == EINTR);
  close(status[0]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (options.terminal == TerminalMode::kAll) {
    // Everything arrives on the terminal; the pipes have no writer.
    close(out_fd_);
    close(err_fd_);
    out_fd_ = fcntl(pty_master_, F_DUPFD_CLOEXEC, 0);
    err_fd_ = -1;
    strip_cr_ = true;
  }
  for (int fd : {out_fd_, err_fd_}) {
    if (fd < 0) continue;
    set_nonblocking(fd);
    // Room for a chatty process (--debug, a daemon's log) between two reads of the test.
    fcntl(fd, F_SETPIPE_SZ, 1 << 20);
  }
  if (n > 0) {
    static const char* const kSteps[] = {"?", "unshare(CLONE_NEWNS)", "mount --make-rprivate /",
                                         "mount read-only tmpfs", "chdir", "execve supervisor",
                                         "setsid", "TIOCSCTTY", "unshare(CLONE_NEWPID)",
                                         "fork", "mount /proc"};
    setup_step_ = kSteps[report[0] >= 0 && report[0] <= 10 ? report[0] : 0];
    setup_errno_ = report[1] != 0 ? report[1] : EINVAL;
    int st = 0;
    waitpid(child_, &st, 0);
    close(info[0]);
    exited_ = true;
    status_ = shell_status(st);
    exit_time_ = Clock::now();
    return;
  }
  if (options.pid_namespace) {
    pid_t inner = -1;
    if (read(info[0], &inner, sizeof inner) != static_cast<ssize_t>(sizeof inner)) {
      ADD_FAILURE() << "no PID from the namespace's parent";
    }
    pid_ = inner;
  }
  close(info[0]);
  pidfd_ = pidfd_open(pid_, 0);
  if (pidfd_ < 0) ADD_FAILURE() << "pidfd_open: " << strerror(errno);
  exit_fd_ = child_ == pid_ ? pidfd_ : pidfd_open(child_, 0);
  // In a PID namespace the supervisor knows itself as PID 1 and names its cgroup after that.
  cgroup_names_.push_back(app_cgroup_name(pid_, options.pid_namespace ? 1 : pid_));
  live_runs().insert(this);
}

SupervisedRun::~SupervisedRun() {
  tear_down();
  live_runs().erase(this);
  if (exit_fd_ >= 0 && exit_fd_ != pidfd_) close(exit_fd_);
  for (int fd : {pidfd_, out_fd_, err_fd_, pty_master_}) {
    if (fd >= 0) close(fd);
  }
}

std::string SupervisedRun::setup_error() const {
  return setup_step_ + ": " + strerror(setup_errno_);
}

void SupervisedRun::tear_down() {
  if (pid_ <= 0 || setup_errno_ != 0) return;
  bool harness_killed = false;
  std::vector<pid_t> supervisors = {pid_};
  supervisors.insert(supervisors.end(), extra_supervisors_.begin(), extra_supervisors_.end());
  // A supervisor still running: its tree is collected first, then it dies first, so that it
  // cannot restart anything; then the collected tree goes.
  for (pid_t sup : supervisors) {
    if (sup == pid_ ? exited_ : !is_alive(sup)) continue;
    harness_killed = true;
    std::vector<int> fds;
    for (pid_t p : descendants_of(sup)) {
      int fd = pidfd_open(p, 0);
      if (fd >= 0) fds.push_back(fd);
    }
    signal_pid(sup, SIGKILL);
    for (int fd : fds) {
      pidfd_send_signal(fd, SIGKILL, nullptr, 0);
      close(fd);
    }
  }
  if (!exited_) {
    int st = 0;
    waitpid(child_, &st, 0);
    exited_ = true;
    status_ = shell_status(st);
    exit_time_ = Clock::now();
  }
  for (pid_t sup : extra_supervisors_) wait_gone(sup, 2000ms);

  // What survived the supervisor was reparented to us. After a supervisor exited on its own
  // that is a bug (SPEC 6: "When the supervisor exits, no process of the app remains"); a
  // process that is dying anyway gets a moment to become a zombie first.
  if (!harness_killed) {
    std::vector<pid_t> alive;
    eventually(
        [&] {
          alive.clear();
          for (pid_t p : unowned_descendants(this)) {
            if (is_alive(p)) alive.push_back(p);
          }
          return alive.empty();
        },
        1000ms);
    for (pid_t p : alive) {
      ADD_FAILURE() << "process " << p << " (" << cmdline_of(p)
                    << ") is still alive after the supervisor " << pid_ << " exited\n"
                    << log();
    }
  }
  kill_and_reap(this, unowned_descendants(this));

  auto cgroups = cgroups_named(cgroup_names_);
  for (const auto& dir : cgroups) {
    if (!harness_killed) {
      ADD_FAILURE() << "cgroup left behind after the supervisor exited: " << dir << "\n" << log();
    }
    remove_cgroup_tree(dir);
  }
}

void SupervisedRun::type(const std::string& keys) {
  if (pty_master_ < 0) {
    ADD_FAILURE() << "type(): this run has no terminal";
    return;
  }
  if (write(pty_master_, keys.data(), keys.size()) != static_cast<ssize_t>(keys.size())) {
    ADD_FAILURE() << "write to the terminal: " << strerror(errno);
  }
}

void SupervisedRun::track_extra_supervisor(pid_t pid) {
  extra_supervisors_.push_back(pid);
  cgroup_names_.push_back(app_cgroup_name(pid, pid));
}

void SupervisedRun::reap_if_exited() {
  if (exited_ || pid_ <= 0) return;
  int st = 0;
  pid_t r = waitpid(child_, &st, WNOHANG);
  if (r == child_) {
    exited_ = true;
    status_ = shell_status(st);
    exit_time_ = Clock::now();
  }
}

// One poll over the output pipes (and the pidfd if `wait_for_exit`); reads what arrived.
// Returns false if there was nothing left to wait on.
bool SupervisedRun::poll_once(int timeout_ms, bool wait_for_exit) {
  pollfd fds[3];
  int n = 0;
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  if (wait_for_exit && !exited_ && exit_fd_ >= 0) fds[n++] = {exit_fd_, POLLIN, 0};
  if (n == 0) return false;
  int r = poll(fds, static_cast<nfds_t>(n), timeout_ms);
  if (r < 0 && errno != EINTR) {
    ADD_FAILURE() << "poll: " << strerror(errno);
    return false;
  }
  read_available(0);
  reap_if_exited();
  return true;
}

void SupervisedRun::read_available(int /*timeout_ms*/) {
  struct Source {
    int* fd;
    std::string* buf;
    std::vector<Line>* lines;
  };
  for (Source s : {Source{&out_fd_, &out_buf_, &out_lines_}, Source{&err_fd_, &err_buf_, &err_lines_}}) {
    if (*s.fd < 0) continue;
    char chunk[4096];
    for (;;) {
      ssize_t n = read(*s.fd, chunk, sizeof chunk);
      if (n > 0) {
        for (ssize_t i = 0; i < n; ++i) {
          if (!strip_cr_ || chunk[i] != '\r') s.buf->push_back(chunk[i]);
        }
        take_lines(*s.buf, *s.lines, false);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (n < 0 && errno == EIO)) {  // EOF: every writer is gone (EIO: a pty's)
        take_lines(*s.buf, *s.lines, true);
        close(*s.fd);
        *s.fd = -1;
      }
      break;  // EAGAIN: nothing more for now
    }
  }
}

// The first line from `*from` on that matches; `*from` ends just past it (or at the end).
std::optional<Match> SupervisedRun::search(Stream stream, const std::string& regex,
                                           Millis deadline, size_t* from) {
  std::regex re(regex);
  const auto& lines = stream == Stream::kOut ? out_lines_ : err_lines_;
  const int& fd = stream == Stream::kOut ? out_fd_ : err_fd_;
  auto until = Clock::now() + deadline;
  read_available(0);
  for (;;) {
    for (; *from < lines.size(); ++*from) {
      std::smatch m;
      if (std::regex_search(lines[*from].text, m, re)) {
        Match match{lines[*from].text, {}, lines[*from].at};
        for (const auto& g : m) match.groups.push_back(g.str());
        ++*from;
        return match;
      }
    }
    if (fd < 0 || Clock::now() >= until) return std::nullopt;
    poll_once(remaining_ms(until), false);
  }
}

std::optional<Match> SupervisedRun::find_line(Stream stream, const std::string& regex,
                                              Millis deadline) {
  return search(stream, regex, deadline, stream == Stream::kOut ? &out_cursor_ : &err_cursor_);
}

std::optional<Match> SupervisedRun::expect_line(Stream stream, const std::string& regex,
                                                Millis deadline) {
  return found_or_fail(find_line(stream, regex, deadline), stream, regex, deadline);
}

std::optional<Match> SupervisedRun::expect_anywhere(Stream stream, const std::string& regex,
                                                    Millis deadline) {
  return found_or_fail(find_anywhere(stream, regex, deadline), stream, regex, deadline);
}

std::optional<Match> SupervisedRun::found_or_fail(std::optional<Match> m, Stream stream,
                                                  const std::string& regex, Millis deadline) {
  if (!m) {
    ADD_FAILURE() << "no line matching /" << regex << "/ on "
                  << (stream == Stream::kOut ? "stdout" : "stderr") << " within "
                  << deadline.count() << " ms\n"
                  << log();
  }
  return m;
}

std::optional<Match> SupervisedRun::find_anywhere(Stream stream, const std::string& regex,
                                                  Millis deadline) {
  size_t from = 0;
  return search(stream, regex, deadline, &from);
}

bool SupervisedRun::running() {
  reap_if_exited();
  return !exited_;
}

const std::vector<Line>& SupervisedRun::lines(Stream stream) {
  read_available(0);
  return stream == Stream::kOut ? out_lines_ : err_lines_;
}

int SupervisedRun::count(Stream stream, const std::string& regex) {
  std::regex re(regex);
  int n = 0;
  for (const auto& line : lines(stream)) n += std::regex_search(line.text, re) ? 1 : 0;
  return n;
}

void SupervisedRun::send(int sig) {
  if (pidfd_ < 0 || exited_) {
    ADD_FAILURE() << "send(" << sigabbrev_np(sig) << "): the supervisor is not running\n"
                  << log();
    return;
  }
  if (pidfd_send_signal(pidfd_, sig, nullptr, 0) != 0) {
    ADD_FAILURE() << "pidfd_send_signal: " << strerror(errno);
  }
}

std::optional<int> SupervisedRun::wait_exit(Millis deadline) {
  auto until = Clock::now() + deadline;
  while (!exited_ && pid_ > 0) {
    if (Clock::now() >= until) {
      ADD_FAILURE() << "the supervisor did not exit within " << deadline.count() << " ms\n"
                    << log();
      return std::nullopt;
    }
    poll_once(remaining_ms(until), true);
  }
  read_available(0);
  return status_;
}

bool SupervisedRun::still_running_after(Millis within) {
  auto until = Clock::now() + within;
  while (!exited_ && Clock::now() < until) poll_once(remaining_ms(until), true);
  return !exited_;
}

void SupervisedRun::drain(Millis deadline) {
  auto until = Clock::now() + deadline;
  while ((out_fd_ >= 0 || err_fd_ >= 0) && Clock::now() < until) {
    poll_once(remaining_ms(until), false);
  }
}

std::string SupervisedRun::log() {
  read_available(0);
  std::ostringstream os;
  os << "---- command:";
  for (const auto& a : argv_) os << ' ' << a;
  os << "\n---- supervisor pid " << pid_;
  if (exited_ && status_) os << ", exited with " << *status_;
  os << "\n---- stdout:\n";
  for (const auto& l : out_lines_) {
    os << "  [" << static_cast<long>(ms_between(start_time_, l.at)) << " ms] " << l.text << '\n';
  }
  if (!out_buf_.empty()) os << "  (partial) " << out_buf_ << '\n';
  os << "---- stderr:\n";
  for (const auto& l : err_lines_) {
    os << "  [" << static_cast<long>(ms_between(start_time_, l.at)) << " ms] " << l.text << '\n';
  }
  if (!err_buf_.empty()) os << "  (partial) " << err_buf_ << '\n';
  return os.str();
}

// ---- Outsider ----

Outsider::Outsider(std::vector<std::string> testapp_args) {
  std::vector<std::string> args = {kTestapp};
  args.insert(args.end(), testapp_args.begin(), testapp_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid_ < 0) ADD_FAILURE() << "fork: " << strerror(errno);
  else exempt().insert(pid_);
}

Outsider::~Outsider() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  exempt().erase(pid_);
}

// ---- /proc ----

std::optional<ProcStat> read_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  ProcStat st;
  st.pid = pid;
  st.comm = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 2));
  rest >> st.state >> st.ppid >> st.pgrp >> st.session;
  std::string skip;
  for (int field = 7; field < 22 && rest >> skip; ++field) {
  }
  rest >> st.starttime;
  if (!rest) return std::nullopt;
  return st;
}

bool is_alive(pid_t pid) {
  auto st = read_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

bool is_zombie(pid_t pid) {
  auto st = read_stat(pid);
  return st && st->state == 'Z';
}

namespace {
std::vector<ProcStat> all_processes() {
  std::vector<ProcStat> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    if (auto st = read_stat(static_cast<pid_t>(pid))) out.push_back(*st);
  }
  closedir(dir);
  return out;
}
}  // namespace

pid_t parent_of(pid_t pid) {
  auto st = read_stat(pid);
  return st ? st->ppid : 0;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  for (const auto& st : all_processes()) {
    if (st.ppid == pid) out.push_back(st.pid);
  }
  return out;
}

std::vector<pid_t> live_children_of(pid_t pid) {
  std::vector<pid_t> out;
  for (const auto& st : all_processes()) {
    if (st.ppid == pid && st.state != 'Z' && st.state != 'X') out.push_back(st.pid);
  }
  return out;
}

std::vector<pid_t> descendants_of(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& st : all_processes()) children.emplace(st.ppid, st.pid);
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

std::vector<pid_t> zombies_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& st : all_processes()) {
    if (st.ppid == parent && st.state == 'Z') out.push_back(st.pid);
  }
  return out;
}

std::string cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), '\0', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string exe_of(pid_t pid) {
  char buf[4096];
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

std::optional<std::string> environ_of(pid_t pid, const std::string& name) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/environ");
  if (!text) return std::nullopt;
  std::string prefix = name + "=";
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\0', start);
    if (end == std::string::npos) end = text->size();
    if (text->compare(start, prefix.size(), prefix) == 0) {
      return text->substr(start + prefix.size(), end - start - prefix.size());
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      auto value = line.find_first_not_of(" \t", name.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return std::nullopt;
}

std::map<std::string, std::string> cgroups_of(pid_t pid) {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    out[line.substr(0, first)] = line.substr(second + 1);
  }
  return out;
}

bool catches_signal(pid_t pid, int sig) {
  auto mask = [&](const std::string& field) -> unsigned long long {
    auto value = status_field(pid, field);
    return value ? strtoull(value->c_str(), nullptr, 16) : 0;
  };
  const unsigned long long bit = 1ULL << (sig - 1);
  return (mask("SigCgt") & bit) != 0 && (mask("SigBlk") & bit) == 0;
}

bool signal_pid(pid_t pid, int sig) {
  int fd = pidfd_open(pid, 0);
  if (fd < 0) return false;
  int r = pidfd_send_signal(fd, sig, nullptr, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  return r == 0;
}

bool eventually(const std::function<bool()>& condition, Millis deadline, Millis step) {
  auto until = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= until) return false;
    poll(nullptr, 0, static_cast<int>(std::min<long>(step.count(), remaining_ms(until) + 1)));
  }
}

ExitWatch::ExitWatch(pid_t pid) : pid_(pid), fd_(pidfd_open(pid, 0)) {}

ExitWatch::~ExitWatch() {
  if (fd_ >= 0) close(fd_);
}

std::optional<Clock::time_point> ExitWatch::wait(Millis deadline) {
  if (fd_ < 0) return Clock::now();  // ESRCH: already gone and reaped
  pollfd p{fd_, POLLIN, 0};
  int r;
  auto until = Clock::now() + deadline;
  do r = poll(&p, 1, remaining_ms(until));
  while (r < 0 && errno == EINTR);
  if (r <= 0) return std::nullopt;
  auto at = Clock::now();
  auto st = read_stat(pid_);
  if (st && st->ppid == getpid()) waitpid(pid_, nullptr, 0);
  return at;
}

bool wait_gone(pid_t pid, Millis deadline) { return ExitWatch(pid).wait(deadline).has_value(); }

// ---- cgroups ----

namespace {
// Directories under any cgroup mount, however deep, whose name `matches`.
std::vector<std::string> find_cgroups(const std::function<bool(const std::string&)>& matches) {
  std::vector<std::string> found;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    std::istringstream in(line);
    std::string id, parent, dev, root, mountpoint, word;
    in >> id >> parent >> dev >> root >> mountpoint;
    while (in >> word && word != "-") {
    }
    std::string fstype;
    in >> fstype;
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(mountpoint, fs::directory_options::skip_permission_denied, ec), end;
         it != end; it.increment(ec)) {
      if (ec) break;
      if (!it->is_directory(ec)) continue;
      if (matches(it->path().filename())) found.push_back(it->path());
    }
  }
  return found;
}
}  // namespace

std::vector<std::string> leftover_cgroups(const std::vector<pid_t>& pids) {
  return find_cgroups([&](const std::string& name) {
    for (pid_t p : pids) {
      if (name.rfind("supervisor." + std::to_string(p) + ".", 0) == 0) return true;
    }
    return false;
  });
}

std::string app_cgroup_name(pid_t pid, pid_t pid_in_ns) {
  auto st = read_stat(pid);
  struct stat ns {};
  if (!st || stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &ns) != 0) return "";
  return "supervisor." + std::to_string(pid_in_ns) + "." + std::to_string(st->starttime) + "." +
         std::to_string(ns.st_ino);
}

std::vector<std::string> cgroups_named(const std::vector<std::string>& names) {
  return find_cgroups([&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  });
}

// ---- files ----

TempDir::TempDir() {
  char templ[] = "/tmp/sup-e2e.XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << strerror(errno);
    return;
  }
  path_ = templ;
  chmod(templ, 0755);  // reachable by the unprivileged user of the privilege tests
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) ADD_FAILURE() << "cannot write " << path;
  }
  chmod(path.c_str(), mode);
}

std::optional<long> read_pid_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  char* end = nullptr;
  long v = strtol(text->c_str(), &end, 10);
  if (end == text->c_str()) return std::nullopt;
  return v;
}

void E2ETest::TearDown() {
  // Every run of the test is gone by now: anything still below the test process is a leak.
  std::vector<pid_t> left;
  for (pid_t p : unowned_descendants(nullptr)) {
    if (is_alive(p)) left.push_back(p);
  }
  for (pid_t p : left) {
    ADD_FAILURE() << "process left behind by the test: " << p << " " << cmdline_of(p);
  }
  kill_and_reap(nullptr, unowned_descendants(nullptr));
}

std::vector<std::string> supervise(std::vector<std::string> options,
                                   std::vector<std::string> testapp_args) {
  options.push_back("--");
  options.push_back(kTestapp);
  options.insert(options.end(), testapp_args.begin(), testapp_args.end());
  return options;
}

std::string regex_escape(const std::string& text) {
  static const std::string kMeta = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : text) {
    if (kMeta.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::vector<pid_t> expect_tree_pids(SupervisedRun& run) {
  std::vector<pid_t> pids;
  auto line = run.expect_out(R"(^tree pids=([\d,]+)$)");
  if (!line) return pids;
  std::istringstream in(line->groups[1]);
  for (std::string p; std::getline(in, p, ',');) pids.push_back(static_cast<pid_t>(std::stol(p)));
  run.expect_out("^tree ready$");
  return pids;
}

}  // namespace e2e
