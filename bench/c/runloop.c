/* Start-up timing: runs PROGRAM N times one after the other (posix_spawn + waitpid, stdio on
 * /dev/null) and prints each wall time in nanoseconds, one per line.
 *   runloop N PROGRAM [ARGS...] */
#include "common.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd < 3; fd++)
    posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
  long long *t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) {
    long long t0 = now_ns();
    pid_t pid;
    if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) die("posix_spawn");
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    t[i] = now_ns() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "runloop: %s exited with status %d\n", argv[2], st);
      return 1;
    }
  }
  for (int i = 0; i < n; i++) printf("%lld\n", t[i]);
  return 0;
}
