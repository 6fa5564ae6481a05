// SPEC 7 and issue 4: socket activation passed through. Sockets received with LISTEN_FDS
// (LISTEN_PID = the supervisor) stay open in the supervisor for its whole life and reach every
// incarnation of the app as fds 3, 4, … with LISTEN_PID = the app's own pid, LISTEN_FDS and
// LISTEN_FDNAMES. While the app restarts, connections queue in the kernel's backlog: a client
// that keeps connecting to a crashing echo server is never refused.
//
// The activator is the test itself (bind, listen, LISTEN_* and exec the supervisor: what
// systemd does), and, where installed, systemd-socket-activate(1). The test closes its own copy
// of each listening socket at once, so only the supervisor can keep it open.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "echo_client.hpp"
#include "harness.hpp"

namespace e2e {
namespace {

class SocketActivation : public E2ETest {
 protected:
  void SetUp() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID",
                             "LISTEN_FDS", "LISTEN_FDNAMES"}) {
      unsetenv(name);
    }
  }
};

struct Listener {
  int fd = -1;
  int port = 0;
};

// A TCP socket listening on 127.0.0.1 at a port the kernel picks.
Listener listen_tcp() {
  Listener l;
  l.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (l.fd < 0 || bind(l.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(l.fd, 128) != 0 || getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "listening socket: " << strerror(errno);
    return l;
  }
  l.port = ntohs(addr.sin_port);
  return l;
}

struct EchoResult {
  int error = 0;      // errno of connect/write/read, 0 on success
  std::string reply;  // without the newline
  double ms = 0;      // connect to reply
};

// One client connection: connect, send `text` and a newline, read the line back.
EchoResult echo(int port, const std::string& text, Millis timeout = 10000ms) {
  EchoResult r;
  auto start = Clock::now();
  int fd = -1;
  std::string line = text + "\n";
  if (const int error = connect_to({port, ""}, timeout, &fd); error != 0) {
    r.error = error;
  } else if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    r.error = errno;
  } else {
    char buf[256];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        r.reply.append(buf, static_cast<size_t>(n));
        if (r.reply.find('\n') != std::string::npos) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        r.error = errno;
      else if (r.reply.empty())
        r.error = ECONNRESET;  // closed without an answer
      break;
    }
  }
  if (fd >= 0) close(fd);
  if (!r.reply.empty() && r.reply.back() == '\n') r.reply.pop_back();
  r.ms = ms_between(start, Clock::now());
  return r;
}

// The test as the activator: `fds` become 3, 4, … of the supervisor, with LISTEN_PID = its pid.
// The test's own copies are closed once the supervisor has them.
std::unique_ptr<SupervisedRun> activate(std::vector<Listener*> listeners,
                                        const std::string& names,
                                        std::vector<std::string> supervisor_args) {
  RunOptions options;
  for (Listener* l : listeners) options.pass_fds.push_back(l->fd);
  options.env = {"LISTEN_FDS=" + std::to_string(listeners.size()), "LISTEN_FDNAMES=" + names};
  options.listen_pid_self = true;
  auto run = std::make_unique<SupervisedRun>(std::move(supervisor_args), options);
  for (Listener* l : listeners) {
    close(l->fd);
    l->fd = -1;
  }
  return run;
}

// The "Done when" measurement: an echo server crashing after every third connection, eleven
// connections in a row, three crashes, no connection refused or lost.
struct Traffic {
  int refused = 0, failed = 0, wrong = 0;
  double slowest_ms = 0;
  std::string failures;
};

Traffic keep_connecting(int port, int connections) {
  Traffic t;
  for (int i = 1; i <= connections; ++i) {
    std::string text = "hello " + std::to_string(i);
    EchoResult r = echo(port, text);
    t.slowest_ms = std::max(t.slowest_ms, r.ms);
    if (r.error == ECONNREFUSED)
      ++t.refused;
    else if (r.error != 0)
      ++t.failed;
    else if (r.reply != text)
      ++t.wrong;
    if (r.error != 0 || r.reply != text) {
      t.failures += "  connection " + std::to_string(i) + ": " +
                    (r.error ? strerror(r.error) : "reply '" + r.reply + "'") + "\n";
    }
  }
  return t;
}

