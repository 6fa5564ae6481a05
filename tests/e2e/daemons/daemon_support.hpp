// Helpers for tests/e2e/daemons_test.cpp (real daemons under the supervisor): finding a daemon,
// rendering its configuration from tests/e2e/daemons/*.in, and the fixture with the "nothing
// left behind" checks. Processes, /proc and waits come from the shared harness.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "net_support.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

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

// Written to a temp file and renamed: a daemon re-reading it never sees half of it.
void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  write_file(tmp, text);
  fs::rename(tmp, path);
}

// A fixture file from tests/e2e/daemons/ with every @KEY@ replaced.
std::string render_fixture(const std::string& name,
                           const std::map<std::string, std::string>& vars) {
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

// The supervisor in debug mode with its stderr and the daemon's output in one stream (kOut),
// in the order they were written.
std::unique_ptr<SupervisedRun> supervise_daemon(std::vector<std::string> args) {
  RunOptions options;
  options.merge_stderr = true;
  args.insert(args.begin(), "--debug");
  return std::make_unique<SupervisedRun>(std::move(args), options);
}

// Every daemon test: processes of the app are remembered as they are seen, so that "nothing
// left" can name them even if they were never the supervisor's children.
class DaemonTest : public E2ETest {
 protected:
  // Remembers every process below the supervisor now (pid and start time).
  void remember_app(SupervisedRun& sup) {
    for (pid_t p : descendants_of(sup.pid())) {
      if (auto st = read_stat(p)) seen_[p] = st->starttime;
    }
  }

  // After the supervisor exited: no process of the app (seen or not), nothing listening on
  // `port`, no cgroup of the supervisor. (The harness checks the last two again at the end.)
  void expect_nothing_left(SupervisedRun& sup, int port) {
    for (const auto& [pid, start] : seen_) {
      auto st = read_stat(pid);
      EXPECT_FALSE(st && st->starttime == start && st->state != 'Z')
          << "process " << pid << " of the app survived the supervisor: " << cmdline_of(pid);
    }
    // Leftovers would have been reparented to this test (a subreaper).
    std::vector<pid_t> left;
    eventually([&] {
      left.clear();
      for (pid_t p : descendants_of(::getpid())) {
        if (is_zombie(p) && parent_of(p) == ::getpid()) ::waitpid(p, nullptr, WNOHANG);
        if (is_alive(p)) left.push_back(p);
      }
      return left.empty();
    }, 2000ms);
    for (pid_t p : left) {
      ADD_FAILURE() << "process left behind: " << p << " " << cmdline_of(p) << "\n" << sup.log();
    }
    EXPECT_FALSE(port_accepts(port)) << "something still listens on 127.0.0.1:" << port;
    for (const auto& dir : leftover_cgroups({sup.pid()})) {
      ADD_FAILURE() << "cgroup left behind: " << dir << "\n" << sup.log();
    }
  }

  std::map<pid_t, unsigned long long> seen_;
};

}  // namespace
}  // namespace e2e
