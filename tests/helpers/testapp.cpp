// testapp: the one helper program the end-to-end tests run under the supervisor.
//
// Every sub-command announces what the test waits for on stdout, one line at a time, written
// with write(2) so nothing sits in a stdio buffer when the process is killed. A sub-command waits
// forever only where the table below says so; nothing here sleeps to synchronise with anything.
//
//   exit N                 exit with status N
//   crash SIG              die of SIG (name or number) with its default disposition, no core file
//   sleep                  wait forever (default dispositions: any fatal signal ends it)
//   print-signals [keep] [stoppable]
//                          print "ready pid=N", then "signal NAME" per signal; exit 0 after
//                          TERM/INT (with "keep": never exit; with "stoppable": TSTP, TTIN and TTOU
//                          keep their default action and stop the process, CONT is still reported)
//   state                  print "blocked=HEX ignored=HEX fds=0,1,2 pgid=N pid=N sid=N", wait
//   forever ignore-term            ignore SIGTERM, print "ready pid=N", wait forever upgrade [GEN]
//   print "ready pid=N gen=K"; USR1 -> "gen=K got USR1 pid=N"; USR2 -> fork+exec
//                          "upgrade K+1"; the old process exits once the new one is ready
//                          (a failed upgrade is rolled back: the old one keeps running);
//                          TERM/INT/QUIT -> "gen=K got SIG pid=N" and exit 0
//   daemonize PIDFILE      double-fork + setsid; the daemon writes PIDFILE atomically, prints
//                          "ready pid=N" and behaves like print-signals; the original exits 0 once
//                          the daemon is ready (1 if the daemon died first)
//   daemonize PIDFILE EXE  a daemon of another executable: it execs EXE before the launcher
//                          exits and writes PIDFILE only once the launcher is gone
//   spawn-orphans N        leave N processes orphaned (reparented to the nearest subreaper); they
//                          exit as soon as they are orphans; then print "orphans done", wait
//                          forever
//   fork-tree N [ignore-term]
//                          build N more processes (plain children, setsid'd children, double-forked
//                          setsid'd daemons, nested grandchildren), all waiting forever; print
//                          "tree pids=a,b,..." and "tree ready", wait forever
//   spawn-heirs N          fork N children that exec this executable ("heir FD"), print
//                          "heir pid=N" and then behave like print-signals; print "heirs ready"
//                          and exit 0 once all are ready (N same-executable candidates for the
//                          main process)
//   upgrade-race [GEN [DELAY_MS]]
//                          print "ready pid=N gen=K"; USR2 -> fork, print "gen=K retiring pid=N
//                          child=C" and exit 0 at once; the child execs "upgrade-race K+1" only
//                          DELAY_MS (100) after its parent is gone: an upgrade that loses the
//                          race to the old process's exit; USR1 -> "gen=K got USR1 pid=N"
//   id                     print "uid=N gid=N groups=a,b euid=N egid=N setuid0=ok|failed", exit 0
//   flap N FILE [SECONDS]  count runs in FILE; runs 1..N print "flap run=K fail" and exit 1; later
//                          runs print "flap run=K ok pid=N" and wait forever, or, with SECONDS, run
//                          that long, print "flap run=K done" and exit 1
//   args ARG...            print "args=A|B|C" (the arguments after "args"), exit 0
//   notify STEP...         print "ready pid=N", run the steps in order, print "notify done pid=N",
//                          then behave like print-signals. A step is a message, sent as one
//                          datagram to $NOTIFY_SOCKET and followed by "sent K" (K counts messages
//                          from 1; "send K failed: WHY" if sendto fails), or one of:
//                            +wait=SIG   report signals ("signal NAME") until SIG arrives
//                            +empty      send an empty datagram
//                            +big=N      send "READY=1\nX=xxx..." of exactly N bytes
//                            +child      send the next message from a child that then waits
//                                        forever (default dispositions)
//                            +store-hangup=NAME  store a pipe's read end (FDSTORE=1, FDNAME=NAME),
//                                        close the write end (POLLHUP); print "stored NAME"
//                            +store-nopoll=NAME  the same with FDPOLL=0
//                            +barrier    sd_notify_barrier: send BARRIER=1 with a pipe's write
//                                        end, print "barrier ok" once the receiver closed it
//                                        ("barrier timeout" after 5 s)
//                          In a message, "{pid}" is our pid and "{ppid}" our parent's.
//   notify-fork [stay]     fork a child that prints "child pid=N" and reports signals as
//                          "child got NAME" (exit 0 after TERM/INT); the parent sends
//                          MAINPID=<child> and a barrier, prints "sent MAINPID=<child>", then
//                          exits 0, or with "stay" reports signals as "parent got NAME" (exit 0
//                          after TERM/INT)
//   watchdog N [survive-abrt]
//                          print "watchdog usec=U pid=N" (U from $WATCHDOG_USEC), send WATCHDOG=1
//                          every U/2 microseconds N times, printing "ping K"; then print "hung"
//                          and wait forever: default dispositions, or with "survive-abrt" all
//                          signals blocked and reported as "signal NAME", never exiting
//   env                    print "env NAME=VALUE" (or "env NAME unset") for NOTIFY_SOCKET,
//                          WATCHDOG_USEC, WATCHDOG_PID, LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES,
//                          then "env nofile=SOFT:HARD" (RLIMIT_NOFILE), "env fdcount=N
//                          highest=FD" (the fd list may be cut at 4 KiB), then
//                          "env pid=N fds=0,1,2,...", then behave like print-signals
//   notify-fd N [+wait=SIG]
//                          print "ready pid=N", (report signals until SIG arrives,) write a newline
//                          to fd N and close it, print "notified fd=N", behave like print-signals
//   echo-server [K]        serve the socket-activated listening socket at fd 3 (LISTEN_PID must
//                          be ours): print "listening pid=N fds=F names=A:B"; per connection read
//                          a line, write it back, close; after K connections (K > 0) print
//                          "crashing pid=N after K connections" and die of SIGSEGV; READY=1 on
//                          $NOTIFY_SOCKET once listening. TERM or INT: finish the connection in
//                          hand, exit 0
//   counter [crash]        a counter in a memfd kept in the supervisor's fd store: the fd named
//                          "counter" in LISTEN_FDNAMES, or a new memfd sent with FDSTORE=1,
//                          FDNAME=counter; add 1, print "counter=N pid=P"; with "crash" die of
//                          SIGSEGV, else behave like print-signals
//   ignore-all [CHILDREN]  ignore every signal that can be ignored (SIG_IGN; CONT too), fork
//                          CHILDREN (0) children that do the same, print "ready pid=N children=
//                          a,b", wait forever: only SIGKILL ends them
//   fork-storm             ignore TERM, then fork short-lived children (each forks one more
//                          and both exit at once) as fast as it can; print "storming pid=N"
//                          after the first 100; gives up after 30 s (bounded) and exits 3
//   notify-flood [fds]     fork a child that sends datagrams to $NOTIFY_SOCKET without pause
//                          ("STATUS=flood K"; with "fds", FDSTORE=1 + FDNAME=flood and a copy
//                          of an fd of /dev/null each), printing "flooded K" after
//                          K = 200 and 1000, for at most 30 s; the parent behaves like
//                          print-signals
//   digest                 print "digest argc=N args=H env=M envsum=H2": FNV-1a over the
//                          arguments after "digest" (each followed by a NUL) and, for the M
//                          environment entries starting with "FAULT_", over them sorted
//   activate N SOFT HARD COMMAND...
//                          what systemd does for a socket-activated service with LimitNOFILE=
//                          SOFT:HARD: N unbound unix sockets at fds 3 .. N+2 (nothing else
//                          beyond stdio), LISTEN_FDS=N, LISTEN_PID=our pid, RLIMIT_NOFILE
//                          SOFT:HARD, then exec COMMAND (an absolute path); exit 65 if that
//                          cannot be set up
//
// Code between fork and exec or _exit in a child only calls async-signal-safe functions, or
// runs in a process that is single-threaded, where formatting into a stack buffer is safe.

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "notify_send.hpp"

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

