// A real daemon under --listen (issue 9, item 4; SPEC 10): gunicorn from Debian (20.1) takes
// systemd socket activation (LISTEN_FDS, LISTEN_PID) and sends READY=1 on NOTIFY_SOCKET once its
// master listens. Under a continuous loop of HTTP requests against 127.0.0.1:
//   (a) kill -9 of the gunicorn master: the supervisor restarts it, and no request fails (the
//       socket is the supervisor's: requests wait in its backlog meanwhile);
//   (b) hot restarts (SIGHUP to the supervisor): a new master starts beside the old one, takes
//       over at its READY=1, the old one is stopped, and no request fails; the responding
//       workers are the new master's children.
// The WSGI app is written by the test into its temp directory (served with --chdir); it answers
// with its worker's pid and parent pid. Skipped when gunicorn is not installed (Debian package:
// gunicorn). The recipe for users: docs/daemons.md, "gunicorn".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "echo_client.hpp"
#include "harness.hpp"

namespace e2e {
namespace {

const char* const kApp = R"(import os


def app(environ, start_response):
    body = "pid=%d ppid=%d\n" % (os.getpid(), os.getppid())
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body.encode()]
)";

std::string find_gunicorn() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"}) {
    const std::string path = std::string(dir) + "/gunicorn";
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

struct Reply {
  int error = 0;  // errno of the step that failed; EPROTO: not a 200 with pid= and ppid=
  pid_t pid = 0, ppid = 0;
  std::string text;
};

// One HTTP/1.0 GET / on its own connection, bounded by `timeout` for each step.
Reply http_get(int port, Millis timeout = 10000ms) {
  Reply reply;
  int fd = -1;
  const std::string request = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  reply.error = connect_to({port, ""}, timeout, &fd);
  if (reply.error == 0 && send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                              static_cast<ssize_t>(request.size())) {
    reply.error = errno;
  }
  if (reply.error == 0) {
    char buf[1024];
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) reply.error = errno;
      if (n <= 0) break;
      reply.text.append(buf, static_cast<size_t>(n));
    }
  }
  if (fd >= 0) close(fd);
  if (reply.error != 0) return reply;
  const auto body = reply.text.find("\r\n\r\n");
  long pid = 0, ppid = 0;
  if (reply.text.rfind("HTTP/1.", 0) != 0 || reply.text.find(" 200 ") == std::string::npos ||
      body == std::string::npos ||
      std::sscanf(reply.text.c_str() + body + 4, "pid=%ld ppid=%ld", &pid, &ppid) != 2) {
    reply.error = EPROTO;
    return reply;
  }
  reply.pid = static_cast<pid_t>(pid);
  reply.ppid = static_cast<pid_t>(ppid);
  return reply;
}

// A client that requests continuously, one request at a time (paced at one every 2 ms at most),
// on a thread of its own, and counts what it got.
class LoadClient {
 public:
  explicit LoadClient(int port) : port_(port), thread_([this] { loop(); }) {}
  ~LoadClient() { stop(); }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }
  double slowest_ms() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slowest_ms_;
  }
  std::string failures() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failures_;
  }
  // How many replies came from workers of this master.
  int served_by(pid_t master) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = by_master_.find(master);
    return it == by_master_.end() ? 0 : it->second;
  }
  // The (worker, master) of the latest reply.
  std::pair<pid_t, pid_t> last() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
  }
  std::set<pid_t> workers_of(pid_t master) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = workers_.find(master);
    return it == workers_.end() ? std::set<pid_t>{} : it->second;
  }

 private:
  void loop() {
    while (!stop_) {
      const auto start = Clock::now();
      const Reply reply = http_get(port_);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slowest_ms_ = std::max(slowest_ms_, ms_between(start, Clock::now()));
        if (reply.error == 0) {
          ++ok_;
          ++by_master_[reply.ppid];
          workers_[reply.ppid].insert(reply.pid);
          last_ = {reply.pid, reply.ppid};
        } else {
          ++failed_;
          if (failed_ <= 10) {
            failures_ += "  request " + std::to_string(ok_ + failed_) + ": " +
                         std::strerror(reply.error) + " [" + reply.text.substr(0, 80) + "]\n";
          }
        }
      }
      std::this_thread::sleep_until(start + 2ms);  // pacing, not synchronisation
    }
  }

  const int port_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  mutable std::mutex mutex_;
  std::string failures_;
  std::map<pid_t, int> by_master_;
  std::map<pid_t, std::set<pid_t>> workers_;
  std::pair<pid_t, pid_t> last_{0, 0};
  double slowest_ms_ = 0;
  std::thread thread_;
};

