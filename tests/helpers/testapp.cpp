// testapp: the one helper program the end-to-end tests run under the supervisor.
//
// Every sub-command announces what the test waits for on stdout, one line at a time, written
// with write(2) so nothing sits in a stdio buffer when the process is killed. A sub-command waits
// forever only where the table below says so; nothing here sleeps to synchronise with anything.
//
//   exit N                 exit with status N
//   crash SIG              die of SIG (name or number) with its default disposition, no core file
//   sleep                  wait forever (default dispositions: any fatal signal ends it)
//   print-signals [keep]   print "ready pid=N", then "signal NAME" per signal; exit 0 after TERM/INT
//                          (with "keep": never exit)
//   state                  print "blocked=HEX ignored=HEX fds=0,1,2 pgid=N pid=N sid=N", wait forever
//   ignore-term            ignore SIGTERM, print "ready pid=N", wait forever
//   upgrade [GEN]          print "ready pid=N gen=K"; USR1 -> "gen=K got USR1 pid=N"; USR2 -> fork+exec
//                          "upgrade K+1"; the old process exits once the new one is ready
//                          (a failed upgrade is rolled back: the old one keeps running);
//                          TERM/INT/QUIT -> "gen=K got SIG pid=N" and exit 0
//   daemonize PIDFILE      double-fork + setsid; the daemon writes PIDFILE atomically, prints
//                          "ready pid=N" and behaves like print-signals; the original exits 0 once
//                          the daemon is ready (1 if the daemon died first)
//   daemonize PIDFILE EXE  a daemon of another executable: it execs EXE before the launcher
//                          exits and writes PIDFILE only once the launcher is gone
//   spawn-orphans N        leave N processes orphaned (reparented to the nearest subreaper); they
//                          exit as soon as they are orphans; then print "orphans done", wait forever
//   fork-tree N [ignore-term]
//                          build N more processes (plain children, setsid'd children, double-forked
//                          setsid'd daemons, nested grandchildren), all waiting forever; print
//                          "tree pids=a,b,..." and "tree ready", wait forever
//   id                     print "uid=N gid=N groups=a,b euid=N egid=N setuid0=ok|failed", exit 0
//   flap N FILE [SECONDS]  count runs in FILE; runs 1..N print "flap run=K fail" and exit 1; later
//                          runs print "flap run=K ok pid=N" and wait forever, or, with SECONDS, run
//                          that long, print "flap run=K done" and exit 1
//   args ARG...            print "args=A|B|C" (the arguments after "args"), exit 0
//
// Code between fork and exec or _exit in a child only calls async-signal-safe functions, or
// runs in a process that is single-threaded, where formatting into a stack buffer is safe.

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

constexpr int kUsage = 64;  // EX_USAGE: the test called testapp wrongly

// One line to stdout with a single write(2), so lines of different processes never interleave.
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char* fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > static_cast<int>(sizeof buf) - 2) n = static_cast<int>(sizeof buf) - 2;
  buf[n++] = '\n';
  const char* p = buf;
  while (n > 0) {
    ssize_t w = write(STDOUT_FILENO, p, static_cast<size_t>(n));
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= static_cast<int>(w);
  }
}

[[noreturn]] void die(const char* what) {
  dprintf(STDERR_FILENO, "testapp: %s: %s\n", what, strerror(errno));
  _exit(kUsage);
}

[[noreturn]] void wait_forever() {
  for (;;) pause();
}

bool parse_long(const char* text, long* out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

int signal_from_name(const char* text) {
  long n = 0;
  if (parse_long(text, &n)) return static_cast<int>(n);
  if (strncmp(text, "SIG", 3) == 0) text += 3;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && strcmp(abbrev, text) == 0) return sig;
  }
  return 0;
}

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "RTMIN+" + std::to_string(sig - SIGRTMIN);
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? abbrev : std::to_string(sig);
}

