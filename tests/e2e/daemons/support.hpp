// Helpers for tests/e2e/daemons_test.cpp (real daemons under the supervisor): a supervisor run
// with its output read by a thread and time-stamped, /proc look-ups, a loopback HTTP client and
// load loop, a tiny HTTP backend, RESP PING, and the "nothing left behind" checks.
//
// Self-contained on purpose (header-only, everything in an anonymous namespace): it does not
// depend on the shared harness, so the daemon tests build and run whatever state it is in.
// No sleeping to synchronise: waits are polls on pipes or pidfds with deadlines, or bounded
// re-checks of a condition where the kernel offers no event (a pid file's contents).
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace daemons_e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;
using namespace std::chrono_literals;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// "v2", "v1", "none" from SUPERVISOR_TEST_CGROUP, or "" (the supervisor's own auto choice).
std::string cgroup_mode() {
  const char* v = std::getenv("SUPERVISOR_TEST_CGROUP");
  return v ? v : "";
}

// An executable named `name` in the usual system directories or PATH, or "".
std::string find_binary(const std::string& name) {
  std::vector<std::string> dirs = {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin",
                                   "/sbin", "/bin"};
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    for (std::string d; std::getline(in, d, ':');) {
      if (!d.empty()) dirs.push_back(d);
    }
  }
  for (const auto& d : dirs) {
    std::string p = d + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// Re-checks `cond` every `step` until it holds or `deadline` passes (no event exists for what
// it looks at: a file's contents, a process's parent).
bool eventually(const std::function<bool()>& cond, Ms deadline = 5000ms, Ms step = 10ms) {
  const auto end = Clock::now() + deadline;
  for (;;) {
    if (cond()) return true;
    if (Clock::now() >= end) return cond();
    std::this_thread::sleep_for(step);
  }
}

// ---- files ----

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Written to a temp file and renamed: a daemon re-reading it never sees half of it.
void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  fs::rename(tmp, path);
}

std::optional<pid_t> read_pid_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || v <= 0) return std::nullopt;
  return static_cast<pid_t>(v);
}

// A fixture file from tests/e2e/daemons/ with every @KEY@ replaced.
std::string render_fixture(const std::string& name, const std::map<std::string, std::string>& vars) {
  const fs::path path = fs::path(__FILE__).parent_path() / name;
  auto text = read_file(path.string());
  if (!text) {
    ADD_FAILURE() << "missing fixture " << path;
    return "";
  }
  std::string out = *text;
  for (const auto& [key, value] : vars) {
    const std::string pattern = "@" + key + "@";
    for (size_t at = out.find(pattern); at != std::string::npos; at = out.find(pattern, at)) {
      out.replace(at, pattern.size(), value);
      at += value.size();
    }
  }
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "sup-daemons.XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ---- /proc ----

struct Stat {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  unsigned long long start = 0;
};

std::optional<Stat> read_stat(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text->substr(close + 2));
  Stat s;
  s.pid = pid;
  std::string skip;
  in >> s.state >> s.ppid;
  for (int field = 5; field < 22; ++field) in >> skip;  // up to starttime, field 22
  in >> s.start;
  return s;
}

bool alive(pid_t pid) {
  auto s = read_stat(pid);
  return s && s->state != 'Z' && s->state != 'X';
}

pid_t parent_of(pid_t pid) {
  auto s = read_stat(pid);
  return s ? s->ppid : 0;
}

std::string cmdline_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) return "";
  for (char& c : *text) {
    if (c == '\0') c = ' ';
  }
  return *text;
}

std::vector<Stat> all_processes() {
  std::vector<Stat> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    if (auto s = read_stat(static_cast<pid_t>(pid))) out.push_back(*s);
  }
  ::closedir(d);
  return out;
}

// Every process below `root` (zombies included), found by walking parent links.
std::vector<Stat> descendants_of(pid_t root) {
  const auto procs = all_processes();
  std::vector<Stat> out;
  std::vector<pid_t> frontier = {root};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    for (const auto& p : procs) {
      if (p.ppid == parent && p.pid != root) {
        out.push_back(p);
        frontier.push_back(p.pid);
      }
    }
  }
  return out;
}

std::vector<pid_t> live_children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& p : all_processes()) {
    if (p.ppid == parent && p.state != 'Z' && p.state != 'X') out.push_back(p.pid);
  }
  return out;
}

// A pidfd on any process (not only a child), opened before the process is asked to exit, so
// that the moment of its exit is seen as it happens.
class ExitWatch {
 public:
  explicit ExitWatch(pid_t pid) : fd_(pidfd_open(pid)) {}
  ~ExitWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;

