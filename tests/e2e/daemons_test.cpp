// Real daemons under the supervisor (issue 3, item 6; SPEC 1, 5, 6): nginx binary upgrades and
// its self-daemonizing start, redis-server --daemonize yes restarted after a crash, haproxy's
// master-worker reload. Each daemon runs on 127.0.0.1, on a free port, with its own
// configuration (tests/e2e/daemons/*.in) and every file it writes in a temp directory; never the
// packaged service. A test skips only when its daemon is not installed (Debian packages: nginx,
// redis-server, haproxy). How each daemon behaves on its own, and why the tests do what they do:
// docs/daemons.md.
//
// None of the scenarios needs cgroups: the supervisor is a child subreaper in every backend, so
// a daemon's launcher, an nginx master left by its old binary and a redis server all end up as
// its direct children, and the "same executable" rule (SPEC 5, rule 3) or the pid file finds
// them. They run unchanged under SUPERVISOR_TEST_CGROUP=v2, v1 and none.
#include "daemons/daemon_support.hpp"
#include "daemons/net_support.hpp"

namespace e2e {
namespace {

class Daemons : public DaemonTest {};

// Daemons start, reload and stop in their own time: more than the harness's default.
constexpr Millis kDaemonDeadline = 10000ms;

std::string pid_str(pid_t pid) { return std::to_string(pid); }

// ---- nginx ----

// nginx in its default (self-daemonizing) mode, configured by tests/e2e/daemons/nginx.conf.in.
struct Nginx {
  std::string bin;
  const TempDir& dir;
  int port = free_port();

  std::string conf() const { return dir / "nginx.conf"; }
  std::string pidfile() const { return dir / "nginx.pid"; }
  std::string error_log() const { return dir / "error.log"; }