TEST_F(SocketActivation, NoConnectionIsRefusedAcrossThreeCrashes) {
  Listener l = listen_tcp();
  ASSERT_GE(l.fd, 0);
  const int port = l.port;
  auto run = activate({&l}, "echo", {"-c", "--", kTestapp, "echo-server", "3"});
  ASSERT_TRUE(run->expect_out(R"(^listening pid=\d+ fds=1 names=echo$)"));
  Traffic t = keep_connecting(port, 11);
  EXPECT_EQ(t.refused, 0) << t.failures << run->log();
  EXPECT_EQ(t.failed, 0) << t.failures << run->log();
  EXPECT_EQ(t.wrong, 0) << t.failures << run->log();
  EXPECT_EQ(run->count(Stream::kOut, "^crashing pid="), 3) << run->log();
  EXPECT_EQ(run->count(Stream::kOut, "^listening pid="), 4) << run->log();
  RecordProperty("slowest_connection_ms", static_cast<int>(t.slowest_ms));
  std::cout << "[ measured ] 11 connections, 3 crashes: slowest connection " << t.slowest_ms
            << " ms (restart backoff 0, 1, 2 s)\n";
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
  EXPECT_TRUE(leftover_cgroups({run->pid()}).empty());
}

// Every fd, in order, with its name, and LISTEN_PID naming the app itself; nothing else of the
// supervisor's beyond stdio.
TEST_F(SocketActivation, AppGetsEverySocketFromFd3WithItsOwnPid) {
  Listener a = listen_tcp(), b = listen_tcp();
  ASSERT_GE(a.fd, 0);
  ASSERT_GE(b.fd, 0);
  auto run = activate({&a, &b}, "web:admin", {"--", kTestapp, "env"});
  auto listen_pid = run->expect_out(R"(^env LISTEN_PID(=(.*)| unset)$)");
  auto listen_fds = run->expect_out(R"(^env LISTEN_FDS(=(.*)| unset)$)");
  auto names = run->expect_out(R"(^env LISTEN_FDNAMES(=(.*)| unset)$)");
  auto self = run->expect_out(R"(^env pid=(\d+) fds=(\S*)$)");
  ASSERT_TRUE(listen_pid && listen_fds && names && self);
  EXPECT_EQ(listen_pid->groups[2], self->groups[1]);
  EXPECT_EQ(listen_fds->groups[2], "2");
  EXPECT_EQ(names->groups[2], "web:admin");
  EXPECT_EQ(self->groups[2], "0,1,2,3,4");
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

// The fd numbers carry the sockets themselves, in order: fd 3 is the first one passed.
TEST_F(SocketActivation, Fd3IsTheFirstSocketPassed) {
  Listener a = listen_tcp(), b = listen_tcp();
  ASSERT_GE(a.fd, 0);
  ASSERT_GE(b.fd, 0);
  const int first = a.port, second = b.port;
  auto run = activate({&a, &b}, "first:second", {"--", kTestapp, "echo-server"});
  ASSERT_TRUE(run->expect_out(R"(^listening pid=\d+ fds=2 names=first:second$)"));
  EchoResult r = echo(first, "to the first", 5000ms);
  EXPECT_EQ(r.error, 0) << strerror(r.error);
  EXPECT_EQ(r.reply, "to the first");
  // The second socket is held (connections queue) but nobody accepts on it.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(second));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << "the second socket is closed: " << strerror(errno);
  close(fd);
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

// LISTEN_* meant for another process are not the app's, and no stray fd reaches it.
TEST_F(SocketActivation, ListenVariablesForAnotherPidDoNotReachTheApp) {
  RunOptions options;
  options.env = {"LISTEN_PID=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=stale"};
  SupervisedRun run({"--", kTestapp, "env"}, options);
  for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) {
    auto line = run.expect_out(std::string("^env ") + name + "( unset|=.*)$");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->groups[1], " unset") << line->line;
  }
  auto self = run.expect_out(R"(^env pid=(\d+) fds=(\S*)$)");
  ASSERT_TRUE(self);
  EXPECT_EQ(self->groups[2], "0,1,2");
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// SPEC 10: systemd's socket at 3 and --listen's at 4 leave --notify-fd=4 no room. Known only
// once the sockets are taken, so refused then, before anything is left behind: 125, one line.
TEST_F(SocketActivation, NotifyFdOnAnInheritedSocketsNumberIsRefusedAtStart) {
  Listener l = listen_tcp();
  const std::string pidfile = tmp_ / "sup.pid";
  auto run = activate(
      {&l}, "web",
      {"-p", pidfile, "--notify-fd=4", "--listen=127.0.0.1:0", "--", kTestapp, "args", "hello"});
  EXPECT_EQ(run->wait_exit(), 125) << run->log();
  run->drain();
  const auto& err = run->lines(Stream::kErr);
  ASSERT_EQ(err.size(), 1u) << run->log();
  EXPECT_EQ(err[0].text,
            "supervisor: --notify-fd=4: the app gets its 2 listening sockets "
            "(LISTEN_FDS) at fds 3 to 4; use 5 or above");
  EXPECT_TRUE(run->lines(Stream::kOut).empty()) << "the app ran: " << run->log();
  EXPECT_FALSE(read_file(pidfile).has_value()) << "pidfile left behind";
  EXPECT_TRUE(leftover_cgroups({run->pid()}).empty());
}

// The same measurement with the real activator from Debian's systemd package.
TEST_F(SocketActivation, SystemdSocketActivateEchoServerSurvivesThreeCrashes) {
  if (access("/usr/bin/systemd-socket-activate", X_OK) != 0) {
    GTEST_SKIP() << "no /usr/bin/systemd-socket-activate";
  }
  std::unique_ptr<SupervisedRun> run;
  int port = 0;
  // It binds the port itself: take a free one from the kernel; retry if another process took
  // it in between.
  for (int attempt = 0; attempt < 5 && !run; ++attempt) {
    Listener probe = listen_tcp();
    ASSERT_GE(probe.fd, 0);
    port = probe.port;
    close(probe.fd);
    RunOptions options;
    options.wrapper = {"/usr/bin/systemd-socket-activate", "-l",
                       "127.0.0.1:" + std::to_string(port), "--fdname=echo"};
    run = std::make_unique<SupervisedRun>(
        std::vector<std::string>{"-c", "--", kTestapp, "echo-server", "3"}, options);
    auto said = run->find_line(Stream::kErr, "Listening on|[Aa]ddress already in use|Failed", kDeadline);
    if (!said || said->line.find("Listening on") == std::string::npos) {
      if (said && said->line.find("already in use") != std::string::npos) {
        run.reset();
        continue;
      }
      FAIL() << "systemd-socket-activate did not listen\n" << run->log();
    }
  }
  ASSERT_TRUE(run);
  // It execs the supervisor on the first connection, which queues meanwhile.
  Traffic t = keep_connecting(port, 11);
  EXPECT_EQ(t.refused, 0) << t.failures << run->log();
  EXPECT_EQ(t.failed, 0) << t.failures << run->log();
  EXPECT_EQ(t.wrong, 0) << t.failures << run->log();
  EXPECT_EQ(run->count(Stream::kOut, "^crashing pid="), 3) << run->log();
  EXPECT_EQ(run->count(Stream::kOut, R"(^listening pid=\d+ fds=1 names=echo$)"), 4) << run->log();
  std::cout << "[ measured ] systemd-socket-activate, 11 connections, 3 crashes: slowest "
            << t.slowest_ms << " ms\n";
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

// "0,1,2,3,…,last".
std::string fds_up_to(int last) {
  std::string out;
  for (int fd = 0; fd <= last; ++fd) out += (fd == 0 ? "" : ",") + std::to_string(fd);
  return out;
}

// The hard RLIMIT_NOFILE the test may hand on (raising it takes a privilege).
rlim_t hard_fd_limit() {
  rlimit limit{};
  return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_max : 0;
}

// SPEC 7: under systemd's default soft limit of 1024, with a hard limit above it, 900 sockets
// reach the app at 3 … 902 and nothing else, and the app has the soft limit 1024 it would
// have had without the supervisor (which raises its own to hold them all and more).
TEST_F(SocketActivation, NineHundredSocketsUnderASoftLimitOf1024ReachTheAppWithThatLimit) {
  const rlim_t hard = std::min<rlim_t>(hard_fd_limit(), 20000);
  if (hard < 2048) GTEST_SKIP() << "the hard fd limit is too low to pass 900 fds";
  RunOptions options;
  options.wrapper = {kTestapp, "activate", "900", "1024", std::to_string(hard)};
  for (int incarnation = 1; incarnation <= 2; ++incarnation) {
    SCOPED_TRACE("incarnation " + std::to_string(incarnation));
    SupervisedRun run(
        supervise(incarnation == 1 ? std::vector<std::string>{} : std::vector<std::string>{"-c"},
                  {"env"}),
        options);
    if (incarnation == 2) {
      // A restart passes them again, from the supervisor's copies.
      auto first = run.expect_out(R"(^env pid=(\d+) fds=)");
      ASSERT_TRUE(first);
      kill(first->pid(1), SIGKILL);
      ASSERT_TRUE(run.expect_err(kRestarting));
    }
    auto limit = run.expect_out(R"(^env nofile=(\d+):(\d+)$)");
    ASSERT_TRUE(limit);
    EXPECT_EQ(limit->groups[1], "1024");
    EXPECT_EQ(limit->groups[2], std::to_string(hard));
    auto fds = run.expect_out(R"(^env pid=(\d+) fds=([0-9,]+)$)");
    ASSERT_TRUE(fds);
    EXPECT_EQ(fds->groups[2], fds_up_to(902));
    EXPECT_EQ(run.count(Stream::kOut, "^env LISTEN_FDS=900$"), incarnation) << run.log();
    EXPECT_EQ(run.count(Stream::kOut, "^env LISTEN_PID=" + fds->groups[1] + "$"), 1) << run.log();
    run.send(SIGTERM);
    EXPECT_EQ(run.wait_exit(), 0) << run.log();
  }
}

// More sockets than systemd's default soft limit, where the limits allow them (an app that
// is to open files of its own beside them needs a soft limit above their count).
TEST_F(SocketActivation, MoreSocketsThan1024ReachTheAppWhereTheLimitsAllow) {
  const rlim_t hard = std::min<rlim_t>(hard_fd_limit(), 20000);
  if (hard < 2048) GTEST_SKIP() << "the hard fd limit is too low to pass 1500 fds";
  RunOptions options;
  options.wrapper = {kTestapp, "activate", "1500", "2048", std::to_string(hard)};
  SupervisedRun run(supervise({}, {"env"}), options);
  // 0 to 1502, every one.
  ASSERT_TRUE(run.expect_out("^env fdcount=1503 highest=1502$"));
  EXPECT_EQ(run.count(Stream::kOut, "^env LISTEN_FDS=1500$"), 1) << run.log();
  EXPECT_EQ(run.count(Stream::kOut, "^env nofile=2048:" + std::to_string(hard) + "$"), 1)
      << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// A soft limit that is the hard one already leaves the supervisor no room to raise it: with
// nearly as many sockets as the limit, the app gets them all or the supervisor cannot set up,
// exiting 125 with one line; never a crash.
TEST_F(SocketActivation, SocketsUpToAnUnraisableLimitReachTheAppOrFailWithOneLine) {
#ifdef E2E_SANITIZED
  GTEST_SKIP() << "the sanitizer runtimes need file descriptors of their own";
#endif
  int ran = 0;
  for (int count : {1000, 1008, 1012, 1016, 1021}) {
    SCOPED_TRACE(std::to_string(count) + " sockets");
    RunOptions options;
    options.wrapper = {kTestapp, "activate", std::to_string(count), "1024", "1024"};
    SupervisedRun run(supervise({}, {"env"}), options);
    auto fds = run.find_line(Stream::kOut, R"(^env pid=\d+ fds=([0-9,]+)$)", 3000ms);
    if (!fds) {
      EXPECT_EQ(run.wait_exit(), 125) << run.log();
      EXPECT_EQ(run.lines(Stream::kErr).size(), 1u) << run.log();
      EXPECT_EQ(run.count(Stream::kErr, "^supervisor: .*: Too many open files"), 1) << run.log();
      continue;
    }
    ++ran;
    EXPECT_EQ(fds->groups[1], fds_up_to(count + 2));
    run.send(SIGTERM);
    EXPECT_EQ(run.wait_exit(), 0) << run.log();
  }
  EXPECT_GT(ran, 0) << "not even 1000 sockets reached the app";
}

}  // namespace
}  // namespace e2e
