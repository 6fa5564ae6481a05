// Helpers of the init-system tests (issue 4, SPEC 6 and 7): a fake systemd that receives the
// supervisor's sd_notify datagrams, and a runner for commands the harness cannot start (the
// supervisor behind an activator, under `unshare`, or an interactive shell on a pseudo-terminal).
//
// Same rules as the harness: no sleeping to synchronise, every wait is a poll(2) with a deadline.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
extern "C" {  // glibc 2.36 declares these without C linkage for C++
#include <sys/pidfd.h>
}

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "harness.hpp"

extern char** environ;

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
  auto send_one = [&](const std::string& data, int pass_fd) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (address.empty() || address.size() >= sizeof addr.sun_path) return false;
    memcpy(addr.sun_path, address.data(), address.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                                           (address[0] == '@' ? 0 : 1));
    if (address[0] == '@') addr.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    iovec iov{const_cast<char*>(data.data()), data.size()};
    msghdr msg{};
    msg.msg_name = &addr;
    msg.msg_namelen = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (pass_fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    bool ok = sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0;
    if (!ok) ADD_FAILURE() << "sendmsg to " << address << ": " << strerror(errno);
    close(fd);
    return ok;
  };
  if (!send_one(bytes, -1)) return false;
  if (!barrier) return true;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return false;
  bool ok = send_one("BARRIER=1", p[1]);
  close(p[1]);
  if (ok) {
    pollfd pfd{p[0], POLLIN, 0};
    int r;
    do r = poll(&pfd, 1, static_cast<int>(kDeadline.count()));
    while (r < 0 && errno == EINTR);
    ok = r == 1;
    if (!ok) ADD_FAILURE() << "the receiver at " << address << " did not take BARRIER=1";
  }
  close(p[0]);
  return ok;
}

// One variable of another process's environment (/proc/PID/environ), nullopt if unset.
inline std::optional<std::string> environ_of(pid_t pid, const std::string& name) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/environ");
  if (!text) return std::nullopt;
  std::string prefix = name + "=";
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\0', start);
    if (end == std::string::npos) end = text->size();
    std::string entry = text->substr(start, end - start);
    if (entry.rfind(prefix, 0) == 0) return entry.substr(prefix.size());
    start = end + 1;
  }
  return std::nullopt;
}

// "--cgroup=MODE" for a supervisor the harness does not start, or nothing.
inline std::vector<std::string> cgroup_flag() {
  if (cgroup_mode().empty()) return {};
  return {"--cgroup=" + cgroup_mode()};
}

// ---- a command the harness cannot start ----

struct LaunchOptions {
  std::vector<std::string> env;    // added or replaced "NAME=VALUE" entries
  std::vector<std::string> unset;  // names removed from the environment
  std::vector<int> pass_fds;       // the test's fds that become 3, 4, … in the command
  bool listen_pid_self = false;    // LISTEN_PID=<the command's own pid> (an activator's job)
  bool terminal = false;           // a new session whose controlling terminal is a new pty,
                                   // on stdin, stdout and stderr (read back as Stream::kOut)
};

