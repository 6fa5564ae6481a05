/* The zero-downtime client: one request at a time against 127.0.0.1:PORT, started every
 * INTERVAL_US microseconds (or at once after a slower one): connect, send a line, read the
 * reply (the serving PID) to EOF, close; each bounded by a 10 s timeout. Runs until SIGTERM
 * or SIGINT, then writes one line per request to OUTFILE:
 *   <start ns> <latency ns> <errno: 0 = served> <serving pid, 0 if none>
 * errno: ECONNREFUSED (nobody listening), ECONNRESET or EPIPE (the connection was dropped),
 * EAGAIN (timed out), EPROTO (closed without a reply).
 *   zd_client PORT INTERVAL_US OUTFILE */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static volatile sig_atomic_t stopping;

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

#define MAX_RECORDS 4000000

static long long *t0s, *lats;
static int *errs, *pids;

static int request(const struct sockaddr_in *a, int *pid) {
  *pid = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int err = 0;
  if (connect(fd, (const struct sockaddr *)a, sizeof *a) != 0) {
    err = errno;
  } else if (write(fd, "GET\n", 4) != 4) {
    err = errno;
  } else {
    char buf[64];
    size_t got = 0;
    for (;;) {
      ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
      if (r < 0) {
        if (errno == EINTR && !stopping) continue;
        err = errno;
        break;
      }
      if (r == 0) break;
      got += (size_t)r;
      if (got >= sizeof buf - 1) break;
    }
    buf[got] = 0;
    if (!err) {
      if (got == 0 || buf[got - 1] != '\n') err = EPROTO;
      else *pid = atoi(buf);
    }
  }
  close(fd);
  if (err == EWOULDBLOCK || err == EINPROGRESS) err = EAGAIN;
  return err;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: zd_client PORT INTERVAL_US OUTFILE\n");
    return 2;
  }
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)atoi(argv[1]));
  long long interval = atoll(argv[2]) * 1000LL;
  struct sigaction sa = {0};
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  t0s = malloc(sizeof *t0s * MAX_RECORDS);
  lats = malloc(sizeof *lats * MAX_RECORDS);
  errs = malloc(sizeof *errs * MAX_RECORDS);
  pids = malloc(sizeof *pids * MAX_RECORDS);
  if (!t0s || !lats || !errs || !pids) die("malloc");
  long n = 0;
  long long next = now_ns();
  while (!stopping && n < MAX_RECORDS) {
    long long t0 = now_ns();
    int pid;
    int err = request(&a, &pid);
    long long t1 = now_ns();
    if (stopping && err) break; /* interrupted by the stop itself */
    t0s[n] = t0;
    lats[n] = t1 - t0;
    errs[n] = err;
    pids[n] = pid;
    n++;
    next += interval;
    if (next < t1) next = t1;
    struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
    while (!stopping && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
  }
  FILE *f = fopen(argv[3], "w");
  if (!f) die(argv[3]);
  for (long i = 0; i < n; i++) fprintf(f, "%lld %lld %d %d\n", t0s[i], lats[i], errs[i], pids[i]);
  if (fclose(f) != 0) die("fclose");
  return 0;
}