class Gunicorn : public E2ETest {
 protected:
  void SetUp() override {
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET"}) {
      unsetenv(name);
    }
    gunicorn_ = find_gunicorn();
    if (gunicorn_.empty()) GTEST_SKIP() << "gunicorn is not installed (Debian package: gunicorn)";
    write_file(tmp_ / "app.py", kApp);
  }

  // supervisor --listen=127.0.0.1:PORT --ready=notify --hot-restart=HUP -c --
  //   gunicorn --workers 2 --chdir TMP app:app
  // on a free port; returns once the master sent READY=1 (*master: its pid). Retries with
  // another port if one was taken in between.
  std::unique_ptr<SupervisedRun> start(pid_t* master) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      auto run = std::make_unique<SupervisedRun>(std::vector<std::string>{
          "--listen=127.0.0.1:" + std::to_string(port_), "--ready=notify", "--hot-restart=HUP",
          "-c", "--", gunicorn_, "--workers", "2", "--chdir", tmp_.path(),
          "--graceful-timeout", "5", "app:app"});
      auto ready = run->find_line(Stream::kErr, R"(pid (\d+) is ready)", 20000ms);
      if (ready) {
        *master = static_cast<pid_t>(ready->num(1));
        return run;
      }
      run->send(SIGTERM);
      run->wait_exit(15000ms);
      if (run->count(Stream::kErr, "Address already in use") == 0) {
        ADD_FAILURE() << "gunicorn did not become ready:\n" << run->log();
        return nullptr;
      }
    }
    ADD_FAILURE() << "no free port in 5 attempts";
    return nullptr;
  }

  // Whether the workers of `master` answer: 20 requests of the load served by them (bounded).
  static ::testing::AssertionResult serving(const LoadClient& load, pid_t master,
                                            SupervisedRun& run) {
    if (eventually([&] { return load.served_by(master) >= 20; }, 15000ms)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "pid " << master << "'s workers do not serve\n"
                                         << load.failures() << run.log();
  }

  // Stops the load, checks it never failed, and stops the supervisor.
  void finish(LoadClient& load, SupervisedRun& run) {
    load.stop();
    std::cout << "[ measured ] " << cgroup_mode() << ": " << load.ok() << " requests served, "
              << load.failed() << " failed, the slowest in " << load.slowest_ms() << " ms\n";
    EXPECT_EQ(load.failed(), 0) << load.failures() << run.log();
    run.send(SIGTERM);
    EXPECT_EQ(run.wait_exit(20000ms), 0) << run.log();
  }

  std::string gunicorn_;
  int port_ = 0;
};

// (a) kill -9 of the master: the supervisor restarts gunicorn (-c), the new master takes the
// same socket, and the client loop sees no failed request, only a slower one.
TEST_F(Gunicorn, Kill9OfTheMasterIsRestartedWithNoFailedRequest) {
  pid_t master = 0;
  auto run = start(&master);
  ASSERT_TRUE(run);
  LoadClient load(port_);
  ASSERT_TRUE(serving(load, master, *run));
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE("kill -9, round " + std::to_string(round));
    ASSERT_EQ(kill(master, SIGKILL), 0);
    auto restarted = run->expect_err(R"(started \S+ as pid (\d+))", 15000ms);
    ASSERT_TRUE(restarted) << run->log();
    const pid_t next = static_cast<pid_t>(restarted->num(1));
    EXPECT_NE(next, master);
    ASSERT_TRUE(run->expect_err("pid " + std::to_string(next) + " is ready", 20000ms));
    // The new master's workers serve; the old ones (orphans, stopped by the supervisor) are gone.
    ASSERT_TRUE(serving(load, next, *run));
    for (pid_t worker : load.workers_of(master)) {
      EXPECT_TRUE(wait_gone(worker, 15000ms)) << "old worker " << worker << " still runs";
    }
    master = next;
  }
  finish(load, *run);
}

// (b) Three hot restarts under load: each starts a new master beside the old one, which is
// stopped once the new one sent READY=1; no request fails, and the workers that answer change
// to the new master's.
TEST_F(Gunicorn, HotRestartsFailNoRequestAndNewWorkersAnswer) {
  pid_t master = 0;
  auto run = start(&master);
  ASSERT_TRUE(run);
  LoadClient load(port_);
  ASSERT_TRUE(serving(load, master, *run));
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("hot restart " + std::to_string(round));
    run->send(SIGHUP);
    auto taken = run->expect_err(R"(hot restart: pid (\d+) takes over; stopping pid )" +
                                     std::to_string(master),
                                 30000ms);
    ASSERT_TRUE(taken) << run->log();
    const pid_t next = static_cast<pid_t>(taken->num(1));
    EXPECT_NE(next, master);
    ASSERT_TRUE(wait_gone(master, 15000ms)) << "the old master was not stopped\n" << run->log();
    ASSERT_TRUE(serving(load, next, *run));
    // From now on only the new master's workers answer, and they are new processes.
    const auto old_workers = load.workers_of(master);
    for (pid_t worker : old_workers) {
      EXPECT_TRUE(wait_gone(worker, 15000ms)) << "old worker " << worker << " still runs";
    }
    const int seen = load.ok();
    ASSERT_TRUE(eventually([&] { return load.ok() >= seen + 10; }, 15000ms));
    const auto [worker, parent] = load.last();
    EXPECT_EQ(parent, next);
    EXPECT_EQ(old_workers.count(worker), 0u) << "worker " << worker << " answered for both";
    master = next;
  }
  EXPECT_EQ(run->count(Stream::kErr, "hot restart failed"), 0) << run->log();
  finish(load, *run);
}

}  // namespace
}  // namespace e2e