// A command run by the test (not through the harness), its output captured line by line.
// Destroying it kills what is left of it and everything below it, and reaps it.
class Launched {
 public:
  explicit Launched(std::vector<std::string> args, LaunchOptions options = {}) : argv_(args) {
    std::vector<char*> argv;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    auto overridden = [&](const std::string& name) {
      if (std::find(options.unset.begin(), options.unset.end(), name) != options.unset.end()) {
        return true;
      }
      return std::any_of(options.env.begin(), options.env.end(),
                         [&](const std::string& o) { return o.substr(0, o.find('=')) == name; });
    };
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry = *e;
      if (!overridden(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
    }
    for (const auto& e : options.env) env_strings.push_back(e);
    if (options.listen_pid_self) env_strings.push_back("LISTEN_PID=0000000000");
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    char* listen_pid_value = options.listen_pid_self ? envp[envp.size() - 2] + 11 : nullptr;

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << strerror(errno);
      return;
    }
    std::string slave_name;
    if (options.terminal) {
      master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) {
        ADD_FAILURE() << "posix_openpt: " << strerror(errno);
        return;
      }
      slave_name = ptsname(master_);
    }
    std::vector<int> pass = options.pass_fds;
    start_ = Clock::now();
    pid_ = fork();
    if (pid_ < 0) {
      ADD_FAILURE() << "fork: " << strerror(errno);
      return;
    }
    if (pid_ == 0) {  // async-signal-safe calls only
      if (options.terminal) {
        setsid();
        int slave = open(slave_name.c_str(), O_RDWR);  // becomes the controlling terminal
        if (slave < 0) _exit(126);
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, STDIN_FILENO);
        dup2(slave, STDOUT_FILENO);
        dup2(slave, STDERR_FILENO);
        if (slave > STDERR_FILENO) close(slave);
      } else {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
      }
      close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
      // Out of the way first, so that a source can never be overwritten by an earlier target.
      int high[16];
      size_t n = pass.size() < 16 ? pass.size() : 16;
      for (size_t i = 0; i < n; ++i) high[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, 100);
      for (size_t i = 0; i < n; ++i) dup2(high[i], 3 + static_cast<int>(i));  // not CLOEXEC
      if (listen_pid_value != nullptr) {
        char digits[16];
        int len = 0;
        for (pid_t p = getpid(); p > 0; p /= 10) digits[len++] = static_cast<char>('0' + p % 10);
        for (int i = 0; i < len; ++i) listen_pid_value[i] = digits[len - 1 - i];
        listen_pid_value[len] = '\0';
      }
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execvpe(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = options.terminal ? master_ : out[0];
    if (options.terminal) close(out[0]);
    err_fd_ = options.terminal ? -1 : err[0];
    if (options.terminal) close(err[0]);
    for (int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    pidfd_ = pidfd_open(pid_, 0);
  }

  ~Launched() {
    if (pid_ > 0 && !exited_) {
      // Collect the tree first, then kill the top, so nothing can be restarted meanwhile.
      std::vector<int> fds;
      std::vector<pid_t> pids;
      for (pid_t p : descendants_of(pid_)) {
        int fd = pidfd_open(p, 0);
        if (fd >= 0) {
          fds.push_back(fd);
          pids.push_back(p);
        }
      }
      if (pidfd_ >= 0) pidfd_send_signal(pidfd_, SIGKILL, nullptr, 0);
      for (int fd : fds) pidfd_send_signal(fd, SIGKILL, nullptr, 0);
      waitpid(pid_, nullptr, 0);
      // Each one is gone (and reaped, if it became the test's child) before the fixture looks.
      for (size_t i = 0; i < fds.size(); ++i) {
        pollfd p{fds[i], POLLIN, 0};
        poll(&p, 1, 2000);
        waitpid(pids[i], nullptr, WNOHANG);
        close(fds[i]);
      }
    }
    // What survived was reparented to the test process (a subreaper): the fixture's TearDown
    // reports it.
    for (int fd : {pidfd_, out_fd_, err_fd_}) {
      if (fd >= 0) close(fd);
    }
    if (master_ >= 0 && master_ != out_fd_) close(master_);
  }
  Launched(const Launched&) = delete;
  Launched& operator=(const Launched&) = delete;

  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }

  std::optional<Match> find(Stream stream, const std::string& regex, Millis deadline) {
    std::regex re(regex);
    auto& lines = stream == Stream::kOut ? out_lines_ : err_lines_;
    auto& cursor = stream == Stream::kOut ? out_cursor_ : err_cursor_;
    auto until = Clock::now() + deadline;
    for (;;) {
      read_available();
      for (; cursor < lines.size(); ++cursor) {
        std::smatch m;
        if (std::regex_search(lines[cursor].text, m, re)) {
          Match match{lines[cursor].text, {}, lines[cursor].at};
          for (const auto& g : m) match.groups.push_back(g.str());
          ++cursor;
          return match;
        }
      }
      int fd = stream == Stream::kOut ? out_fd_ : err_fd_;
      if (fd < 0 || Clock::now() >= until) return std::nullopt;
      poll_once(until, false);
    }
  }
  std::optional<Match> expect(Stream stream, const std::string& regex,
                              Millis deadline = kDeadline) {
    auto m = find(stream, regex, deadline);
    if (!m) {
      ADD_FAILURE() << "no line matching /" << regex << "/ on "
                    << (stream == Stream::kOut ? "stdout" : "stderr") << " within "
                    << deadline.count() << " ms\n"
                    << log();
    }
    return m;
  }
  std::optional<Match> expect_out(const std::string& regex, Millis deadline = kDeadline) {
    return expect(Stream::kOut, regex, deadline);
  }
  std::optional<Match> expect_err(const std::string& regex, Millis deadline = kDeadline) {
    return expect(Stream::kErr, regex, deadline);
  }
  // Like expect(), but over every line so far and to come, regardless of the cursor: for lines
  // of different processes sharing one terminal, whose order is not fixed.
  std::optional<Match> expect_anywhere(Stream stream, const std::string& regex,
                                       Millis deadline = kDeadline) {
    std::regex re(regex);
    auto until = Clock::now() + deadline;
    for (;;) {
      read_available();
      for (const auto& l : stream == Stream::kOut ? out_lines_ : err_lines_) {
        std::smatch m;
        if (std::regex_search(l.text, m, re)) {
          Match match{l.text, {}, l.at};
          for (const auto& g : m) match.groups.push_back(g.str());
          return match;
        }
      }
      int fd = stream == Stream::kOut ? out_fd_ : err_fd_;
      if (fd < 0 || Clock::now() >= until) break;
      poll_once(until, false);
    }
    ADD_FAILURE() << "no line matching /" << regex << "/ within " << deadline.count() << " ms\n"
                  << log();
    return std::nullopt;
  }

