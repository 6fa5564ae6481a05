/* Shared by the benchmark helpers: a monotonic clock, async-signal-safe line output, and the
 * service-directory convention (a helper started as "./run" by s6-supervise, runsv or
 * supervise reads its arguments from ./bench.args, one per line, so no shell sits between the
 * supervisor and the measured program). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Appends the decimal form of v to p; async-signal-safe. */
static inline char *put_ll(char *p, long long v) {
  char tmp[24];
  int n = 0;
  if (v < 0) { *p++ = '-'; v = -v; }
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

/* Writes "<tag> <a> <b> <c>\n" in one write(2) (atomic on a FIFO); async-signal-safe. */
static inline void emit(int fd, char tag, long long a, long long b, long long c) {
  char buf[96], *p = buf;
  int saved = errno;
  *p++ = tag; *p++ = ' ';
  p = put_ll(p, a); *p++ = ' ';
  p = put_ll(p, b); *p++ = ' ';
  p = put_ll(p, c); *p++ = '\n';
  ssize_t r;
  do { r = write(fd, buf, (size_t)(p - buf)); } while (r < 0 && errno == EINTR);
  errno = saved;
}

static inline void die(const char *what) {
  perror(what);
  _exit(111);
}

static inline int open_out(const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  return fd;
}

/* If started as ".../run" (a service directory's run file), replace argv by ./bench.args. */
static inline void load_service_args(int *argc, char ***argv) {
  const char *base = strrchr((*argv)[0], '/');
  base = base ? base + 1 : (*argv)[0];
  if (strcmp(base, "run") != 0) return;
  static char buf[4096];
  static char *args[64];
  int fd = open("bench.args", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("bench.args");
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) die("bench.args: empty");
  buf[n] = 0;
  int k = 0;
  args[k++] = (*argv)[0];
  for (char *s = strtok(buf, "\n"); s && k < 63; s = strtok(NULL, "\n")) args[k++] = s;
  args[k] = NULL;
  *argc = k;
  *argv = args;
}

static inline void pause_forever(void) {
  for (;;) pause();
}
#endif
