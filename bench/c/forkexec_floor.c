/* The physical floor of a restart: fork + exec + waitpid in a loop, nothing else. SIGTERM is
 * passed to the current child and ends the loop.
 *   forkexec_floor PROGRAM [ARGS...] */
#include "common.h"
#include <sys/wait.h>

static volatile sig_atomic_t stop = 0;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;  /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  while (!stop) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      signal(SIGTERM, SIG_DFL);
      execv(argv[1], argv + 1);
      _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
      if (errno == EINTR && stop) kill(pid, SIGTERM);
    }
  }
  return 0;
}
