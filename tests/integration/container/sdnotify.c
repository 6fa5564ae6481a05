/* sdnotify [--no-block] MESSAGE...: sends the MESSAGEs, one per line, as one datagram to
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace), as sd_notify(3) does, then,
 * like systemd-notify (252) without --no-block, waits up to 5 s for the receiver to have
 * processed it (sd_notify_barrier(3): BARRIER=1 with a pipe's write end, which the receiver
 * closes). Without that wait a sender that exits at once may be gone before the receiver asks
 * whose process it was, and its message is dropped (sd_notify(3), as systemd does).
 * Exits 0 once sent (and the barrier passed), 1 with a message on stderr otherwise.
 * Compiled with `gcc -static` by run.sh: the test image has busybox but neither python3 nor
 * systemd-notify. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_datagram(const struct sockaddr_un *addr, socklen_t len, const char *bytes,
                         size_t n, int pass_fd) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct iovec iov = {(void *)bytes, n};
  struct msghdr msg = {0};
  msg.msg_name = (void *)addr;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  if (pass_fd >= 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  int r = sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

int main(int argc, char **argv) {
  const char *address = getenv("NOTIFY_SOCKET");
  int block = 1;
  if (argc > 1 && strcmp(argv[1], "--no-block") == 0) {
    block = 0;
    argv++;
    argc--;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: sdnotify [--no-block] MESSAGE...\n");
    return 2;
  }
  if (address == NULL || (address[0] != '/' && address[0] != '@')) {
    fprintf(stderr, "sdnotify: NOTIFY_SOCKET unset or not a path or @name\n");
    return 1;
  }
  struct sockaddr_un addr;
  size_t n = strlen(address);
  if (n >= sizeof addr.sun_path) {
    fprintf(stderr, "sdnotify: NOTIFY_SOCKET too long\n");
    return 1;
  }
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, address, n);
  if (address[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (address[0] == '/'));

  char message[4096];
  size_t used = 0;
  for (int i = 1; i < argc; i++) {
    size_t m = strlen(argv[i]);
    if (used + m + 1 > sizeof message) {
      fprintf(stderr, "sdnotify: message too long\n");
      return 1;
    }
    memcpy(message + used, argv[i], m);
    used += m;
    if (i + 1 < argc) message[used++] = '\n';
  }

  if (send_datagram(&addr, len, message, used, -1) != 0) {
    fprintf(stderr, "sdnotify: sending to %s: %s\n", address, strerror(errno));
    return 1;
  }
  if (!block) return 0;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0 || send_datagram(&addr, len, "BARRIER=1", 9, p[1]) != 0) {
    fprintf(stderr, "sdnotify: barrier to %s: %s\n", address, strerror(errno));
    return 1;
  }
  close(p[1]);
  struct pollfd pfd = {p[0], 0, 0};  /* POLLHUP once every copy of the write end is closed */
  if (poll(&pfd, 1, 5000) != 1) {
    fprintf(stderr, "sdnotify: barrier to %s: no answer in 5 s\n", address);
    return 1;
  }
  return 0;
}
