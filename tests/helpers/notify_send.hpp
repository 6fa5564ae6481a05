// Sending sd_notify datagrams (sd_notify(3), sd_notify_barrier(3)): by testapp, as the app, and
// by the end-to-end tests, as a process outside the app. No test framework in here: testapp
// includes it too.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace notify_send {

// sockaddr_un for a NOTIFY_SOCKET value: an absolute path, or "@name" for an abstract name.
inline bool address_of(const std::string& value, sockaddr_un* addr, socklen_t* len) {
  if (value.empty() || (value[0] != '/' && value[0] != '@')) return false;
  if (value.size() >= sizeof addr->sun_path) return false;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, value.data(), value.size());
  if (value[0] == '@') addr->sun_path[0] = '\0';
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() +
                                (value[0] == '/' ? 1 : 0));
  return true;
}

// Sends one datagram to `address`, with `pass_fd` attached (SCM_RIGHTS) if it is >= 0.
// Returns 0 or an errno value.
inline int send(const std::string& address, const std::string& bytes, int pass_fd = -1) {
  sockaddr_un addr;
  socklen_t len = 0;
  if (!address_of(address, &addr, &len)) return EINVAL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_name = &addr;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  int err = sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? errno : 0;
  close(fd);
  return err;
}

// sd_notify_barrier(3): sends BARRIER=1 with a pipe's write end, and waits until the receiver
// has taken (and closed) it. Returns 0, ETIMEDOUT after `timeout_ms`, or an errno value.
inline int barrier(const std::string& address, int timeout_ms) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return errno;
  int err = send(address, "BARRIER=1", p[1]);
  close(p[1]);
  if (err == 0) {
    pollfd pfd{p[0], POLLIN, 0};
    int r;
    do r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    err = r == 1 ? 0 : r == 0 ? ETIMEDOUT : errno;  // POLLHUP: every write end is closed
  }
  close(p[0]);
  return err;
}

}  // namespace notify_send
