// A loopback HTTP client, a load loop on its own threads, a one-thread HTTP backend and RESP
// PING, for tests/e2e/daemons_test.cpp. Every address is 127.0.0.1.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

int loopback_socket(int port, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// A port that nothing listens on right now (bound to port 0, then released).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "free_port: " << std::strerror(errno);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_accepts(int port) {
  const int fd = loopback_socket(port, 1000);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Sends `request`, reads to EOF (or `until` appears). "" plus `error` on failure.
std::string exchange(int port, const std::string& request, std::string* error,
                     const std::string& until = "", int timeout_ms = 3000) {
  const int fd = loopback_socket(port, timeout_ms);
  if (fd < 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    return "";
  }
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    *error = std::string("send: ") + std::strerror(errno);
    ::close(fd);
    return "";
  }
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      if (!until.empty() && reply.find(until) != std::string::npos) break;
      if (reply.size() > (1 << 20)) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::string("recv: ") + std::strerror(errno) + " after " +
               std::to_string(reply.size()) + " bytes";
      ::close(fd);
      return "";
    }
    break;  // EOF
  }
  ::close(fd);
  return reply;
}

struct HttpReply {
  bool ok = false;  // a complete 200 response
  std::string body;
  std::string error;
};

// One GET on a fresh connection ("Connection: close"): it tests the listening socket's
// hand-over, which keep-alive would hide.
HttpReply http_get(int port) {
  HttpReply r;
  const std::string raw =
      exchange(port, "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", &r.error);
  if (!r.error.empty()) return r;
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) {
    r.error = "malformed reply (" + std::to_string(raw.size()) + " bytes): " + raw.substr(0, 80);
    return r;
  }
  const std::string status = raw.substr(0, raw.find("\r\n"));
  r.body = raw.substr(head_end + 4);
  if (status.find(" 200 ") == std::string::npos) {
    r.error = "status: " + status;
    return r;
  }
  r.ok = true;
  return r;
}

// RESP inline PING; true on "+PONG".
bool redis_ping(int port) {
  std::string error;
  const std::string reply = exchange(port, "PING\r\n", &error, "\r\n", 2000);
  return error.empty() && reply.rfind("+PONG", 0) == 0;
}

// GETs in a loop on kThreads threads until stopped (bounded: at most kMaxRequests in all and
// kMaxDuration), counting answers and recording failures.
class LoadClient {
 public:
  static constexpr int kThreads = 2;
  static constexpr long kMaxRequests = 100000;
  static constexpr auto kMaxDuration = 90s;

  explicit LoadClient(int port) : port_(port) {
    started_ = Clock::now();
    for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~LoadClient() { stop(); }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  long ok() const { return ok_; }
  long failed() const { return failed_; }
  bool hit_bound() const { return hit_bound_; }
  // Waits until `n` more requests than now have been answered: traffic really flowed in the
  // phase that just began.
  bool progressed(long n, Millis deadline = 5000ms) {
    const long target = ok_ + n;
    return eventually([&] { return ok_ >= target; }, deadline, 2ms);
  }
  std::string failures() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& f : failures_) out += "  " + f + "\n";
    return out;
  }

 private:
  void loop() {
    while (!stop_) {
      const long i = issued_++;
      if (i >= kMaxRequests || Clock::now() - started_ > kMaxDuration) {
        hit_bound_ = true;
        break;
      }
      const auto at = Clock::now();
      HttpReply r = http_get(port_);
      if (r.ok) {
        ++ok_;
      } else {
        ++failed_;
        std::lock_guard lock(mu_);
        if (failures_.size() < 20) {
          failures_.push_back("request " + std::to_string(i) + " at +" +
                              std::to_string(static_cast<long>(ms_between(started_, at))) +
                              " ms: " + r.error);
        }
      }
      // Pacing, not synchronisation: a bounded rate of fresh connections, so that a long run
      // cannot exhaust the loopback's ephemeral ports with TIME_WAIT.
      std::this_thread::sleep_for(200us);
    }
  }

  int port_;
  Clock::time_point started_;
  std::atomic<bool> stop_{false};
  std::atomic<long> issued_{0}, ok_{0}, failed_{0};
  std::atomic<bool> hit_bound_{false};
  std::mutex mu_;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

// A one-thread HTTP/1.x backend on 127.0.0.1 (an ephemeral port): answers every request with
// 200 "backend\n" and closes.
class MiniHttpServer {
 public:
  MiniHttpServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 512) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "backend: " << std::strerror(errno);
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~MiniHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  MiniHttpServer(const MiniHttpServer&) = delete;
  MiniHttpServer& operator=(const MiniHttpServer&) = delete;
  int port() const { return port_; }
  long served() const { return served_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string request;
      char buf[2048];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      if (request.find("\r\n\r\n") != std::string::npos) {
        static const std::string reply =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n"
            "Connection: close\r\n\r\nbackend\n";
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        ++served_;
      }
      ::close(fd);
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<long> served_{0};
  std::thread thread_;
};

}  // namespace
}  // namespace e2e