  // When the process exited (became a zombie or vanished), or nullopt at the deadline. A
  // process that was already gone when the watch was made counts as exited now.
  std::optional<Clock::time_point> wait(Ms deadline) {
    if (fd_ < 0) return Clock::now();
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(deadline.count()));
    const auto at = Clock::now();
    if (r == 1) return at;
    return std::nullopt;
  }

 private:
  int fd_;
};

std::optional<Clock::time_point> wait_exit_of(pid_t pid, Ms deadline) {
  return ExitWatch(pid).wait(deadline);
}

// Directories named supervisor.<pid>.* under any cgroup mount (the app's cgroup of the
// supervisor `pid`), however deep.
std::vector<std::string> leftover_cgroups(pid_t supervisor_pid) {
  const std::string prefix = "supervisor." + std::to_string(supervisor_pid) + ".";
  std::vector<std::string> found;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream in(line);
    std::string id, parent, dev, root, mountpoint, word, fstype;
    in >> id >> parent >> dev >> root >> mountpoint;
    while (in >> word && word != "-") {
    }
    in >> fstype;
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(mountpoint, fs::directory_options::skip_permission_denied,
                                             ec),
         end;
         it != end; it.increment(ec)) {
      if (ec) break;
      if (it->is_directory(ec) && it->path().filename().string().rfind(prefix, 0) == 0) {
        found.push_back(it->path().string());
        it.disable_recursion_pending();
      }
    }
  }
  return found;
}

// ---- network (127.0.0.1 only) ----

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
  bool progressed(long n, Ms deadline = 5000ms) {
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

// ---- the supervisor ----

struct Line {
  std::string text;
  Clock::time_point at;  // when it was read
};

struct Match {
  std::string line;
  std::vector<std::string> groups;
  Clock::time_point at;
  pid_t pid(size_t i) const { return static_cast<pid_t>(std::strtol(groups.at(i).c_str(), nullptr, 10)); }
};

// One supervisor: `supervisor [--cgroup=MODE] --debug ARGS...`. Its stdout and stderr (and so
// whatever the app writes there) are read by a thread into one time-stamped list of lines.
class SupervisorRun {
 public:
  explicit SupervisorRun(std::vector<std::string> args) {
    argv_.push_back(SUPERVISOR_BIN);
    if (!cgroup_mode().empty()) argv_.push_back("--cgroup=" + cgroup_mode());
    argv_.push_back("--debug");
    argv_.insert(argv_.end(), args.begin(), args.end());

    std::vector<char*> argv;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return;
    }
    // The test process is multi-threaded: only async-signal-safe calls in the child.
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(out[1]);
    if (pid_ < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      ::close(out[0]);
      return;
    }
    pidfd_ = pidfd_open(pid_);
    reader_ = std::thread([this, fd = out[0]] { read_loop(fd); });
  }

  ~SupervisorRun() {
    if (!exited_ && pid_ > 0) {
      ADD_FAILURE() << "the supervisor was still running at the end of the test: killed\n" << log();
      pidfd_signal(pidfd_, SIGKILL);
      wait_exit(5000ms);
    }
    stop_reading_ = true;
    if (reader_.joinable()) reader_.join();
    if (pidfd_ >= 0) ::close(pidfd_);
  }
  SupervisorRun(const SupervisorRun&) = delete;
  SupervisorRun& operator=(const SupervisorRun&) = delete;

  pid_t pid() const { return pid_; }

  // The next line (after the last one expected) matching `regex`; on timeout a test failure
  // with the whole log, and nullopt.
  std::optional<Match> expect(const std::string& regex, Ms deadline = 10000ms) {
    auto m = find(regex, deadline, true);
    if (!m) ADD_FAILURE() << "no line matching /" << regex << "/ within " << deadline.count() << " ms\n" << log();
    return m;
  }
  // Like expect() without failing or moving on: any line so far, waiting up to `deadline`.
  std::optional<Match> find(const std::string& regex, Ms deadline, bool advance = false) {
    const std::regex re(regex);
    std::unique_lock lock(mu_);
    size_t from = advance ? cursor_ : 0;
    const auto end = Clock::now() + deadline;
    for (;;) {
      for (; from < lines_.size(); ++from) {
        std::smatch sm;
        if (std::regex_search(lines_[from].text, sm, re)) {
          Match m;
          m.line = lines_[from].text;
          for (const auto& g : sm) m.groups.push_back(g.str());
          m.at = lines_[from].at;
          if (advance) cursor_ = from + 1;
          return m;
        }
      }
      if (eof_ || Clock::now() >= end) return std::nullopt;
      cv_.wait_until(lock, end);
    }
  }
  int count(const std::string& regex) {
    const std::regex re(regex);
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& l : lines_) n += std::regex_search(l.text, re) ? 1 : 0;
    return n;
  }

  void signal(int sig) {
    if (pidfd_signal(pidfd_, sig) != 0) ADD_FAILURE() << "signal " << sig << ": " << std::strerror(errno);
  }

  bool running() {
    reap(0);
    return !exited_;
  }

  // Its exit status the shell's way (code, or 128 + signal), nullopt at the deadline.
  std::optional<int> wait_exit(Ms deadline) {
    if (!exited_) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(deadline.count()));
      reap(0);
    }
    if (!exited_) return std::nullopt;
    return status_;
  }

  std::string log() {
    std::lock_guard lock(mu_);
    std::string out = "---- supervisor log (";
    for (const auto& a : argv_) out += a + " ";
    out += ") ----\n";
    for (const auto& l : lines_) out += l.text + "\n";
    return out + "----\n";
  }

 private:
  void reap(int flags) {
    if (exited_) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG | flags) == pid_) {
      exited_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }

  void read_loop(int fd) {
    std::string buf;
    char chunk[4096];
    while (!stop_reading_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      const auto at = Clock::now();
      std::lock_guard lock(mu_);
      if (n <= 0) {
        if (!buf.empty()) lines_.push_back({buf, at});
        eof_ = true;
        cv_.notify_all();
        break;
      }
      buf.append(chunk, static_cast<size_t>(n));
      for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) {
        lines_.push_back({buf.substr(0, nl), at});
      }
      cv_.notify_all();
    }
    ::close(fd);
  }

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool exited_ = false;
  int status_ = -1;
  std::thread reader_;
  std::atomic<bool> stop_reading_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Line> lines_;
  size_t cursor_ = 0;
  bool eof_ = false;
};