// The signals a signal loop waits for: all, or all but the job-control stops (which then keep
// their default action: sigwaitinfo would otherwise take them off the queue).
sigset_t& waited_signals() {
  static sigset_t set = [] {
    sigset_t all;
    sigfillset(&all);
    return all;
  }();
  return set;
}

// Returns the next waited-for signal (all blocked), retrying on EINTR.
int next_signal() {
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&waited_signals(), &info);
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
  bool keep = false, stoppable = false;
  for (int i = 2; i < argc; ++i) {
    if (strcmp(argv[i], "keep") == 0) keep = true;
    else if (strcmp(argv[i], "stoppable") == 0) stoppable = true;
    else return kUsage;
  }
  block_all_signals();
  if (stoppable) {
    sigset_t stops;
    sigemptyset(&stops);
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
      sigaddset(&stops, sig);
      sigdelset(&waited_signals(), sig);
    }
    sigprocmask(SIG_UNBLOCK, &stops, nullptr);
  }
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
  // Read before anything else changes: this is what the supervisor handed over at exec. The
  // cgroups first: where the app runs its first instructions (SPEC 5), lines joined by ';'.
  std::string cgroups;
  if (FILE* f = fopen("/proc/self/cgroup", "r")) {
    char line[1024];
    while (fgets(line, sizeof line, f) != nullptr) {
      line[strcspn(line, "\n")] = '\0';
      cgroups += (cgroups.empty() ? "" : ";") + std::string(line);
    }
    fclose(f);
  }
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
  say("blocked=%s ignored=%s fds=%s pgid=%d pid=%d sid=%d cgroups=%s", blocked.c_str(),
      ignored.c_str(), fds.c_str(), getpgrp(), getpid(), getsid(0), cgroups.c_str());
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