// Blocks every signal and returns the next one, retrying on EINTR.
int next_signal() {
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig > 0) return sig;
    if (errno != EINTR) die("sigwaitinfo");
  }
}

void block_all_signals() {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
}

// Reports every signal; a TERM or INT is reported and then ends the process with status 0, the
// way a daemon shuts down gracefully (unless `keep`). Expects all signals to be blocked already.
[[noreturn]] void signal_loop(bool keep = false) {
  for (;;) {
    int sig = next_signal();
    say("signal %s", signal_name(sig).c_str());
    if (!keep && (sig == SIGTERM || sig == SIGINT)) _exit(0);
  }
}

int cmd_exit(int argc, char** argv) {
  long code = 0;
  if (argc < 3 || !parse_long(argv[2], &code)) return kUsage;
  return static_cast<int>(code);
}

int cmd_crash(int argc, char** argv) {
  if (argc < 3) return kUsage;
  int sig = signal_from_name(argv[2]);
  if (sig <= 0) return kUsage;
  // No core file: core_pattern may be a plain "core" in the working directory.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  sigprocmask(SIG_UNBLOCK, &one, nullptr);
  raise(sig);
  return 99;  // the signal did not kill us (e.g. SIGCHLD): tell the test something is off
}

int cmd_print_signals(int argc, char** argv) {
  bool keep = argc >= 3 && strcmp(argv[2], "keep") == 0;
  block_all_signals();
  say("ready pid=%d", getpid());
  signal_loop(keep);
}

std::string status_field(const char* name) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) return "?";
  char line[512];
  std::string value = "?";
  size_t len = strlen(name);
  while (fgets(line, sizeof line, f) != nullptr) {
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      char* v = line + len + 1;
      while (*v == ' ' || *v == '\t') ++v;
      v[strcspn(v, "\n")] = '\0';
      value = v;
      break;
    }
  }
  fclose(f);
  return value;
}

int cmd_state() {
  // Read before anything else changes: this is what the supervisor handed over at exec.
  std::string blocked = status_field("SigBlk");
  std::string ignored = status_field("SigIgn");
  std::string fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) die("opendir /proc/self/fd");
  std::vector<long> numbers;
  while (dirent* e = readdir(dir)) {
    long fd = 0;
    if (!parse_long(e->d_name, &fd) || fd == dirfd(dir)) continue;
    numbers.push_back(fd);
  }
  closedir(dir);
  std::sort(numbers.begin(), numbers.end());
  for (long fd : numbers) fds += (fds.empty() ? "" : ",") + std::to_string(fd);
  say("blocked=%s ignored=%s fds=%s pgid=%d pid=%d sid=%d", blocked.c_str(), ignored.c_str(),
      fds.c_str(), getpgrp(), getpid(), getsid(0));
  wait_forever();
}

int cmd_ignore_term() {
  signal(SIGTERM, SIG_IGN);
  say("ready pid=%d", getpid());
  wait_forever();
}