  void write_config(const std::string& body) const {
    write_file_atomically(conf(), render_fixture("nginx.conf.in", {{"DIR", dir.path()},
                                                        {"PORT", std::to_string(port)},
                                                        {"BODY", body},
                                                        {"USER", ::geteuid() == 0 ? "user root;" : ""}}));
  }
  // The absolute path matters: on USR2 nginx executes its own argv[0] without a PATH search.
  // -e: the error log before the configuration is read (else the build's default: stderr on
  // Debian, /var/log/nginx/error.log on many other builds).
  std::vector<std::string> command(std::vector<std::string> extra = {}) const {
    std::vector<std::string> cmd = {bin, "-p", dir.path() + "/", "-c", conf(), "-e", error_log()};
    cmd.insert(cmd.end(), extra.begin(), extra.end());
    return cmd;
  }
  std::string log() const { return "---- nginx error.log ----\n" + read_file(error_log()).value_or("") + "----\n"; }
};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The nginx processes' children other than `except` that still run.
size_t other_live_children(pid_t parent, pid_t except) {
  size_t n = 0;
  for (pid_t c : live_children_of(parent)) n += c != except ? 1 : 0;
  return n;
}

// (a) Three binary upgrades in a row through the supervisor's PID, nginx self-daemonizing,
// while a client requests continuously. Each round: USR2 to the supervisor -> forwarded to the
// current master, which renames nginx.pid to nginx.pid.oldbin and starts a new master (its own
// child); WINCH -> the old workers finish; QUIT -> the old master exits, the new master is
// reparented to the supervisor (subreaper) and elected by the "same executable" rule. Then a HUP
// to the supervisor reaches the newest master, which reloads a changed configuration.
TEST_F(Daemons, NginxBinaryUpgradeThreeTimesUnderLoad) {
  const std::string bin = find_binary("nginx");
  if (bin.empty()) GTEST_SKIP() << "nginx is not installed (Debian package: nginx)";
  TempDir dir;
  Nginx nginx{bin, dir};
  nginx.write_config("v1");

  auto run = supervise_daemon(concat({"--"}, nginx.command()));
  SupervisedRun& sup = *run;
  remember_app(sup);
  auto started = sup.expect_out(R"(started \S+ as pid (\d+))", kDaemonDeadline);
  ASSERT_TRUE(started);
  // The launcher forks the master and exits: the master is followed.
  auto first = sup.expect_out("main pid " + started->groups[1] + R"( -> (\d+) \(successor\))", kDaemonDeadline);
  ASSERT_TRUE(first) << nginx.log();
  const pid_t first_master = first->pid(1);
  pid_t master = first_master;
  ASSERT_TRUE(eventually([&] { return read_pid_file(nginx.pidfile()) == master; }))
      << "nginx.pid should name the master " << master << "\n" << nginx.log() << sup.log();
  ASSERT_TRUE(eventually([&] { return http_get(nginx.port).ok; })) << nginx.log();
  remember_app(sup);

  LoadClient load(nginx.port);
  ASSERT_TRUE(eventually([&] { return load.ok() + load.failed() > 0; }));

  std::vector<double> handovers;
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("upgrade " + std::to_string(round));
    const pid_t old = master;
    sup.send(SIGUSR2);
    pid_t fresh = 0;
    ASSERT_TRUE(eventually([&] {
      auto now = read_pid_file(nginx.pidfile());
      auto oldbin = read_pid_file(nginx.pidfile() + ".oldbin");
      if (!now || !oldbin || *oldbin != old || *now == old) return false;
      fresh = static_cast<pid_t>(*now);
      if (!is_alive(fresh)) return false;
      return true;
    }, 10000ms)) << "no new master after USR2\n" << nginx.log() << sup.log();
    EXPECT_EQ(parent_of(fresh), old) << "the new master is the old master's child";
    // The new master's two workers are up before the old ones are told to go.
    ASSERT_TRUE(eventually([&] { return live_children_of(fresh).size() >= 2; }, 10000ms)) << nginx.log();
    EXPECT_TRUE(load.progressed(20)) << "both generations of workers serve";
    remember_app(sup);

    sup.send(SIGWINCH);
    ASSERT_TRUE(eventually([&] { return other_live_children(old, fresh) == 0; }, 10000ms))
        << "the old workers should finish after WINCH\n" << nginx.log();
    EXPECT_TRUE(load.progressed(20)) << "only the new workers serve";

    ExitWatch old_master(old);
    const auto quit_at = Clock::now();
    sup.send(SIGQUIT);
    const auto gone_at = old_master.wait(10000ms);
    ASSERT_TRUE(gone_at) << "the old master should exit after QUIT\n" << nginx.log() << sup.log();
    auto followed = sup.expect_out("main pid " + pid_str(old) + R"( -> (\d+) \(successor\))", kDaemonDeadline);
    ASSERT_TRUE(followed) << nginx.log();
    EXPECT_EQ(followed->pid(1), fresh);
    EXPECT_EQ(parent_of(fresh), sup.pid()) << "reparented to the supervisor, its subreaper";
    EXPECT_TRUE(sup.running()) << "QUIT is forwarded but requests no stop";
    EXPECT_TRUE(load.progressed(20)) << "served by the new master alone";
    const double handover = ms_between(*gone_at, followed->at);
    handovers.push_back(handover);
    std::cout << "[ measured ] upgrade " << round << " (" << cgroup_mode() << "): QUIT -> old master "
              << old << " gone " << ms_between(quit_at, *gone_at) << " ms; gone -> 'main pid " << old
              << " -> " << fresh << "' read " << handover << " ms\n";
    master = fresh;
  }
  load.stop();
  std::cout << "[ measured ] old master gone -> new main pid followed (ms, " << cgroup_mode() << "):";
  for (double h : handovers) std::cout << " " << h;
  std::cout << "\n";
  EXPECT_EQ(load.failed(), 0) << "requests failed during the upgrades:\n" << load.failures();
  EXPECT_GT(load.ok(), 0);
  EXPECT_FALSE(load.hit_bound());
  std::cout << "[ measured ] " << load.ok() << " requests answered during 3 upgrades, "
            << load.failed() << " failed\n";
  EXPECT_NE(master, first_master);
  EXPECT_TRUE(sup.running());
  EXPECT_EQ(sup.count(Stream::kOut, R"(main pid \d+ -> \d+)"), 4) << "launcher -> master, then three upgrades\n" << sup.log();
  EXPECT_EQ(sup.count(Stream::kOut, R"(restarting|stopping)"), 0) << sup.log();