int cmd_spawn_heirs(int argc, char** argv) {
  long count = 0;
  if (argc < 3 || !parse_long(argv[2], &count) || count < 1) return kUsage;
  block_all_signals();  // inherited by the heirs: no signal is lost before they wait for it
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) die("pipe2");
  for (long i = 0; i < count; ++i) {
    pid_t heir = fork();
    if (heir < 0) die("fork");
    if (heir == 0) {
      // An heir has exec'd the executable (SPEC 5: a forked child that has not is no heir).
      close(ready[0]);
      fcntl(ready[1], F_SETFD, 0);
      std::string fd_text = std::to_string(ready[1]);
      char* heir_argv[] = {argv[0], const_cast<char*>("heir"), fd_text.data(), nullptr};
      execv("/proc/self/exe", heir_argv);
      _exit(127);
    }
  }
  close(ready[1]);
  for (long i = 0; i < count;) {
    char byte;
    ssize_t n = read(ready[0], &byte, 1);
    if (n == 1) ++i;
    else if (n == 0 || errno != EINTR) return 1;
  }
  say("heirs ready");
  return 0;
}

// spawn-heirs' child after its exec: announce, tell the parent, then print signals.
int cmd_heir(int argc, char** argv) {
  long fd = -1;
  if (argc < 3 || !parse_long(argv[2], &fd) || fd < 0) return kUsage;
  say("heir pid=%d", getpid());
  const char byte = 'r';
  (void)!write(static_cast<int>(fd), &byte, 1);
  close(static_cast<int>(fd));
  signal_loop();
}

