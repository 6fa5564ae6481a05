/* The signal app. Writes "S <ns> <pid> <gen>" once ready and "R <ns> <pid> <gen>" from its
 * SIGHUP handler, stamped when the handler runs (that is, at delivery).
 * With "upgrade", SIGUSR2 makes it upgrade itself the nginx way: fork, exec its own binary as
 * generation gen+1, wait until the new process is ready, write "D <ns> <pid> <gen>", exit 0.
 *   sig_app FIFO [upgrade [GEN [READY_FD]]] */
#include "common.h"

static int out = -1;
static long gen = 0;
static volatile sig_atomic_t upgrade_wanted = 0;

static void on_hup(int sig) {
  (void)sig;
  emit(out, 'R', now_ns(), getpid(), gen);
}
static void on_usr2(int sig) {
  (void)sig;
  upgrade_wanted = 1;
}

int main(int argc, char **argv) {
  load_service_args(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: sig_app FIFO [upgrade [GEN [READY_FD]]]\n");
    return 2;
  }
  out = open_out(argv[1]);
  int upgrade = argc > 2 && strcmp(argv[2], "upgrade") == 0;
  if (argc > 3) gen = atol(argv[3]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_hup;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, NULL);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  emit(out, 'S', now_ns(), getpid(), gen);
  if (argc > 4) {
    int rfd = atoi(argv[4]);
    if (write(rfd, "r", 1) != 1) die("ready");
    close(rfd);
  }
  if (!upgrade) pause_forever();

  sigset_t usr2, old;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, &old);
  while (!upgrade_wanted) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);

  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) die("readlink");
  self[n] = 0;
  int p[2];
  if (pipe(p) != 0) die("pipe");  /* no CLOEXEC on the write end: the new generation gets it */
  fcntl(p[0], F_SETFD, FD_CLOEXEC);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    char g[24], fd[24];
    *put_ll(g, gen + 1) = 0;
    *put_ll(fd, p[1]) = 0;
    char *args[] = {self, argv[1], "upgrade", g, fd, NULL};
    execv(self, args);
    _exit(127);
  }
  close(p[1]);
  char c;
  while (read(p[0], &c, 1) < 0 && errno == EINTR) {
  }
  emit(out, 'D', now_ns(), getpid(), gen);
  _exit(0);
}