// ---- the fixture ----

// Every daemon test: the test process is a child subreaper (whatever a supervisor leaks lands
// here, where it is found and reported), and processes of the app are remembered as they are
// seen so that "nothing left" can name them.
class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0) << std::strerror(errno);
  }

  void TearDown() override {
    // Last resort only (the tests check this themselves): kill what this test leaked, reap.
    for (const auto& p : descendants_of(::getpid())) {
      if (p.state != 'Z') ::kill(p.pid, SIGKILL);
    }
    eventually([] {
      for (const auto& p : descendants_of(::getpid())) {
        if (p.ppid == ::getpid()) ::waitpid(p.pid, nullptr, WNOHANG);
      }
      return descendants_of(::getpid()).empty();
    }, 3000ms);
    for (pid_t sup : supervisors_) {
      for (const auto& dir : leftover_cgroups(sup)) {
        std::error_code ec;
        fs::remove(dir, ec);  // rmdir: works once the cgroup is empty
      }
    }
  }

  // Remembers every process below the supervisor now (pid and start time).
  void remember_app(const SupervisorRun& sup) {
    if (std::find(supervisors_.begin(), supervisors_.end(), sup.pid()) == supervisors_.end()) {
      supervisors_.push_back(sup.pid());
    }
    for (const auto& p : descendants_of(sup.pid())) seen_[p.pid] = p.start;
  }

  // After the supervisor exited: no process of the app (seen or not), nothing listening on
  // `port`, no cgroup of the supervisor.
  void expect_nothing_left(SupervisorRun& sup, int port) {
    for (const auto& [pid, start] : seen_) {
      auto s = read_stat(pid);
      EXPECT_FALSE(s && s->start == start && s->state != 'Z')
          << "process " << pid << " of the app survived the supervisor: " << cmdline_of(pid);
    }
    // Leftovers would have been reparented to this test (a subreaper).
    std::vector<Stat> left;
    eventually([&] {
      left.clear();
      for (const auto& p : descendants_of(::getpid())) {
        if (p.state == 'Z' && p.ppid == ::getpid()) ::waitpid(p.pid, nullptr, WNOHANG);
        if (p.state != 'Z') left.push_back(p);
      }
      return left.empty();
    }, 2000ms);
    for (const auto& p : left) {
      ADD_FAILURE() << "process left behind: " << p.pid << " " << cmdline_of(p.pid) << "\n" << sup.log();
    }
    EXPECT_FALSE(port_accepts(port)) << "something still listens on 127.0.0.1:" << port;
    for (const auto& dir : leftover_cgroups(sup.pid())) {
      ADD_FAILURE() << "cgroup left behind: " << dir << "\n" << sup.log();
    }
  }

  std::map<pid_t, unsigned long long> seen_;
  std::vector<pid_t> supervisors_;
};

}  // namespace
}  // namespace daemons_e2e