// A fork+exec upgrade that loses the race to the old process's exit (SPEC 5, issue 12): on
// USR2 the old process forks and exits at once; the child waits until its parent is gone (EOF
// on a pipe), then DELAY_MS more, as a slow exec under load would, then execs
// "upgrade-race GEN+1 DELAY_MS".
int cmd_upgrade_race(int argc, char** argv) {
  long gen = 1, delay_ms = 100;
  if (argc >= 3 && !parse_long(argv[2], &gen)) return kUsage;
  if (argc >= 4 && !parse_long(argv[3], &delay_ms)) return kUsage;
  block_all_signals();
  const int me = getpid();
  say("ready pid=%d gen=%ld", me, gen);
  for (;;) {
    const int sig = next_signal();
    if (sig == SIGUSR2) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) die("pipe2");
      std::string next_gen = std::to_string(gen + 1);
      std::string delay_text = std::to_string(delay_ms);
      char* child_argv[] = {argv[0], const_cast<char*>("upgrade-race"), next_gen.data(),
                            delay_text.data(), nullptr};
      const pid_t child = fork();
      if (child < 0) die("fork");
      if (child == 0) {
        close(p[1]);
        char byte;
        while (read(p[0], &byte, 1) < 0 && errno == EINTR) {
        }
        const struct timespec delay = {delay_ms / 1000, (delay_ms % 1000) * 1'000'000};
        nanosleep(&delay, nullptr);
        execv("/proc/self/exe", child_argv);
        _exit(127);
      }
      say("gen=%ld retiring pid=%d child=%d", gen, me, child);
      _exit(0);
    } else if (sig == SIGTERM || sig == SIGINT) {
      say("gen=%ld got %s pid=%d", gen, signal_name(sig).c_str(), me);
      _exit(0);
    } else {
      say("gen=%ld got %s pid=%d", gen, signal_name(sig).c_str(), me);
    }
  }
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

// ---- sd_notify, watchdog, socket activation (SPEC 7) ----

// Sends one datagram to $NOTIFY_SOCKET, with `pass_fd` attached (SCM_RIGHTS) if it is >= 0.
// Returns 0 or an errno value.
int send_notify(const std::string& bytes, int pass_fd = -1) {
  const char* address = getenv("NOTIFY_SOCKET");
  return notify_send::send(address != nullptr ? address : "", bytes, pass_fd);
}

// sd_notify_barrier(3): true once the receiver has taken (and closed) the passed fd.
bool notify_barrier() {
  const char* address = getenv("NOTIFY_SOCKET");
  return notify_send::barrier(address != nullptr ? address : "", 5000) == 0;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
}

// Reports signals until `until` arrives (TERM and INT end the process unless waited for).
void wait_for_signal(int until) {
  for (;;) {
    int sig = next_signal();
    say("signal %s", signal_name(sig).c_str());
    if (sig == until) return;
    if (sig == SIGTERM || sig == SIGINT) _exit(0);
  }
}

int cmd_notify(int argc, char** argv) {
  block_all_signals();
  say("ready pid=%d", getpid());
  int sent = 0;
  bool from_child = false;
  for (int i = 2; i < argc; ++i) {
    std::string step = argv[i];
    std::string bytes;
    if (step.rfind("+wait=", 0) == 0) {
      int sig = signal_from_name(step.c_str() + 6);
      if (sig <= 0) return kUsage;
      wait_for_signal(sig);
      continue;
    }
    if (step == "+child") {
      from_child = true;
      continue;
    }
    if (step == "+barrier") {
      say(notify_barrier() ? "barrier ok" : "barrier timeout");
      continue;
    }
    if (step.rfind("+store-hangup=", 0) == 0 || step.rfind("+store-nopoll=", 0) == 0) {
      // Stores a pipe's read end under NAME (+store-nopoll: with FDPOLL=0), then closes the
      // write end, so that the stored fd reports POLLHUP.
      const bool nopoll = step[7] == 'n';
      const std::string name = step.substr(step.find('=') + 1);
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) die("pipe2");
      const int err = send_notify("FDSTORE=1\nFDNAME=" + name + (nopoll ? "\nFDPOLL=0" : ""), p[0]);
      close(p[0]);
      close(p[1]);
      say(err == 0 ? "stored %s" : "store %s failed", name.c_str());
      continue;
    }
    if (step == "+empty") {
      bytes.clear();
    } else if (step.rfind("+big=", 0) == 0) {
      long size = 0;
      if (!parse_long(step.c_str() + 5, &size) || size < 16) return kUsage;
      bytes = "READY=1\nX=";
      bytes.resize(static_cast<size_t>(size), 'x');
    } else {
      bytes = step;
      replace_all(bytes, "{pid}", std::to_string(getpid()));
      replace_all(bytes, "{ppid}", std::to_string(getppid()));
    }
    ++sent;
    if (from_child) {
      from_child = false;
      int done[2];
      if (pipe2(done, O_CLOEXEC) != 0) die("pipe2");
      pid_t child = fork();
      if (child < 0) die("fork");
      if (child == 0) {
        close(done[0]);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        int err = send_notify(bytes);
        (void)!write(done[1], &err, sizeof err);
        close(done[1]);
        wait_forever();
      }
      close(done[1]);
      int err = EIO;
      while (read(done[0], &err, sizeof err) < 0 && errno == EINTR) {
      }
      close(done[0]);
      if (err != 0) say("send %d failed: %s", sent, strerror(err));
      else say("sent %d from pid=%d", sent, child);
      continue;
    }
    int err = send_notify(bytes);
    if (err != 0) say("send %d failed: %s", sent, strerror(err));
    else say("sent %d", sent);
  }
  say("notify done pid=%d", getpid());
  signal_loop();
}

