/* The zero-downtime server: a one-connection-at-a-time TCP server on 127.0.0.1 that answers
 * each request (a line) with its own PID and closes. It uses the socket it is given (systemd
 * protocol: fd 3 when LISTEN_FDS is set and LISTEN_PID, if set, is its own PID) or, without
 * one, binds 127.0.0.1:PORT itself. It sends READY=1 to NOTIFY_SOCKET (when set) once it
 * listens, and writes "S <ns> <pid> 0" to FIFO. After CRASH_EVERY connections (0: never) it
 * writes "D <ns> <pid> <served>" and kills itself with SIGKILL: a crash. SIGTERM is a graceful
 * stop: the connection in hand is finished, then it exits 0; connections still queued stay in
 * the socket's backlog (for the next incarnation when the socket is shared, reset otherwise).
 *   zd_server FIFO PORT CRASH_EVERY */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig) {
  (void)sig;
  stopping = 1;
}

static int inherited_socket(void) {
  const char *fds = getenv("LISTEN_FDS");
  if (!fds || atoi(fds) < 1) return -1;
  const char *pid = getenv("LISTEN_PID");
  if (pid && atol(pid) != (long)getpid()) return -1;
  return 3;
}

static int bind_own(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  /* A predecessor that is still closing may hold the port for a moment: retry for 2 s. */
  long long until = now_ns() + 2000000000LL;
  while (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    if (errno != EADDRINUSE || now_ns() > until) die("bind");
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (listen(fd, SOMAXCONN) != 0) die("listen");
  return fd;
}

static void notify_ready(void) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  size_t n = strlen(path);
  if (n >= sizeof a.sun_path) return;
  memcpy(a.sun_path, path, n);
  if (a.sun_path[0] == '@') a.sun_path[0] = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  static const char msg[] = "READY=1";
  sendto(fd, msg, sizeof msg - 1, 0, (struct sockaddr *)&a,
         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
  close(fd);
}

/* Reads the request line (EINTR is retried: a stop finishes the connection in hand). */
static void serve(int c, const char *reply, size_t len) {
  char buf[256];
  size_t got = 0;
  for (;;) {
    ssize_t r = read(c, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    got += (size_t)r;
    if (memchr(buf, '\n', (size_t)r) || got > 4096) break;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(c, reply + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    off += (size_t)w;
  }
}

int main(int argc, char **argv) {
  load_service_args(&argc, &argv);
  if (argc != 4) {
    fprintf(stderr, "usage: zd_server FIFO PORT CRASH_EVERY\n");
    return 2;
  }
  int out = open_out(argv[1]);
  long crash_every = atol(argv[3]);
  struct sigaction sa = {0};
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept(2) returns EINTR */
  signal(SIGPIPE, SIG_IGN);
  int lfd = inherited_socket();
  if (lfd < 0) lfd = bind_own(atoi(argv[2]));
  char reply[32], *e = put_ll(reply, getpid());
  *e++ = '\n';
  size_t len = (size_t)(e - reply);
  notify_ready();
  emit(out, 'S', now_ns(), getpid(), 0);
  long served = 0;
  while (!stopping) {
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    serve(c, reply, len);
    close(c);
    if (crash_every > 0 && ++served >= crash_every) {
      emit(out, 'D', now_ns(), getpid(), served);
      kill(getpid(), SIGKILL);
    }
  }
  return 0;
}
