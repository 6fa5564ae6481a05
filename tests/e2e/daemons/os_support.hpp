// Helpers for tests/e2e/daemons_test.cpp (real daemons under the supervisor), in three headers:
//   os_support.hpp      files, fixtures, temp dirs, /proc look-ups, pidfds, leftover cgroups
//   net_support.hpp     a loopback HTTP client and load loop, a tiny HTTP backend, RESP PING
//   supervisor_run.hpp  a supervisor run with its output read by a thread and time-stamped, and
//                       the fixture with the "nothing left behind" checks
//
// Self-contained on purpose (header-only, everything in an anonymous namespace): it does not
// depend on the shared harness, so the daemon tests build and run whatever state it is in.
// No sleeping to synchronise: waits are polls on pipes or pidfds with deadlines, or bounded
// re-checks of a condition where the kernel offers no event (a pid file's contents).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
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

// Whether `pid` has a handler installed for `sig` and does not block it (SigCgt and SigBlk in
// /proc/PID/status): a signal sent now is acted on, not discarded by SIG_IGN nor left pending.
bool catches_signal(pid_t pid, int sig) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return false;
  auto mask = [&](const std::string& field) -> unsigned long long {
    const size_t at = text->find("\n" + field + ":");
    if (at == std::string::npos) return 0;
    return std::strtoull(text->c_str() + at + field.size() + 2, nullptr, 16);
  };
  const unsigned long long bit = 1ULL << (sig - 1);
  return (mask("SigCgt") & bit) != 0 && (mask("SigBlk") & bit) == 0;
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

}  // namespace
}  // namespace daemons_e2e