int cmd_notify_fork(int argc, char** argv) {
  bool stay = argc >= 3 && strcmp(argv[2], "stay") == 0;
  block_all_signals();
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) die("pipe2");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(ready[0]);
    say("child pid=%d", getpid());
    const char byte = 'r';
    (void)!write(ready[1], &byte, 1);
    close(ready[1]);
    for (;;) {
      int sig = next_signal();
      say("child got %s", signal_name(sig).c_str());
      if (sig == SIGTERM || sig == SIGINT) _exit(0);
    }
  }
  close(ready[1]);
  char byte = 0;
  ssize_t n;
  do n = read(ready[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  close(ready[0]);
  if (n != 1) die("the child did not start");
  int err = send_notify("MAINPID=" + std::to_string(child));
  if (err != 0) {
    errno = err;
    die("sending MAINPID");
  }
  // The supervisor checks the sender while it is still alive.
  bool barrier = notify_barrier();
  say("sent MAINPID=%d%s", child, barrier ? "" : " (barrier timeout)");
  if (!stay) return 0;
  for (;;) {
    int sig = next_signal();
    say("parent got %s", signal_name(sig).c_str());
    if (sig == SIGTERM || sig == SIGINT) _exit(0);
  }
}

int cmd_watchdog(int argc, char** argv) {
  long pings = 0;
  if (argc < 3 || !parse_long(argv[2], &pings) || pings < 0) return kUsage;
  bool survive = argc >= 4 && strcmp(argv[3], "survive-abrt") == 0;
  const char* usec_text = getenv("WATCHDOG_USEC");
  long usec = 0;
  if (usec_text == nullptr || !parse_long(usec_text, &usec) || usec <= 0) {
    dprintf(STDERR_FILENO, "testapp: watchdog: no WATCHDOG_USEC\n");
    return kUsage;
  }
  if (survive) block_all_signals();
  say("watchdog usec=%ld pid=%d", usec, getpid());
  for (long i = 1; i <= pings; ++i) {
    // The ping rhythm is the behaviour under test, not a synchronisation.
    long half = usec / 2;
    timespec ts{half / 1000000, (half % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    int err = send_notify("WATCHDOG=1");
    if (err != 0) say("ping %ld failed: %s", i, strerror(err));
    else say("ping %ld", i);
  }
  say("hung");
  if (!survive) wait_forever();
  for (;;) say("signal %s", signal_name(next_signal()).c_str());
}

int cmd_env() {
  block_all_signals();
  for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID",
                           "LISTEN_FDS", "LISTEN_FDNAMES"}) {
    const char* value = getenv(name);
    if (value != nullptr) say("env %s=%s", name, value);
    else say("env %s unset", name);
  }
  std::vector<long> numbers;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(dir)) {
      long fd = 0;
      if (parse_long(e->d_name, &fd) && fd != dirfd(dir)) numbers.push_back(fd);
    }
    closedir(dir);
  }
  std::sort(numbers.begin(), numbers.end());
  std::string fds;
  for (long fd : numbers) fds += (fds.empty() ? "" : ",") + std::to_string(fd);
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  say("env nofile=%llu:%llu", static_cast<unsigned long long>(nofile.rlim_cur),
      static_cast<unsigned long long>(nofile.rlim_max));
  say("env fdcount=%zu highest=%ld", numbers.size(), numbers.empty() ? -1L : numbers.back());
  say("env pid=%d fds=%s", getpid(), fds.c_str());
  signal_loop();
}

