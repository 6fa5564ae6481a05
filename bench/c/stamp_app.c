/* The restart app. Each incarnation bumps a counter file, writes "S <ns> <pid> <n>" to FIFO,
 * and, while n <= DEATHS, runs RUN_MS milliseconds, writes "D <ns> <pid> <n>" and dies by
 * exit(1) or by a real SIGSEGV (a NULL store; core dumps disabled first). Later incarnations
 * sleep until killed.
 *   stamp_app FIFO exit|segv DEATHS RUN_MS COUNTER_FILE */
#include "common.h"
#include <sys/resource.h>

int main(int argc, char **argv) {
  long long t0 = now_ns();
  load_service_args(&argc, &argv);
  if (argc != 6) {
    fprintf(stderr, "usage: stamp_app FIFO exit|segv DEATHS RUN_MS COUNTER_FILE\n");
    return 2;
  }
  int out = open_out(argv[1]);
  int segv = strcmp(argv[2], "segv") == 0;
  long deaths = atol(argv[3]), run_ms = atol(argv[4]);
  int cfd = open(argv[5], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (cfd < 0) die(argv[5]);
  char num[32] = {0};
  ssize_t n = pread(cfd, num, sizeof num - 1, 0);
  long inc = (n > 0 ? atol(num) : 0) + 1;
  char *e = put_ll(num, inc);
  if (ftruncate(cfd, 0) != 0 || pwrite(cfd, num, (size_t)(e - num), 0) < 0) die("counter");
  close(cfd);
  emit(out, 'S', t0, getpid(), inc);
  if (inc > deaths) pause_forever();
  if (run_ms > 0) {
    struct timespec ts = {run_ms / 1000, (run_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  if (segv) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    emit(out, 'D', now_ns(), getpid(), inc);
    *(volatile int *)0 = 1;
    return 3;  /* not reached */
  }
  emit(out, 'D', now_ns(), getpid(), inc);
  _exit(1);
}
