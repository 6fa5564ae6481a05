// Helpers of the init-system tests (issue 4, SPEC 6 and 7): a fake systemd that receives the
// supervisor's sd_notify datagrams, and a sender of datagrams from the test process.
//
// Same rules as the harness: no sleeping to synchronise, every wait is a poll(2) with a deadline.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "harness.hpp"
#include "notify_send.hpp"

namespace e2e::sd {

// ---- the sd_notify wire format ----

using Fields = std::map<std::string, std::string>;

// KEY=VALUE lines of one datagram. A repeated key or a line without '=' is kept as
// "<dup>KEY" / "<junk>LINE", so that an exact comparison with the expected fields fails.
inline Fields parse_fields(const std::string& raw) {
  Fields fields;
  std::istringstream in(raw);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      fields["<junk>" + line] = "";
      continue;
    }
    std::string key = line.substr(0, eq);
    if (fields.count(key)) key = "<dup>" + key;
    fields[key] = line.substr(eq + 1);
  }
  return fields;
}

inline std::string show(const Fields& fields) {
  std::string out = "{";
  for (const auto& [k, v] : fields) out += (out.size() > 1 ? ", " : "") + k + "=" + v;
  return out + "}";
}

struct Notification {
  std::string raw;
  Fields fields;
  pid_t sender = 0;  // SCM_CREDENTIALS
  Clock::time_point at;
  bool is_watchdog_ping() const { return fields == Fields{{"WATCHDOG", "1"}}; }
};

// ---- a fake systemd: the supervisor's NOTIFY_SOCKET ----

class FakeSystemd {
 public:
  // Binds DIR/systemd-notify, or with `abstract` the abstract name "sup-e2e.<pid>.<n>".
  explicit FakeSystemd(const std::string& dir, bool abstract = false) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
      ADD_FAILURE() << "socket: " << strerror(errno);
      return;
    }
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    int big = 1 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len;
    if (abstract) {
      static int counter = 0;
      std::string name = "sup-e2e." + std::to_string(getpid()) + "." + std::to_string(++counter);
      address_ = "@" + name;
      memcpy(addr.sun_path + 1, name.data(), name.size());
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    } else {
      address_ = dir + "/systemd-notify";
      memcpy(addr.sun_path, address_.c_str(), address_.size() + 1);
      len = static_cast<socklen_t>(sizeof addr);
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
      ADD_FAILURE() << "bind " << address_ << ": " << strerror(errno);
    }
  }
  ~FakeSystemd() {
    if (fd_ >= 0) close(fd_);
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  const std::string& address() const { return address_; }
  // The supervisor's environment entry.
  std::string env() const { return "NOTIFY_SOCKET=" + address_; }

  // The next datagram, waiting at most `deadline`.
  std::optional<Notification> next(Millis deadline = kDeadline) {
    auto until = Clock::now() + deadline;
    for (;;) {
      if (auto n = receive()) return n;
      auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left));
    }
  }
  // The next datagram that is not a bare WATCHDOG=1 (the watchdog pings come on their own).
  std::optional<Notification> next_event(Millis deadline = kDeadline) {
    auto until = Clock::now() + deadline;
    for (;;) {
      auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
      auto n = next(left < Millis(0) ? Millis(0) : left);
      if (!n || !n->is_watchdog_ping()) return n;
    }
  }
  // Like next_event, but a timeout is a test failure naming `what`.
  std::optional<Notification> expect_event(const std::string& what, Millis deadline = kDeadline) {
    auto n = next_event(deadline);
    if (!n)
      ADD_FAILURE() << "fake systemd: no datagram (" << what << ") within " << deadline.count()
                    << " ms; received so far:\n"
                    << history_text();
    return n;
  }
  // Everything queued right now, without waiting.
  std::vector<Notification> pending() {
    std::vector<Notification> out;
    while (auto n = receive()) out.push_back(*n);
    return out;
  }
  const std::vector<Notification>& history() const { return history_; }
  std::string history_text() const {
    std::string out;
    for (const auto& n : history_)
      out += "  " + show(n.fields) + " from pid " + std::to_string(n.sender) + "\n";
    return out.empty() ? "  (nothing)\n" : out;
  }

 private:
  std::optional<Notification> receive() {
    if (fd_ < 0) return std::nullopt;
    char buf[8192];
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(16 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return std::nullopt;
    Notification note;
    note.raw.assign(buf, static_cast<size_t>(n));
    note.fields = parse_fields(note.raw);
    note.at = Clock::now();
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        note.sender = cred.pid;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
          int passed;
          memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
          close(passed);
        }
      }
    }
    history_.push_back(note);
    return note;
  }

  int fd_ = -1;
  std::string address_;
  std::vector<Notification> history_;
};

// Sends one datagram to a NOTIFY_SOCKET address from the test process (a sender outside any
// app); with `barrier`, then waits until the receiver has taken a BARRIER=1 datagram carrying
// a pipe's write end (sd_notify_barrier(3)). Returns false if sending or the barrier failed.
inline bool send_from_test(const std::string& address, const std::string& bytes,
                           bool barrier = true) {
  if (int err = notify_send::send(address, bytes); err != 0) {
    ADD_FAILURE() << "sendmsg to " << address << ": " << strerror(err);
    return false;
  }
  if (!barrier) return true;
  if (int err = notify_send::barrier(address, static_cast<int>(kDeadline.count())); err != 0) {
    ADD_FAILURE() << "the receiver at " << address << " did not take BARRIER=1: " << strerror(err);
    return false;
  }
  return true;
}

}  // namespace e2e::sd