int cmd_notify_fd(int argc, char** argv) {
  long fd = -1;
  if (argc < 3 || !parse_long(argv[2], &fd) || fd < 0) return kUsage;
  int wait_sig = 0;
  if (argc >= 4) {
    if (strncmp(argv[3], "+wait=", 6) != 0) return kUsage;
    wait_sig = signal_from_name(argv[3] + 6);
    if (wait_sig <= 0) return kUsage;
  }
  block_all_signals();
  say("ready pid=%d", getpid());
  if (wait_sig > 0) wait_for_signal(wait_sig);
  const char newline = '\n';
  if (write(static_cast<int>(fd), &newline, 1) != 1) {
    say("notify-fd %ld failed: %s", fd, strerror(errno));
  } else {
    close(static_cast<int>(fd));
    say("notified fd=%ld", fd);
  }
  signal_loop();
}

volatile sig_atomic_t g_stop_requested = 0;
void request_stop(int) { g_stop_requested = 1; }

int cmd_echo_server(int argc, char** argv) {
  long crash_after = 0;
  if (argc >= 3 && (!parse_long(argv[2], &crash_after) || crash_after < 0)) return kUsage;
  const char* pid_text = getenv("LISTEN_PID");
  const char* fds_text = getenv("LISTEN_FDS");
  const char* names = getenv("LISTEN_FDNAMES");
  long listen_pid = 0, listen_fds = 0;
  if (pid_text == nullptr || !parse_long(pid_text, &listen_pid) || listen_pid != getpid() ||
      fds_text == nullptr || !parse_long(fds_text, &listen_fds) || listen_fds < 1) {
    dprintf(STDERR_FILENO, "testapp: echo-server: no sockets for pid %d (LISTEN_PID=%s LISTEN_FDS=%s)\n",
            getpid(), pid_text ? pid_text : "unset", fds_text ? fds_text : "unset");
    return kUsage;
  }
  int listening = 0;
  socklen_t len = sizeof listening;
  if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
    dprintf(STDERR_FILENO, "testapp: echo-server: fd 3 is not a listening socket\n");
    return kUsage;
  }
  // Graceful, as a server replaced by a hot restart must be: the connection in hand is
  // finished, then the process exits (no SA_RESTART: a blocked accept returns EINTR).
  struct sigaction graceful {};
  graceful.sa_handler = request_stop;
  sigaction(SIGTERM, &graceful, nullptr);
  sigaction(SIGINT, &graceful, nullptr);
  say("listening pid=%d fds=%ld names=%s", getpid(), listen_fds, names ? names : "");
  if (getenv("NOTIFY_SOCKET") != nullptr) send_notify("READY=1");
  for (long served = 0;;) {
    if (g_stop_requested) _exit(0);
    int conn = accept4(3, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    std::string line;
    char buf[512];
    for (;;) {
      ssize_t n = read(conn, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
      if (line.find('\n') != std::string::npos) break;
    }
    for (size_t off = 0; off < line.size();) {
      ssize_t w = write(conn, line.data() + off, line.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    close(conn);
    if (crash_after > 0 && ++served == crash_after) {
      say("crashing pid=%d after %ld connections", getpid(), served);
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
      signal(SIGSEGV, SIG_DFL);
      raise(SIGSEGV);
      return 99;
    }
  }
}

}  // namespace

// The fd named `name` in LISTEN_FDS/LISTEN_FDNAMES (meant for us), or -1.
int passed_fd(const std::string& name) {
  const char* pid = getenv("LISTEN_PID");
  const char* count = getenv("LISTEN_FDS");
  const char* names = getenv("LISTEN_FDNAMES");
  long n = 0, owner = 0;
  if (pid == nullptr || count == nullptr || names == nullptr || !parse_long(pid, &owner) ||
      owner != getpid() || !parse_long(count, &n)) {
    return -1;
  }
  std::string all = names;
  long index = 0;
  for (std::size_t start = 0;; ++index) {
    const std::size_t end = all.find(':', start);
    if (all.substr(start, end - start) == name) return index < n ? 3 + static_cast<int>(index) : -1;
    if (end == std::string::npos) return -1;
    start = end + 1;
  }
}

// A counter in a memfd that the supervisor keeps in its fd store: taken from LISTEN_FDS as
// "counter", or made and stored (FDSTORE=1, FDNAME=counter) on the first run.
int cmd_counter(int argc, char** argv) {
  const bool crash = argc > 2 && strcmp(argv[2], "crash") == 0;
  int fd = passed_fd("counter");
  if (fd < 0) {
    fd = static_cast<int>(syscall(SYS_memfd_create, "counter", MFD_CLOEXEC));
    if (fd < 0) die("memfd_create");
    if (int err = send_notify("FDSTORE=1\nFDNAME=counter\nFDPOLL=0", fd); err != 0) {
      say("store failed: %s", strerror(err));
    }
  }
  long value = 0;
  char buf[32] = {};
  if (pread(fd, buf, sizeof buf - 1, 0) > 0) parse_long(buf, &value);
  ++value;
  const int n = snprintf(buf, sizeof buf, "%ld", value);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, static_cast<std::size_t>(n), 0) != n) {
    die("writing the counter");
  }
  say("counter=%ld pid=%d", value, getpid());
  if (crash) {
    char* args[] = {argv[0], const_cast<char*>("crash"), const_cast<char*>("SEGV"), nullptr};
    return cmd_crash(3, args);
  }
  signal_loop();
}