// upgrade GEN [READY_FD]: READY_FD is the pipe on which the previous generation waits.
int cmd_upgrade(int argc, char** argv) {
  long gen = 1;
  if (argc >= 3 && !parse_long(argv[2], &gen)) return kUsage;
  block_all_signals();
  const int me = getpid();
  say("ready pid=%d gen=%ld", me, gen);
  long ready_fd = -1;
  if (argc >= 4 && parse_long(argv[3], &ready_fd) && ready_fd >= 0) {
    const char byte = 'r';
    (void)!write(static_cast<int>(ready_fd), &byte, 1);
    close(static_cast<int>(ready_fd));
  }
  for (;;) {
    int sig = next_signal();
    if (sig == SIGUSR1) {
      say("gen=%ld got USR1 pid=%d", gen, me);
    } else if (sig == SIGUSR2) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) die("pipe2");
      // Everything the child needs is prepared before fork.
      std::string next_gen = std::to_string(gen + 1);
      std::string fd_text = std::to_string(p[1]);
      char* child_argv[] = {argv[0], const_cast<char*>("upgrade"), next_gen.data(),
                            fd_text.data(), nullptr};
      pid_t child = fork();
      if (child < 0) die("fork");
      if (child == 0) {
        close(p[0]);
        fcntl(p[1], F_SETFD, 0);  // the write end survives exec
        execv("/proc/self/exe", child_argv);
        _exit(127);
      }
      close(p[1]);
      char byte = 0;
      ssize_t n;
      do n = read(p[0], &byte, 1);
      while (n < 0 && errno == EINTR);
      close(p[0]);
      if (n == 1) {
        say("gen=%ld retiring pid=%d", gen, me);
        _exit(0);
      }
      say("gen=%ld upgrade failed pid=%d", gen, me);  // the new one died: keep serving
      waitpid(child, nullptr, 0);
    } else if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
      say("gen=%ld got %s pid=%d", gen, signal_name(sig).c_str(), me);
      _exit(0);
    } else {
      say("gen=%ld got %s pid=%d", gen, signal_name(sig).c_str(), me);
    }
  }
}

bool write_file_atomically(const char* path, const char* text) {
  std::string tmp = std::string(path) + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t len = strlen(text);
  bool ok = write(fd, text, len) == static_cast<ssize_t>(len);
  ok = (close(fd) == 0) && ok;
  return ok && rename(tmp.c_str(), path) == 0;
}

