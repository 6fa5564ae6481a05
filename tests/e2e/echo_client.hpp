// A client of testapp's echo-server over --listen sockets: free ports, one echo, and an echo
// server supervised on a free port (SPEC 10 tests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace e2e {

// Where a client connects: a TCP port on 127.0.0.1, or a unix socket path.
struct Peer {
  int port = 0;
  std::string path;
};

// A TCP port on 127.0.0.1 that nobody holds right now (the kernel's pick, released at once).
inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// A stream connection to peer, each later read and write bounded by `timeout`. Returns 0 and
// the fd in *fd (the caller closes it, also on failure when it is >= 0), or the errno.
inline int connect_to(const Peer& peer, Millis timeout, int* fd) {
  const bool is_unix = !peer.path.empty();
  *fd = socket(is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*fd < 0) return errno;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(*fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (is_unix) {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    un->sun_family = AF_UNIX;
    std::strncpy(un->sun_path, peer.path.c_str(), sizeof un->sun_path - 1);
    len = sizeof(sockaddr_un);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in->sin_port = htons(static_cast<uint16_t>(peer.port));
    len = sizeof(sockaddr_in);
  }
  return connect(*fd, reinterpret_cast<sockaddr*>(&storage), len) == 0 ? 0 : errno;
}

// One connection through the echo server: connect, send `text` and a newline, read the line
// back (bounded by `timeout`). Returns the errno of the step that failed, 0 if the reply was
// the text.
inline int echo_once(const Peer& peer, const std::string& text, std::string* reply,
                     Millis timeout = 10000ms) {
  int fd = -1;
  int error = connect_to(peer, timeout, &fd);
  const std::string line = text + "\n";
  reply->clear();
  if (error == 0 && write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    error = errno;
  }
  if (error == 0) {
    char buf[256];
    while (reply->find('\n') == std::string::npos) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n < 0 ? errno : ECONNRESET;  // closed without a whole line
        break;
      }
      reply->append(buf, static_cast<size_t>(n));
    }
  }
  if (fd >= 0) close(fd);
  if (!reply->empty() && reply->back() == '\n') reply->pop_back();
  if (error == 0 && *reply != text) error = EPROTO;
  return error;
}

// Starts `supervisor OPTIONS --listen=[NAME=]127.0.0.1:PORT -- testapp echo-server ARGS` on a
// free port and returns it once the app said "listening"; retries with another port if one
// was taken in between. *port is the one in use.
inline std::unique_ptr<SupervisedRun> echo_on_free_port(const std::vector<std::string>& options,
                                                 const std::string& name,
                                                 const std::vector<std::string>& echo_args,
                                                 int* port) {
  std::vector<std::string> testapp_args = {"echo-server"};
  testapp_args.insert(testapp_args.end(), echo_args.begin(), echo_args.end());
  for (int attempt = 0; attempt < 5; ++attempt) {
    *port = free_port();
    std::vector<std::string> args = options;
    args.push_back("--listen=" + name + "127.0.0.1:" + std::to_string(*port));
    auto run = std::make_unique<SupervisedRun>(supervise(args, testapp_args));
    if (run->find_line(Stream::kOut, "^listening pid=", kDeadline)) return run;
    run->wait_exit();
    if (run->count(Stream::kErr, "Address already in use") == 0) {
      ADD_FAILURE() << "the echo server did not start:\n" << run->log();
      return nullptr;
    }
  }
  ADD_FAILURE() << "no free port in 5 attempts";
  return nullptr;
}

}  // namespace e2e