  // HUP to the supervisor's (unchanged) PID reaches the newest master: it reloads.
  nginx.write_config("v2");
  sup.send(SIGHUP);
  EXPECT_TRUE(eventually([&] { return http_get(nginx.port).body == "v2\n"; }, 10000ms))
      << "the newest master should have reloaded the configuration\n" << nginx.log();
  const std::string reload = pid_str(master) + "#" + pid_str(master) +
                             ": signal 1 (SIGHUP) received from " + pid_str(sup.pid()) + ", reconfiguring";
  EXPECT_NE(nginx.log().find(reload), std::string::npos) << "expected: " << reload << "\n" << nginx.log();
  remember_app(sup);

  sup.send(SIGTERM);
  EXPECT_EQ(sup.wait_exit(20000ms), 0) << "nginx exits 0 on TERM\n" << sup.log();
  expect_nothing_left(sup, nginx.port);
}

// (b) nginx self-daemonizing under -P with its pid file: the master is followed (the pid file
// or, if the launcher exited before the master wrote it, the "same executable" rule), and TERM
// to the supervisor stops nginx entirely.
TEST_F(Daemons, NginxWithMainPidfileFollowsMasterAndStopsOnTerm) {
  const std::string bin = find_binary("nginx");
  if (bin.empty()) GTEST_SKIP() << "nginx is not installed (Debian package: nginx)";
  TempDir dir;
  Nginx nginx{bin, dir};
  nginx.write_config("b");

  auto run = supervise_daemon(concat({"-P", nginx.pidfile(), "--"}, nginx.command()));
  SupervisedRun& sup = *run;
  remember_app(sup);
  auto started = sup.expect_out(R"(started \S+ as pid (\d+))", kDaemonDeadline);
  ASSERT_TRUE(started);
  auto followed = sup.expect_out("main pid " + started->groups[1] + R"( -> (\d+) \((pidfile|successor)\))", kDaemonDeadline);
  ASSERT_TRUE(followed) << nginx.log();
  const pid_t master = followed->pid(1);
  EXPECT_TRUE(eventually([&] { return read_pid_file(nginx.pidfile()) == master; }))
      << "the supervisor's choice and nginx.pid should agree\n" << nginx.log() << sup.log();
  EXPECT_EQ(parent_of(master), sup.pid());
  ASSERT_TRUE(eventually([&] { return http_get(nginx.port).body == "b\n"; })) << nginx.log();
  ASSERT_TRUE(eventually([&] { return live_children_of(master).size() >= 2; })) << nginx.log();
  remember_app(sup);
  EXPECT_TRUE(sup.running());

  sup.send(SIGTERM);
  EXPECT_TRUE(sup.expect_out("stopping: SIGTERM", kDaemonDeadline));
  EXPECT_EQ(sup.wait_exit(20000ms), 0) << sup.log();
  EXPECT_FALSE(fs::exists(nginx.pidfile())) << "nginx removes its pid file when it has stopped";
  expect_nothing_left(sup, nginx.port);
}

// Why the default daemon mode: with "daemon off;" the master's parent is the process that
// started it (the supervisor) for its whole life, and nginx then ignores USR2 ("the changing
// binary signal is ignored") and WINCH. No supervisor can change that; the test pins it down.
TEST_F(Daemons, NginxDaemonOffCannotUpgrade) {
  const std::string bin = find_binary("nginx");
  if (bin.empty()) GTEST_SKIP() << "nginx is not installed (Debian package: nginx)";
  TempDir dir;
  Nginx nginx{bin, dir};
  nginx.write_config("off");

  auto run = supervise_daemon(concat({"--"}, nginx.command({"-g", "daemon off;"})));
  SupervisedRun& sup = *run;
  remember_app(sup);
  auto started = sup.expect_out(R"(started \S+ as pid (\d+))", kDaemonDeadline);
  ASSERT_TRUE(started);
  const pid_t master = started->pid(1);
  ASSERT_TRUE(eventually([&] { return http_get(nginx.port).ok; })) << nginx.log();

  sup.send(SIGUSR2);
  const std::string ignored = "signal 12 (SIGUSR2) received from " + pid_str(sup.pid()) + ", ignoring";
  EXPECT_TRUE(eventually([&] { return nginx.log().find(ignored) != std::string::npos; }))
      << nginx.log();
  sup.send(SIGWINCH);
  const std::string winch = "signal 28 (SIGWINCH) received from " + pid_str(sup.pid());
  EXPECT_TRUE(eventually([&] { return nginx.log().find(winch) != std::string::npos; })) << nginx.log();
  EXPECT_EQ(nginx.log().find("stop accepting connections"), std::string::npos)
      << "WINCH is honoured only by a daemonized master\n" << nginx.log();
  EXPECT_FALSE(fs::exists(nginx.pidfile() + ".oldbin"));
  EXPECT_EQ(read_pid_file(nginx.pidfile()), master);
  EXPECT_TRUE(http_get(nginx.port).ok) << "still served by the same master";
  EXPECT_EQ(sup.count(Stream::kOut, R"(main pid \d+ -> )"), 0) << sup.log();
  remember_app(sup);

  sup.send(SIGTERM);
  EXPECT_EQ(sup.wait_exit(20000ms), 0) << sup.log();
  expect_nothing_left(sup, nginx.port);
}

// ---- redis ----

// (c) redis-server --daemonize yes under -c -P: the launcher exits, the server is followed;
// kill -9 of the server is a crash, so the supervisor starts redis again, whose new server
// answers PING.
TEST_F(Daemons, RedisDaemonizedIsRestartedAfterKill9) {
  const std::string bin = find_binary("redis-server");
  if (bin.empty()) GTEST_SKIP() << "redis-server is not installed (Debian package: redis-server)";
  TempDir dir;
  const int port = free_port();
  const std::string conf = dir / "redis.conf";
  const std::string pidfile = dir / "redis.pid";
  write_file_atomically(conf, render_fixture("redis.conf.in", {{"DIR", dir.path()}, {"PORT", std::to_string(port)}}));
  auto redis_log = [&] { return "---- redis.log ----\n" + read_file(dir / "redis.log").value_or("") + "----\n"; };

  auto run = supervise_daemon({"-c", "-P", pidfile, "--", bin, conf});
  SupervisedRun& sup = *run;
  remember_app(sup);
  auto started = sup.expect_out(R"(started \S+ as pid (\d+))", kDaemonDeadline);
  ASSERT_TRUE(started);
  auto followed = sup.expect_out("main pid " + started->groups[1] + R"( -> (\d+) \((pidfile|successor)\))", kDaemonDeadline);
  ASSERT_TRUE(followed) << redis_log();
  const pid_t server = followed->pid(1);
  ASSERT_TRUE(eventually([&] { return redis_ping(port); })) << redis_log();
  EXPECT_TRUE(eventually([&] { return read_pid_file(pidfile) == server; })) << redis_log();
  EXPECT_EQ(parent_of(server), sup.pid());
  remember_app(sup);

  ASSERT_TRUE(signal_pid(server, SIGKILL)) << strerror(errno);
  ASSERT_TRUE(sup.expect_out("pid " + pid_str(server) + " killed by SIGKILL", kDaemonDeadline));
  ASSERT_TRUE(sup.expect_out(R"(restarting in 0(\.0+)? s \(restart 1\))", kDaemonDeadline));
  auto again = sup.expect_out(R"(started \S+ as pid (\d+))", kDaemonDeadline);
  ASSERT_TRUE(again);
  // The pid file still names the dead server for a moment: it must not be taken for the new one.
  auto refollowed = sup.expect_out("main pid " + again->groups[1] + R"( -> (\d+) \((pidfile|successor)\))", kDaemonDeadline);
  ASSERT_TRUE(refollowed) << redis_log();
  const pid_t server2 = refollowed->pid(1);
  EXPECT_NE(server2, server);
  EXPECT_TRUE(is_alive(server2));
  EXPECT_TRUE(eventually([&] { return redis_ping(port); })) << "the new server should answer PING\n" << redis_log();
  EXPECT_TRUE(eventually([&] { return read_pid_file(pidfile) == server2; })) << redis_log();
  remember_app(sup);

  sup.send(SIGTERM);
  EXPECT_EQ(sup.wait_exit(20000ms), 0) << "redis shuts down cleanly on TERM\n" << sup.log() << redis_log();
  expect_nothing_left(sup, port);
}

// ---- haproxy ----

// (d) haproxy in master-worker mode (-W, master in the foreground), in front of a backend of
// the test's own: USR2 through the supervisor makes the master re-execute itself in place (same
// PID, so the main process never changes), fork a new worker that takes the listening sockets
// over, and let the old worker finish. Three reloads while a client requests continuously.
//
// haproxy's own start-up window: while the master (re)initialises, USR2 is set to SIG_IGN and
// a USR2 arriving then is discarded by the kernel, even after "Loading success." is printed
// (seen here standalone, without any supervisor: about one start in three). So before each
// USR2 the test waits until the master has its handler installed (SigCgt in /proc/PID/status);
// an operator or a reload script has to do the same, or use haproxy's READY=1 (-Ws).
TEST_F(Daemons, HaproxyMasterWorkerReloadUnderLoad) {
  const std::string bin = find_binary("haproxy");
  if (bin.empty()) GTEST_SKIP() << "haproxy is not installed (Debian package: haproxy)";
  TempDir dir;
  MiniHttpServer backend;
  const int port = free_port();
  const std::string cfg = dir / "haproxy.cfg";
  write_file_atomically(cfg, render_fixture("haproxy.cfg.in", {{"DIR", dir.path()},
                                                    {"PORT", std::to_string(port)},
                                                    {"BACKEND_PORT", std::to_string(backend.port())}}));

  auto run = supervise_daemon({"--", bin, "-W", "-f", cfg});
  SupervisedRun& sup = *run;
  remember_app(sup);
  auto started = sup.expect_out(R"(started \S+ as pid (\d+))", kDaemonDeadline);
  ASSERT_TRUE(started);
  const pid_t master = started->pid(1);
  ASSERT_TRUE(sup.expect_out(R"(New worker \(?(\d+)\)? forked)", kDaemonDeadline));
  ASSERT_TRUE(eventually([&] { return http_get(port).body == "backend\n"; })) << sup.log();
  const std::string exe = exe_of(master);
  std::vector<pid_t> workers = live_children_of(master);
  ASSERT_EQ(workers.size(), 1u) << sup.log();
  remember_app(sup);

  LoadClient load(port);
  ASSERT_TRUE(eventually([&] { return load.ok() + load.failed() > 0; }));
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("reload " + std::to_string(round));
    const pid_t old_worker = workers.at(0);
    ASSERT_TRUE(eventually([&] { return catches_signal(master, SIGUSR2); }, 10000ms))
        << "the haproxy master should be ready for USR2\n" << sup.log();
    sup.send(SIGUSR2);
    auto fresh = sup.expect_out(R"(New worker \(?(\d+)\)? forked)", kDaemonDeadline);
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh->pid(1), old_worker);
    EXPECT_TRUE(sup.expect_out(R"(Former worker \(?)" + pid_str(old_worker) + R"(\)? exited)", kDaemonDeadline));
    ASSERT_TRUE(wait_gone(old_worker, 10000ms)) << sup.log();
    workers = live_children_of(master);
    ASSERT_EQ(workers, std::vector<pid_t>{fresh->pid(1)}) << sup.log();
    EXPECT_EQ(read_pid_file(dir / "haproxy.pid"), master) << "the master re-executed in place";
    EXPECT_EQ(exe_of(master), exe);
    EXPECT_TRUE(load.progressed(20)) << "the new worker serves";
    remember_app(sup);
  }
  load.stop();
  EXPECT_EQ(load.failed(), 0) << "requests failed during the reloads:\n" << load.failures();
  EXPECT_GT(load.ok(), 0);
  std::cout << "[ measured ] " << load.ok() << " requests through haproxy during 3 reloads, "
            << load.failed() << " failed\n";
  EXPECT_EQ(sup.count(Stream::kOut, R"(main pid \d+ -> )"), 0) << "the master keeps its PID\n" << sup.log();
  EXPECT_EQ(sup.count(Stream::kOut, "pid " + pid_str(master) + " (exited|killed)"), 0) << sup.log();
  EXPECT_TRUE(sup.running());

  EXPECT_TRUE(eventually([&] { return catches_signal(master, SIGTERM); }, 10000ms)) << sup.log();
  sup.send(SIGTERM);
  EXPECT_EQ(sup.wait_exit(20000ms), 0) << "the master exits 0 once its workers have\n" << sup.log();
  expect_nothing_left(sup, port);
}

}  // namespace
}  // namespace e2e
