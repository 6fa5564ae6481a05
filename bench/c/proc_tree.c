/* The stop app: a tree of 1 + BRANCHES * (1 + LEAVES) processes. The main process forks
 * BRANCHES branch processes, each forks LEAVES leaves; every SETSID_EVERY-th leaf calls setsid()
 * (a new session and process group, out of reach of a process-group kill). Every member keeps
 * the default SIGTERM disposition and sleeps. Once all exist, the main writes their PIDs (its
 * own first) to PIDFILE and "S <ns> <pid> <count>" to FIFO.
 *   proc_tree FIFO PIDFILE BRANCHES LEAVES SETSID_EVERY */
#include "common.h"

int main(int argc, char **argv) {
  load_service_args(&argc, &argv);
  if (argc != 6) {
    fprintf(stderr, "usage: proc_tree FIFO PIDFILE BRANCHES LEAVES SETSID_EVERY\n");
    return 2;
  }
  int out = open_out(argv[1]);
  int branches = atoi(argv[3]), leaves = atoi(argv[4]), every = atoi(argv[5]);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) die("pipe");
  for (int b = 0; b < branches; b++) {
    pid_t br = fork();
    if (br < 0) die("fork");
    if (br == 0) {
      close(out);
      close(p[0]);
      for (int l = 0; l < leaves; l++) {
        pid_t lf = fork();
        if (lf < 0) die("fork");
        if (lf == 0) {
          if (every > 0 && l % every == 0) setsid();
          pid_t me = getpid();
          if (write(p[1], &me, sizeof me) != sizeof me) _exit(1);
          close(p[1]);
          pause_forever();
        }
      }
      pid_t me = getpid();
      if (write(p[1], &me, sizeof me) != sizeof me) _exit(1);
      close(p[1]);
      pause_forever();
    }
  }
  close(p[1]);
  int want = branches * (1 + leaves);
  FILE *f = fopen(argv[2], "w");
  if (!f) die(argv[2]);
  fprintf(f, "%d\n", (int)getpid());
  for (int got = 0; got < want;) {
    pid_t pid;
    ssize_t n = read(p[0], &pid, sizeof pid);
    if (n == (ssize_t)sizeof pid) {
      fprintf(f, "%d\n", (int)pid);
      got++;
    } else if (n == 0 || (n < 0 && errno != EINTR)) {
      die("tree members");
    }
  }
  close(p[0]);
  if (fclose(f) != 0) die(argv[2]);
  emit(out, 'S', now_ns(), getpid(), want + 1);
  pause_forever();
}
