/* The reaping-storm app. Creates N orphans: for each, an intermediate child forks the orphan
 * and exits at once (this process reaps the intermediate), so the orphan is reparented to the
 * nearest subreaper: the supervisor under test. Every orphan blocks reading a shared pipe. The
 * PIDs go to PIDFILE, then "S <ns> <pid> <N>" to FIFO; on a byte from CTLFIFO the write end of
 * the pipe is closed (all orphans see EOF and exit at once) and "G <ns> <pid> <N>" is written,
 * stamped just before the close. Then it sleeps until killed.
 *   orphan_storm FIFO PIDFILE CTLFIFO N */
#include "common.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
  load_service_args(&argc, &argv);
  if (argc != 5) {
    fprintf(stderr, "usage: orphan_storm FIFO PIDFILE CTLFIFO N\n");
    return 2;
  }
  int out = open_out(argv[1]);
  int n = atoi(argv[4]);
  int go[2], pp[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(pp, O_CLOEXEC) != 0) die("pipe");
  FILE *f = fopen(argv[2], "w");
  if (!f) die(argv[2]);
  for (int i = 0; i < n; i++) {
    pid_t mid = fork();
    if (mid < 0) die("fork");
    if (mid == 0) {
      pid_t orphan = fork();
      if (orphan < 0) _exit(1);
      if (orphan == 0) {
        close(go[1]);
        close(pp[0]);
        close(pp[1]);
        close(out);
        char c;
        while (read(go[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
      if (write(pp[1], &orphan, sizeof orphan) != sizeof orphan) _exit(1);
      _exit(0);
    }
    int st;
    while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
    }
    pid_t orphan;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || read(pp[0], &orphan, sizeof orphan) != sizeof orphan)
      die("orphan");
    fprintf(f, "%d\n", (int)orphan);
  }
  close(go[0]);
  if (fclose(f) != 0) die(argv[2]);
  int ctl = open(argv[3], O_RDONLY | O_CLOEXEC);
  if (ctl < 0) die(argv[3]);
  emit(out, 'S', now_ns(), getpid(), n);
  char c;
  ssize_t r;
  do { r = read(ctl, &c, 1); } while (r < 0 && errno == EINTR);
  long long t = now_ns();
  close(go[1]);
  emit(out, 'G', t, getpid(), n);
  pause_forever();
}