// ignore-all [CHILDREN]: SIG_IGN for every signal that allows it.
int cmd_ignore_all(int argc, char** argv) {
  long children = 0;
  if (argc > 2 && !parse_long(argv[2], &children)) return kUsage;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_IGN);
  }
  std::string pids;
  for (long i = 0; i < children; ++i) {
    const pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) wait_forever();
    pids += (pids.empty() ? "" : ",") + std::to_string(pid);
  }
  say("ready pid=%d children=%s", getpid(), pids.c_str());
  wait_forever();
}

// fork-storm: short-lived children as fast as fork allows, bounded to 30 s.
int cmd_fork_storm() {
  signal(SIGTERM, SIG_IGN);
  signal(SIGCHLD, SIG_IGN);  // children are reaped by the kernel: no zombies pile up
  const time_t until = time(nullptr) + 30;
  for (long n = 1; time(nullptr) < until; ++n) {
    const pid_t pid = fork();
    if (pid == 0) {
      if (fork() == 0) _exit(0);  // a grandchild, orphaned at once
      _exit(0);
    }
    if (n == 100) say("storming pid=%d", getpid());
  }
  return 3;
}

// notify-flood [fds]: a child floods the notify socket; the parent reports signals.
int cmd_notify_flood(int argc, char** argv) {
  const bool fds = argc > 2 && strcmp(argv[2], "fds") == 0;
  const char* socket_path = getenv("NOTIFY_SOCKET");
  if (socket_path == nullptr) die("NOTIFY_SOCKET");
  block_all_signals();
  const pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, nullptr);
    const std::string address = socket_path;
    const time_t until = time(nullptr) + 30;
    // /dev/null never reports POLLHUP: stored copies are kept, not dropped.
    const int devnull = fds ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
    for (long k = 1; time(nullptr) < until; ++k) {
      const std::string text =
          fds ? "FDSTORE=1\nFDNAME=flood" : "STATUS=flood " + std::to_string(k);
      notify_send::send(address, text, devnull);
      if (k == 200 || k == 1000) say("flooded %ld", k);
    }
    _exit(3);
  }
  say("ready pid=%d flooder=%d", getpid(), child);
  signal_loop();
}