// daemonize PIDFILE EXE: the daemon execs EXE (another executable) before the launcher exits,
// and writes PIDFILE only after the launcher is gone, so neither "same executable" nor the
// hint file can name it when the launcher exits (SPEC 5, step 4).
int cmd_daemonize_late(const char* pidfile, char* exe) {
  block_all_signals();
  int launcher_alive[2], execd[2];
  if (pipe2(launcher_alive, O_CLOEXEC) != 0 || pipe2(execd, O_CLOEXEC) != 0) die("pipe2");
  std::string alive_fd = std::to_string(launcher_alive[0]);
  std::string execd_fd = std::to_string(execd[1]);
  char* daemon_argv[] = {exe, const_cast<char*>("late-daemon"), const_cast<char*>(pidfile),
                         alive_fd.data(), execd_fd.data(), nullptr};
  pid_t first = fork();
  if (first < 0) die("fork");
  if (first == 0) {
    setsid();
    pid_t second = fork();
    if (second != 0) _exit(second < 0 ? 1 : 0);
    close(launcher_alive[1]);
    close(execd[0]);
    fcntl(launcher_alive[0], F_SETFD, 0);
    fcntl(execd[1], F_SETFD, 0);
    execv(exe, daemon_argv);
    _exit(127);
  }
  close(launcher_alive[0]);
  close(execd[1]);
  waitpid(first, nullptr, 0);
  char byte = 0;
  ssize_t n;
  do n = read(execd[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : 1;  // exiting closes launcher_alive[1]: the daemon goes on
}

// late-daemon PIDFILE ALIVE_FD EXECD_FD (started by daemonize PIDFILE EXE)
int cmd_late_daemon(int argc, char** argv) {
  long alive = -1, execd = -1;
  if (argc < 5 || !parse_long(argv[3], &alive) || !parse_long(argv[4], &execd)) return kUsage;
  block_all_signals();
  const char byte = 'x';
  (void)!write(static_cast<int>(execd), &byte, 1);
  close(static_cast<int>(execd));
  char c;
  while (read(static_cast<int>(alive), &c, 1) < 0 && errno == EINTR) {
  }
  close(static_cast<int>(alive));
  char text[32];
  snprintf(text, sizeof text, "%d\n", getpid());
  if (!write_file_atomically(argv[2], text)) die("write pidfile");
  say("ready pid=%d", getpid());
  signal_loop();
}

int cmd_daemonize(int argc, char** argv) {
  if (argc < 3) return kUsage;
  const char* pidfile = argv[2];
  if (argc >= 4) return cmd_daemonize_late(pidfile, argv[3]);
  // Blocked from the start, so a signal sent as soon as the daemon is known is never lost.
  block_all_signals();
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) die("pipe2");
  pid_t first = fork();
  if (first < 0) die("fork");
  if (first == 0) {
    close(ready[0]);
    setsid();
    pid_t second = fork();
    if (second < 0) _exit(1);
    if (second > 0) _exit(0);  // the daemon is orphaned: adopted by the nearest subreaper
    char text[32];
    snprintf(text, sizeof text, "%d\n", getpid());
    if (!write_file_atomically(pidfile, text)) _exit(1);
    say("ready pid=%d", getpid());
    const char byte = 'r';
    (void)!write(ready[1], &byte, 1);
    close(ready[1]);
    signal_loop();
  }
  close(ready[1]);
  waitpid(first, nullptr, 0);
  char byte = 0;
  ssize_t n;
  do n = read(ready[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : 1;
}

int cmd_spawn_orphans(int argc, char** argv) {
  long count = 0;
  if (argc < 3 || !parse_long(argv[2], &count) || count < 0) return kUsage;
  // hold: the orphans wait on it for EOF, which comes when their parent has exited.
  // done: we wait on it for EOF, which comes when every orphan has exited.
  int hold[2], done[2];
  if (pipe(hold) != 0 || pipe(done) != 0) die("pipe");
  pid_t parent = fork();
  if (parent < 0) die("fork");
  if (parent == 0) {
    close(hold[0]);
    close(done[0]);
    for (long i = 0; i < count; ++i) {
      pid_t orphan = fork();
      if (orphan < 0) _exit(1);
      if (orphan == 0) {
        close(hold[1]);
        char byte;
        while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {
        }
        _exit(0);  // an orphan now: it becomes a zombie of the subreaper
      }
    }
    _exit(0);
  }
  close(hold[0]);
  close(hold[1]);
  close(done[1]);
  int status = 0;
  waitpid(parent, &status, 0);
  char byte;
  while (read(done[0], &byte, 1) != 0) {
    if (errno != EINTR) break;
  }
  close(done[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    say("orphans failed");
    return 1;
  }
  say("orphans done");
  wait_forever();
}

// A tree member: reports its PID on fd `report`, then waits forever.
[[noreturn]] void tree_member(int report, bool ignore_term) {
  if (ignore_term) signal(SIGTERM, SIG_IGN);
  pid_t me = getpid();
  (void)!write(report, &me, sizeof me);
  close(report);
  wait_forever();
}

int cmd_fork_tree(int argc, char** argv) {
  long count = 0;
  if (argc < 3 || !parse_long(argv[2], &count) || count < 1) return kUsage;
  bool ignore_term = argc >= 4 && strcmp(argv[3], "ignore-term") == 0;
  int report[2];
  if (pipe(report) != 0) die("pipe");
  long made = 0;
  for (int kind = 0; made < count; kind = (kind + 1) % 4) {
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      close(report[0]);
      switch (kind) {
        case 0:  // a plain child
          tree_member(report[1], ignore_term);
        case 1:  // a child in a session of its own
          setsid();
          tree_member(report[1], ignore_term);
        case 2: {  // a double-forked daemon: orphaned, new session
          pid_t grandchild = fork();
          if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
          setsid();
          tree_member(report[1], ignore_term);
        }
        default: {  // a child with a grandchild of its own, in a new process group
          setpgid(0, 0);
          pid_t grandchild = fork();
          if (grandchild < 0) _exit(1);
          if (grandchild == 0) tree_member(report[1], ignore_term);
          tree_member(report[1], ignore_term);
        }
      }
    }
    if (kind == 2) waitpid(child, nullptr, 0);
    made += (kind == 3) ? 2 : 1;
  }
  close(report[1]);
  std::string pids;
  for (long i = 0; i < made; ++i) {
    pid_t pid = 0;
    ssize_t n = read(report[0], &pid, sizeof pid);
    if (n < 0 && errno == EINTR) {
      --i;
      continue;
    }
    if (n != static_cast<ssize_t>(sizeof pid)) {
      say("tree failed");
      return 1;
    }
    pids += (pids.empty() ? "" : ",") + std::to_string(pid);
  }
  close(report[0]);
  say("tree pids=%s", pids.c_str());
  say("tree ready");
  wait_forever();
}

int cmd_id() {
  gid_t groups[256];
  int n = getgroups(256, groups);
  std::string list;
  for (int i = 0; i < n; ++i) list += (i ? "," : "") + std::to_string(groups[i]);
  uid_t uid = getuid();
  gid_t gid = getgid();
  uid_t euid = geteuid();
  gid_t egid = getegid();
  // Can the app get root back? It must not once privileges were dropped.
  bool regained = uid != 0 && setuid(0) == 0;
  say("uid=%u gid=%u groups=%s euid=%u egid=%u setuid0=%s", uid, gid, list.c_str(), euid, egid,
      uid == 0 ? "root" : (regained ? "ok" : "failed"));
  return 0;
}

int cmd_flap(int argc, char** argv) {
  long failures = 0;
  if (argc < 4 || !parse_long(argv[2], &failures)) return kUsage;
  const char* file = argv[3];
  double seconds = -1;
  if (argc >= 5) {
    char* end = nullptr;
    seconds = strtod(argv[4], &end);
    if (*end != '\0' || seconds < 0) return kUsage;
  }
  long run = 0;
  if (FILE* f = fopen(file, "r")) {
    if (fscanf(f, "%ld", &run) != 1) run = 0;
    fclose(f);
  }
  ++run;
  FILE* f = fopen(file, "w");
  if (f == nullptr) die("fopen counter file");
  fprintf(f, "%ld\n", run);
  fclose(f);
  if (run <= failures) {
    say("flap run=%ld fail", run);
    return 1;
  }
  say("flap run=%ld ok pid=%d", run, getpid());
  if (seconds < 0) wait_forever();
  // The run's length is the behaviour under test (a healthy run), not a synchronisation.
  timespec ts{static_cast<time_t>(seconds),
              static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  say("flap run=%ld done", run);
  return 1;
}

int cmd_args(int argc, char** argv) {
  std::string joined;
  for (int i = 2; i < argc; ++i) joined += (i > 2 ? "|" : "") + std::string(argv[i]);
  say("args=%s", joined.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    dprintf(STDERR_FILENO, "usage: testapp SUBCOMMAND [ARGS...] (see the source)\n");
    return kUsage;
  }
  // No core files from a QUIT or a crash: core_pattern may write them into the working directory.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  const std::string cmd = argv[1];
  if (cmd == "exit") return cmd_exit(argc, argv);
  if (cmd == "crash") return cmd_crash(argc, argv);
  if (cmd == "sleep") wait_forever();
  if (cmd == "print-signals") return cmd_print_signals(argc, argv);
  if (cmd == "state") return cmd_state();
  if (cmd == "ignore-term") return cmd_ignore_term();
  if (cmd == "upgrade") return cmd_upgrade(argc, argv);
  if (cmd == "daemonize") return cmd_daemonize(argc, argv);
  if (cmd == "late-daemon") return cmd_late_daemon(argc, argv);
  if (cmd == "spawn-orphans") return cmd_spawn_orphans(argc, argv);
  if (cmd == "fork-tree") return cmd_fork_tree(argc, argv);
  if (cmd == "id") return cmd_id();
  if (cmd == "flap") return cmd_flap(argc, argv);
  if (cmd == "args") return cmd_args(argc, argv);
  dprintf(STDERR_FILENO, "testapp: unknown sub-command %s\n", cmd.c_str());
  return kUsage;
}