  int count(Stream stream, const std::string& regex) {
    read_available();
    std::regex re(regex);
    int n = 0;
    for (const auto& l : stream == Stream::kOut ? out_lines_ : err_lines_) {
      n += std::regex_search(l.text, re) ? 1 : 0;
    }
    return n;
  }

  // Writes to the terminal (LaunchOptions::terminal).
  void type(const std::string& keys) {
    if (master_ < 0 ||
        write(master_, keys.data(), keys.size()) != static_cast<ssize_t>(keys.size())) {
      ADD_FAILURE() << "type(): " << (master_ < 0 ? "no terminal" : strerror(errno));
    }
  }

  void send(int sig) {
    if (exited_ || pidfd_send_signal(pidfd_, sig, nullptr, 0) != 0) {
      ADD_FAILURE() << "cannot send " << sigabbrev_np(sig) << " to " << pid_ << "\n" << log();
    }
  }

  // The command's status the shell's way, nullopt (a failure) on timeout.
  std::optional<int> wait_exit(Millis deadline = kDeadline) {
    auto until = Clock::now() + deadline;
    while (!exited_) {
      if (Clock::now() >= until) {
        ADD_FAILURE() << argv_[0] << " did not exit within " << deadline.count() << " ms\n"
                      << log();
        return std::nullopt;
      }
      poll_once(until, true);
    }
    drain(300ms);
    return status_;
  }

  // Reads until EOF on every stream or `deadline`.
  void drain(Millis deadline) {
    auto until = Clock::now() + deadline;
    while ((out_fd_ >= 0 || err_fd_ >= 0) && Clock::now() < until) poll_once(until, false);
  }

  std::string log() {
    read_available();
    std::ostringstream os;
    os << "---- command:";
    for (const auto& a : argv_) os << ' ' << a;
    os << "\n---- pid " << pid_;
    if (exited_ && status_) os << ", exited with " << *status_;
    for (auto [name, lines, partial] : {std::tuple{"stdout", &out_lines_, &out_buf_},
                                        std::tuple{"stderr", &err_lines_, &err_buf_}}) {
      os << "\n---- " << name << ":\n";
      for (const auto& l : *lines) {
        os << "  [" << static_cast<long>(ms_between(start_, l.at)) << " ms] " << l.text << '\n';
      }
      if (!partial->empty()) os << "  (partial) " << *partial << '\n';
    }
    return os.str();
  }

 private:
  void poll_once(Clock::time_point until, bool for_exit) {
    pollfd fds[3];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (for_exit && !exited_ && pidfd_ >= 0) fds[n++] = {pidfd_, POLLIN, 0};
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
    // A pty master never reports EOF while the session lives; the pidfd cannot be polled
    // when nothing else is, so a bounded poll stands in.
    if (n == 0) {
      left = std::min<long>(left, 20);
    }
    poll(n ? fds : nullptr, n, static_cast<int>(std::max<long>(left, 0)));
    read_available();
    if (!exited_) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
  }

  void read_available() {
    struct Source {
      int* fd;
      std::string* buf;
      std::vector<Line>* lines;
    };
    for (Source s :
         {Source{&out_fd_, &out_buf_, &out_lines_}, Source{&err_fd_, &err_buf_, &err_lines_}}) {
      if (*s.fd < 0) continue;
      char chunk[4096];
      for (;;) {
        ssize_t n = read(*s.fd, chunk, sizeof chunk);
        if (n > 0) {
          for (ssize_t i = 0; i < n; ++i) {
            if (chunk[i] != '\r') s.buf->push_back(chunk[i]);
          }
          take_lines(*s.buf, *s.lines);
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (n < 0 && errno == EIO)) {  // EOF (EIO: the pty's last slave closed)
          if (!s.buf->empty()) s.lines->push_back({*s.buf, Clock::now()});
          s.buf->clear();
          if (*s.fd != master_) close(*s.fd);
          *s.fd = -1;
        }
        break;
      }
    }
  }

  static void take_lines(std::string& buf, std::vector<Line>& lines) {
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back({buf.substr(start, nl - start), Clock::now()});
    }
    buf.erase(0, start);
  }

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1, err_fd_ = -1, master_ = -1;
  std::string out_buf_, err_buf_;
  std::vector<Line> out_lines_, err_lines_;
  size_t out_cursor_ = 0, err_cursor_ = 0;
  bool exited_ = false;
  std::optional<int> status_;
  Clock::time_point start_;
};

}  // namespace e2e::sd