// FNV-1a, 64 bits.
void fnv(uint64_t* h, const char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    *h ^= static_cast<unsigned char>(data[i]);
    *h *= 1099511628211ULL;
  }
}

int cmd_digest(int argc, char** argv) {
  uint64_t args = 14695981039346656037ULL;
  for (int i = 2; i < argc; ++i) fnv(&args, argv[i], strlen(argv[i]) + 1);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (strncmp(*e, "FAULT_", 6) == 0) env.emplace_back(*e);
  }
  std::sort(env.begin(), env.end());
  uint64_t envsum = 14695981039346656037ULL;
  for (const auto& e : env) fnv(&envsum, e.c_str(), e.size() + 1);
  say("digest argc=%d args=%016llx env=%zu envsum=%016llx", argc - 2,
      static_cast<unsigned long long>(args), env.size(), static_cast<unsigned long long>(envsum));
  return 0;
}

int cmd_activate(int argc, char** argv) {
  long count = 0, soft = 0, hard = 0;
  if (argc < 6 || !parse_long(argv[2], &count) || !parse_long(argv[3], &soft) ||
      !parse_long(argv[4], &hard) || count < 1) {
    return kUsage;
  }
  constexpr int kCannot = 65;
  // Room for the sockets while they are made, then the limit they are handed over with.
  const rlimit room{static_cast<rlim_t>(hard), static_cast<rlim_t>(hard)};
  if (setrlimit(RLIMIT_NOFILE, &room) != 0) return kCannot;
  close_range(3, ~0U, 0);
  for (long i = 0; i < count; ++i) {
    // The lowest free number: 3, 4, … in turn.
    if (socket(AF_UNIX, SOCK_DGRAM, 0) != 3 + i) return kCannot;
  }
  const rlimit limit{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return kCannot;
  const std::string fds = std::to_string(count);
  const std::string pid = std::to_string(getpid());
  setenv("LISTEN_FDS", fds.c_str(), 1);
  setenv("LISTEN_PID", pid.c_str(), 1);
  unsetenv("LISTEN_FDNAMES");
  execv(argv[5], argv + 5);
  return kCannot;
}

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
  if (cmd == "spawn-heirs") return cmd_spawn_heirs(argc, argv);
  if (cmd == "heir") return cmd_heir(argc, argv);
  if (cmd == "upgrade-race") return cmd_upgrade_race(argc, argv);
  if (cmd == "id") return cmd_id();
  if (cmd == "flap") return cmd_flap(argc, argv);
  if (cmd == "args") return cmd_args(argc, argv);
  if (cmd == "notify") return cmd_notify(argc, argv);
  if (cmd == "notify-fork") return cmd_notify_fork(argc, argv);
  if (cmd == "watchdog") return cmd_watchdog(argc, argv);
  if (cmd == "env") return cmd_env();
  if (cmd == "notify-fd") return cmd_notify_fd(argc, argv);
  if (cmd == "echo-server") return cmd_echo_server(argc, argv);
  if (cmd == "counter") return cmd_counter(argc, argv);
  if (cmd == "ignore-all") return cmd_ignore_all(argc, argv);
  if (cmd == "fork-storm") return cmd_fork_storm();
  if (cmd == "notify-flood") return cmd_notify_flood(argc, argv);
  if (cmd == "digest") return cmd_digest(argc, argv);
  if (cmd == "activate") return cmd_activate(argc, argv);
  dprintf(STDERR_FILENO, "testapp: unknown sub-command %s\n", cmd.c_str());
  return kUsage;
}
