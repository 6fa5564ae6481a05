// A supervisor run (its output read by a thread, time-stamped) and the fixture every daemon
// test uses, for tests/e2e/daemons_test.cpp.
#pragma once

#include <regex.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "net_support.hpp"
#include "os_support.hpp"

namespace daemons_e2e {
namespace {

// A POSIX extended regular expression (regcomp), with \d and \S accepted as shorthands for
// [0-9] and [^[:space:]]. Not std::regex: with -fsanitize, GCC 12 reports false
// -Wmaybe-uninitialized warnings inside <regex>, and the build treats warnings as errors.
class Pattern {
 public:
  explicit Pattern(const std::string& text) {
    std::string ere;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'd') {
        ere += "[0-9]";
        ++i;
      } else if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'S') {
        ere += "[^[:space:]]";
        ++i;
      } else {
        ere += text[i];
        if (text[i] == '\\' && i + 1 < text.size()) ere += text[++i];
      }
    }
    ok_ = ::regcomp(&re_, ere.c_str(), REG_EXTENDED) == 0;
    if (!ok_) ADD_FAILURE() << "bad pattern /" << text << "/";
  }
  ~Pattern() {
    if (ok_) ::regfree(&re_);
  }
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  // Whether `line` contains a match; `groups` gets the whole match and each group.
  bool search(const std::string& line, std::vector<std::string>* groups = nullptr) const {
    constexpr size_t kMax = 10;
    regmatch_t m[kMax];
    if (!ok_ || ::regexec(&re_, line.c_str(), kMax, m, 0) != 0) return false;
    if (groups != nullptr) {
      groups->clear();
      for (size_t i = 0; i <= re_.re_nsub && i < kMax; ++i) {
        groups->push_back(m[i].rm_so < 0 ? std::string()
                                         : line.substr(static_cast<size_t>(m[i].rm_so),
                                                       static_cast<size_t>(m[i].rm_eo - m[i].rm_so)));
      }
    }
    return true;
  }

 private:
  regex_t re_{};
  bool ok_ = false;
};

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
    const Pattern re(regex);
    std::unique_lock lock(mu_);
    size_t from = advance ? cursor_ : 0;
    const auto end = Clock::now() + deadline;
    for (;;) {
      for (; from < lines_.size(); ++from) {
        Match m;
        if (re.search(lines_[from].text, &m.groups)) {
          m.line = lines_[from].text;
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
    const Pattern re(regex);
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& l : lines_) n += re.search(l.text) ? 1 : 0;
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
