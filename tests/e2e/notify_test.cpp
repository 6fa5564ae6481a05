// SPEC 7 and issue 4: the sd_notify protocol, both ways.
//
// Upward: the supervisor runs with NOTIFY_SOCKET pointing at a fake systemd (a datagram socket
// the test binds) and must send exactly: MAINPID=<its own pid>; then READY=1 with
// STATUS=running pid N once the app has started (--ready=exec) or said READY=1
// (--ready=notify); STATUS=restarting in D s (restart K) when a restart is decided;
// STATUS=running pid N after each (re)start and main pid switch; STOPPING=1 with
// STATUS=stopping on a stop request. (STATUS=hung: ... at a missed --watchdog deadline and
// STATUS=stopping pid N: not ready after ... at the start timeout are checked by the lifecycle
// unit tests and, under the real systemd, by tests/integration/systemd.)
//
// Downward: the app gets a NOTIFY_SOCKET of the supervisor's own; READY=1, MAINPID= and the
// other assignments are taken only from processes of the app; malformed, oversized, empty and
// foreign datagrams are dropped without disturbing anything. testapp's "+barrier" step
// (sd_notify_barrier) tells when the supervisor has taken every datagram sent before it, so a
// test can check that something did NOT happen without sleeping.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "harness.hpp"
#include "sd_helpers.hpp"

namespace e2e {
namespace {

using sd::FakeSystemd;
using sd::Fields;

constexpr double kTolerance = 300;  // ms, as elsewhere on a loaded 2-core machine

class NotifyTest : public E2ETest {
 protected:
  void SetUp() override {
    // Whatever runs the tests (systemd, a CI service) must not leak its own hand-over variables
    // into the supervisors started here.
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID",
                             "LISTEN_FDS", "LISTEN_FDNAMES"}) {
      unsetenv(name);
    }
  }

  RunOptions under(const FakeSystemd& systemd) {
    RunOptions options;
    options.env = {systemd.env()};
    return options;
  }
};

class NotifyUpward : public NotifyTest {};
class NotifyApp : public NotifyTest {};
class NotifyReadiness : public NotifyTest {};
class NotifyMainPid : public NotifyTest {};

pid_t ready_pid(SupervisedRun& run) {
  auto ready = run.expect_out(R"(^ready pid=(\d+)$)");
  return ready ? static_cast<pid_t>(ready->num(1)) : 0;
}

std::string running(pid_t pid) { return "running pid " + std::to_string(pid); }

// The supervisor has handled every signal and datagram that was queued for it before this
// returns: a forwarded WINCH makes a full trip through its loop and the app.
void barrier(SupervisedRun& run) {
  run.send(SIGWINCH);
  EXPECT_TRUE(run.expect_out("^signal WINCH$"));
}

// ---- upward: the supervisor as a Type=notify service ----

// systemd hears MAINPID=, then READY=1 with the status "running pid APP": the READY datagram.
std::optional<sd::Notification> expect_main_then_ready(FakeSystemd& systemd, SupervisedRun& run,
                                                       pid_t app) {
  if (!systemd.expect_event("MAINPID")) return std::nullopt;
  auto ready = systemd.expect_event("READY=1");
  EXPECT_TRUE(ready) << run.log();
  if (ready) {
    EXPECT_EQ(ready->fields, (Fields{{"READY", "1"}, {"STATUS", running(app)}}))
        << sd::show(ready->fields);
  }
  return ready;
}

// The next datagram (not a watchdog ping) is `expected`; then the app stops.
void expect_announced_then_stop(FakeSystemd& systemd, SupervisedRun& run, const std::string& what,
                                const Fields& expected) {
  auto note = systemd.expect_event(what);
  EXPECT_TRUE(note) << run.log();
  if (note) {
    EXPECT_EQ(note->fields, expected) << sd::show(note->fields);
  }
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyUpward, FirstDatagramIsMainPidOfTheSupervisorItself) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"print-signals"}), under(systemd));
  auto first = systemd.expect_event("MAINPID");
  ASSERT_TRUE(first) << run.log();
  EXPECT_EQ(first->fields, (Fields{{"MAINPID", std::to_string(run.pid())}}))
      << sd::show(first->fields);
  EXPECT_EQ(first->sender, run.pid()) << "sent by another process than the supervisor";
}

TEST_F(NotifyUpward, ExecModeSendsReadyWithRunningStatusOnceTheAppStarted) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"print-signals"}), under(systemd));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  auto ready = expect_main_then_ready(systemd, run, app);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->sender, run.pid());
  barrier(run);
  EXPECT_TRUE(systemd.pending().empty()) << "unexpected datagrams:\n" << systemd.history_text();
}

TEST_F(NotifyUpward, StopRequestSendsStoppingWithStatus) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"print-signals"}), under(systemd));
  ASSERT_NE(ready_pid(run), 0);
  ASSERT_TRUE(systemd.expect_event("MAINPID"));
  ASSERT_TRUE(systemd.expect_event("READY=1"));
  run.send(SIGTERM);
  auto stopping = systemd.expect_event("STOPPING=1");
  ASSERT_TRUE(stopping) << run.log();
  EXPECT_EQ(stopping->fields, (Fields{{"STOPPING", "1"}, {"STATUS", "stopping"}}))
      << sd::show(stopping->fields);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  for (const auto& late : systemd.pending()) {
    EXPECT_FALSE(late.fields.count("READY")) << "READY after STOPPING: " << sd::show(late.fields);
  }
}

// The exact sequence for a restart: MAINPID, READY+running, restarting, running (no second
// READY=1: systemd's READY is once per service start).
TEST_F(NotifyUpward, RestartSendsRestartingThenRunningForTheNewPid) {
  FakeSystemd systemd(tmp_.path());
  std::string counter = tmp_ / "runs";
  SupervisedRun run(supervise({"-e"}, {"flap", "1", counter}), under(systemd));
  auto first = run.expect_err(kStarted);
  auto second = run.expect_err(kStarted);
  ASSERT_TRUE(first && second) << run.log();
  ASSERT_TRUE(run.expect_out(R"(^flap run=2 ok pid=\d+$)"));
  std::vector<sd::Notification> events;
  for (int i = 0; i < 4; ++i) {
    auto n = systemd.expect_event("event " + std::to_string(i + 1) + " of 4");
    if (!n) break;
    events.push_back(*n);
  }
  ASSERT_EQ(events.size(), 4u) << run.log();
  EXPECT_EQ(events[0].fields, (Fields{{"MAINPID", std::to_string(run.pid())}}));
  EXPECT_EQ(events[1].fields,
            (Fields{{"READY", "1"}, {"STATUS", running(static_cast<pid_t>(first->num(2)))}}));
  ASSERT_EQ(events[2].fields.size(), 1u) << sd::show(events[2].fields);
  EXPECT_TRUE(std::regex_match(events[2].fields["STATUS"],
                               std::regex(R"(restarting in [0-9.]+ s \(restart 1\))")))
      << sd::show(events[2].fields);
  EXPECT_EQ(events[3].fields, (Fields{{"STATUS", running(static_cast<pid_t>(second->num(2)))}}))
      << sd::show(events[3].fields);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(NotifyUpward, NotifyModeSendsReadyOnlyAfterTheAppSaidReady) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({"--ready=notify"}, {"notify", "+wait=USR1", "READY=1"}),
                    under(systemd));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(systemd.expect_event("MAINPID"));
  barrier(run);
  for (const auto& n : systemd.pending()) {
    EXPECT_FALSE(n.fields.count("READY"))
        << "READY=1 before the app said so: " << sd::show(n.fields);
  }
  run.send(SIGUSR1);  // the app sends READY=1 now
  ASSERT_TRUE(run.expect_out("^sent 1$"));
  auto ready = systemd.expect_event("READY=1");
  ASSERT_TRUE(ready) << run.log();
  EXPECT_EQ(ready->fields, (Fields{{"READY", "1"}, {"STATUS", running(app)}}))
      << sd::show(ready->fields);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// The notify-aware app is a shell script using systemd-notify(1), as in many real services.
TEST_F(NotifyUpward, SystemdNotifyReadyFromAShellScriptIsRelayed) {
  if (access("/usr/bin/systemd-notify", X_OK) != 0) GTEST_SKIP() << "no systemd-notify";
  FakeSystemd systemd(tmp_.path());
  std::vector<std::string> args = {"--ready=notify",
                                   "--",
                                   "/bin/sh",
                                   "-c",
                                   "systemd-notify --ready --status='warming up' && exec \"$0\" "
                                   "print-signals",
                                   kTestapp};
  SupervisedRun run(args, under(systemd));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  auto ready = expect_main_then_ready(systemd, run, app);
  ASSERT_TRUE(ready);
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyUpward, MainPidSwitchSendsRunningStatusForTheNewMainProcess) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"notify-fork"}), under(systemd));
  auto child = run.expect_out(R"(^child pid=(\d+)$)");
  ASSERT_TRUE(child);
  ASSERT_TRUE(run.expect_err(R"(main pid \d+ -> )" + child->groups[1] + R"( \(MAINPID\))"));
  ASSERT_TRUE(systemd.expect_event("MAINPID"));
  ASSERT_TRUE(systemd.expect_event("READY=1"));
  expect_announced_then_stop(systemd, run, "STATUS after the switch",
                             {{"STATUS", running(static_cast<pid_t>(child->num(1)))}});
}

// A self-daemonizing app: the launcher exits, the supervisor follows the daemon (SPEC 5) and
// tells systemd who runs now.
TEST_F(NotifyUpward, SuccessorSwitchSendsRunningStatusForTheNewMainProcess) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"daemonize", tmp_ / "daemon.pid"}), under(systemd));
  auto launcher = run.expect_err(kStarted);
  ASSERT_TRUE(launcher);
  auto daemon = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(daemon);
  ASSERT_TRUE(run.expect_err(kMainPid + R"( \(successor\))"));
  ASSERT_TRUE(systemd.expect_event("MAINPID"));
  auto ready = systemd.expect_event("READY=1");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->fields,
            (Fields{{"READY", "1"}, {"STATUS", "running pid " + launcher->groups[2]}}));
  expect_announced_then_stop(systemd, run, "STATUS after the successor switch",
                             {{"STATUS", running(static_cast<pid_t>(daemon->num(1)))}});
}

TEST_F(NotifyUpward, AbstractNotifySocketIsServed) {
  FakeSystemd systemd(tmp_.path(), /*abstract=*/true);
  SupervisedRun run(supervise({}, {"print-signals"}), under(systemd));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  auto first = systemd.expect_event("MAINPID");
  ASSERT_TRUE(first) << run.log();
  EXPECT_EQ(first->fields, (Fields{{"MAINPID", std::to_string(run.pid())}}));
  expect_announced_then_stop(systemd, run, "READY=1",
                             {{"READY", "1"}, {"STATUS", running(app)}});
}

// The supervisor must not hang or fail when systemd's socket has gone away.
TEST_F(NotifyUpward, UnreachableNotifySocketDoesNotStopTheApp) {
  SupervisedRun run(supervise({}, {"print-signals"}), [&] {
    RunOptions o;
    o.env = {"NOTIFY_SOCKET=" + tmp_ / "nobody-listens"};
    return o;
  }());
  ASSERT_NE(ready_pid(run), 0);
  barrier(run);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// ---- downward: the app's own notify socket ----

TEST_F(NotifyApp, AppGetsANotifySocketServedByTheSupervisor) {
  SupervisedRun run(supervise({}, {"env"}));
  auto socket = run.expect_out(R"(^env NOTIFY_SOCKET(=(.*)| unset)$)");
  ASSERT_TRUE(socket);
  ASSERT_FALSE(socket->groups[2].empty()) << "the app got no NOTIFY_SOCKET\n" << run.log();
  const std::string address = socket->groups[2];
  if (address[0] == '/') {
    struct stat st {};
    ASSERT_EQ(stat(address.c_str(), &st), 0) << address << ": " << strerror(errno);
    EXPECT_TRUE(S_ISSOCK(st.st_mode)) << address << " is not a socket";
  } else {
    EXPECT_EQ(address[0], '@') << "neither a path nor an abstract name: " << address;
  }
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  if (address[0] == '/') {
    EXPECT_NE(access(address.c_str(), F_OK), 0) << address << " left behind after exit";
  }
}

TEST_F(NotifyApp, AppsNotifySocketReplacesTheInheritedOne) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({}, {"env"}), under(systemd));
  auto socket = run.expect_out(R"(^env NOTIFY_SOCKET(=(.*)| unset)$)");
  ASSERT_TRUE(socket);
  EXPECT_FALSE(socket->groups[2].empty()) << "the app got no NOTIFY_SOCKET";
  EXPECT_NE(socket->groups[2], systemd.address()) << "the app talks to systemd directly";
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyApp, ReadyFromAChildOfTheAppIsAccepted) {
  SupervisedRun run(
      supervise({"--ready=notify", "--stop-timeout=2"}, {"notify", "+child", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(run.expect_out(R"(^sent 1 from pid=\d+$)"));
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready")) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyApp, ReadyFromOutsideTheAppIsIgnored) {
  SupervisedRun run(supervise({"--ready=notify", "--debug"}, {"notify", "+wait=USR1", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  auto address = environ_of(app, "NOTIFY_SOCKET");
  ASSERT_TRUE(address) << "the app got no NOTIFY_SOCKET";
  ASSERT_TRUE(sd::send_from_test(*address, "READY=1"));  // the test is no process of the app
  barrier(run);
  EXPECT_EQ(run.count(Stream::kErr, "is ready"), 0) << "a foreign READY=1 was taken\n" << run.log();
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// A read-only root with no writable /run or /tmp (Kubernetes' readOnlyRootFilesystem without
// an emptyDir): read-only tmpfs mounts over both, in the supervisor's own mount namespace. The
// socket is then an abstract name, and it still refuses senders from outside the app.
TEST_F(NotifyApp, WithoutAWritableDirectoryTheSocketIsAbstract) {
  RunOptions options;
  options.readonly_tmpfs = {"/run", "/tmp"};
  options.unset_env = {"XDG_RUNTIME_DIR"};
  SupervisedRun run(supervise({"--ready=notify", "--debug"}, {"notify", "+wait=USR1", "READY=1"}),
                    options);
  if (!run.started()) GTEST_SKIP() << "no private read-only mount: " << run.setup_error();
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0) << run.log();
  auto address = environ_of(app, "NOTIFY_SOCKET");
  ASSERT_TRUE(address) << "the app got no NOTIFY_SOCKET";
  EXPECT_TRUE(std::regex_match(*address, std::regex("@supervisor/[0-9]+/[a-z0-9]{16}")))
      << *address;
  ASSERT_TRUE(sd::send_from_test(*address, "READY=1"));
  barrier(run);
  EXPECT_EQ(run.count(Stream::kErr, "is ready"), 0) << "a foreign READY=1 was taken\n" << run.log();
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready")) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// An app running as another user (-u) reaches the supervisor's socket and is believed.
TEST_F(NotifyApp, ReadyFromAnAppRunningAsAnotherUserIsAccepted) {
  passwd* pw = getpwnam("nobody");
  if (pw == nullptr || geteuid() != 0) GTEST_SKIP() << "needs root and a user nobody";
  // A copy the unprivileged user can surely execute, wherever the build tree lives.
  std::string app = tmp_ / "testapp";
  std::filesystem::copy_file(kTestapp, app);
  chmod(app.c_str(), 0755);
  SupervisedRun run({"--ready=notify", "-u", "nobody", "--", app, "notify", "READY=1"});
  pid_t pid = ready_pid(run);
  ASSERT_NE(pid, 0);
  ASSERT_TRUE(run.expect_out("^sent 1$")) << "the app could not send";
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(pid) + " is ready"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// A bad datagram (`bad`, a testapp notify argument) from inside the app is dropped whole; the
// supervisor goes on: it forwards signals and takes the next, good READY=1.
void expect_dropped(const std::string& bad) {
  SupervisedRun run(supervise({"--ready=notify", "--debug"},
                              {"notify", bad, "+barrier", "+wait=USR1", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(run.expect_out("^sent 1$"));
  ASSERT_TRUE(run.expect_out("^barrier ok$", 6000ms)) << "the supervisor took no datagram";
  EXPECT_EQ(run.count(Stream::kErr, "is ready"), 0) << "the bad datagram was taken\n" << run.log();
  run.send(SIGUSR1);
  ASSERT_TRUE(run.expect_out("^signal USR1$"));
  ASSERT_TRUE(run.expect_out("^sent 2$"));
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  EXPECT_FALSE(run.exited());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyApp, OversizedDatagramIsDropped) { expect_dropped("+big=5000"); }

TEST_F(NotifyApp, MalformedDatagramIsDroppedWhole) { expect_dropped("READY=1\nMAINPID=12abc"); }

TEST_F(NotifyApp, EmptyDatagramIsDropped) { expect_dropped("+empty"); }

// STATUS=, RELOADING=1, STOPPING=1 and EXTEND_TIMEOUT_USEC= are understood: none of them ends,
// restarts or readies the app.
TEST_F(NotifyApp, OtherAssignmentsNeitherReadyNorDisturbTheApp) {
  SupervisedRun run(
      supervise({"--ready=notify", "-c"},
                {"notify", "STATUS=warming up", "RELOADING=1", "EXTEND_TIMEOUT_USEC=1000000",
                 "STOPPING=1", "+barrier", "+wait=USR1", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(run.expect_out("^barrier ok$", 6000ms));
  EXPECT_EQ(run.count(Stream::kErr, "is ready"), 0) << run.log();
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// ---- readiness: --ready, --notify-fd, --start-timeout ----

TEST_F(NotifyReadiness, ReadyFromTheAppIsLoggedInNotifyMode) {
  SupervisedRun run(supervise({"--ready=notify"}, {"notify", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyReadiness, NotifyFdNewlineMakesTheAppReady) {
  SupervisedRun run(supervise({"--notify-fd=5"}, {"notify-fd", "5", "+wait=USR1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  barrier(run);
  EXPECT_EQ(run.count(Stream::kErr, "is ready"), 0) << "ready before the newline\n" << run.log();
  run.send(SIGUSR1);
  ASSERT_TRUE(run.expect_out("^notified fd=5$"));
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// --notify-fd implies notify readiness: READY=1 goes up only after the newline.
TEST_F(NotifyReadiness, NotifyFdReadinessIsWhatSystemdHears) {
  FakeSystemd systemd(tmp_.path());
  SupervisedRun run(supervise({"--notify-fd=5"}, {"notify-fd", "5", "+wait=USR1"}), under(systemd));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(systemd.expect_event("MAINPID"));
  barrier(run);
  for (const auto& n : systemd.pending()) {
    EXPECT_FALSE(n.fields.count("READY")) << "READY=1 before the newline: " << sd::show(n.fields);
  }
  run.send(SIGUSR1);
  expect_announced_then_stop(systemd, run, "READY=1",
                             {{"READY", "1"}, {"STATUS", running(app)}});
}

// Not ready in time: the stop signal at the start timeout, the kill signal a stop timeout later.
TEST_F(NotifyReadiness, StartTimeoutStopsAnAppThatNeverBecomesReady) {
  SupervisedRun run(supervise({"--ready=notify", "--start-timeout=1", "--stop-timeout=1"},
                              {"print-signals", "keep"}));
  auto started = run.expect_err(kStarted);
  ASSERT_TRUE(started);
  auto term = run.expect_out("^signal TERM$", 4000ms);
  ASSERT_TRUE(term) << run.log();
  EXPECT_NEAR(ms_between(started->at, term->at), 1000, kTolerance) << run.log();
  auto killed = run.expect_err("killed by SIGKILL", 4000ms);
  ASSERT_TRUE(killed);
  // Not before the stop timeout (its exact length: Signals.IgnoredTermEscalatesToKill...).
  EXPECT_GE(ms_between(term->at, killed->at), 1000 - kTolerance) << run.log();
  EXPECT_EQ(run.wait_exit(), 128 + SIGKILL) << run.log();
}

// The timed-out run is a crash for the restart policy even though the app exited 0 on TERM.
TEST_F(NotifyReadiness, StartTimeoutCountsAsACrash) {
  SupervisedRun run(supervise({"-c", "--ready=notify", "--start-timeout=0.5"}, {"print-signals"}));
  auto first = run.expect_err(kStarted);
  ASSERT_TRUE(first);
  ASSERT_TRUE(run.expect_out("^signal TERM$", 3000ms));
  auto second = run.expect_err(kStarted, 4000ms);
  ASSERT_TRUE(second) << "no restart after the start timeout\n" << run.log();
  EXPECT_NE(second->groups[2], first->groups[2]);
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// The next incarnation after a start timeout that needed SIGKILL runs normally (with cgroup
// v2 the kill is a cgroup.kill of the app's cgroup, which must not poison later starts).
TEST_F(NotifyReadiness, AppKilledAtTheStartTimeoutIsRestartedAndRuns) {
  SupervisedRun run(supervise({"-c", "--ready=notify", "--start-timeout=0.5", "--stop-timeout=0.5"},
                              {"print-signals", "keep"}));
  pid_t first = ready_pid(run);
  ASSERT_NE(first, 0);
  ASSERT_TRUE(run.expect_err("pid " + std::to_string(first) + " killed by SIGKILL", 3000ms));
  auto second = run.find_line(Stream::kOut, R"(^ready pid=(\d+)$)", 3000ms);
  EXPECT_TRUE(second) << "the restarted app never ran\n" << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kRestarting), 1) << run.log();
}

TEST_F(NotifyReadiness, AppReadyInTimeIsNotStopped) {
  SupervisedRun run(supervise({"--ready=notify", "--start-timeout=1"}, {"notify", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(run.expect_err("is ready"));
  // Observing an absence: twice the start timeout without a stop.
  EXPECT_FALSE(run.find_line(Stream::kOut, "^signal ", 2000ms)) << run.log();
  EXPECT_TRUE(is_alive(app));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// Exec readiness (the default) has nothing to wait for: a start timeout never fires.
TEST_F(NotifyReadiness, ExecModeAppIsNeverStoppedByTheStartTimeout) {
  SupervisedRun run(supervise({"--start-timeout=0.5"}, {"print-signals"}));
  ASSERT_NE(ready_pid(run), 0);
  EXPECT_FALSE(run.find_line(Stream::kOut, "^signal ", 1500ms)) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// systemd's meaning of EXTEND_TIMEOUT_USEC=: the start deadline moves to now + that much.
TEST_F(NotifyReadiness, ExtendTimeoutUsecPostponesTheStartTimeout) {
  SupervisedRun run(supervise({"--ready=notify", "--start-timeout=1"},
                              {"notify", "EXTEND_TIMEOUT_USEC=3000000", "+wait=USR1", "READY=1"}));
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  auto sent = run.expect_out("^sent 1$");
  ASSERT_TRUE(sent);
  EXPECT_FALSE(run.find_line(Stream::kOut, "^signal TERM$", 2000ms))
      << "stopped at the original start timeout\n"
      << run.log();
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_err("pid " + std::to_string(app) + " is ready"));
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// ---- readiness and -f, --fork (SPEC 2): "started" means ready ----

// The background supervisor of -f, from its "started" line; the run cleans it up too.
pid_t background_of(SupervisedRun& run) {
  auto started = run.expect_err(R"(^supervisor\[(\d+)\]: )" + kStarted);
  if (!started) return 0;
  run.track_extra_supervisor(started->pid(1));
  return started->pid(1);
}

// The foreground returns only once the app has become ready (the app waits for the test's
// USR1 before it does), exits 0 then, and leaves the app running under the background.
void expect_fork_waits_for_readiness(SupervisedRun& run) {
  const pid_t background = background_of(run);
  ASSERT_NE(background, 0) << run.log();
  const pid_t app = ready_pid(run);
  ASSERT_NE(app, 0) << run.log();
  EXPECT_TRUE(run.still_running_after(300ms)) << "the foreground returned before readiness\n"
                                              << run.log();
  ASSERT_TRUE(signal_pid(app, SIGUSR1));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, "pid " + std::to_string(app) + " is ready"), 1) << run.log();
  EXPECT_TRUE(is_alive(app));
  kill(background, SIGTERM);
  EXPECT_TRUE(wait_gone(background)) << "the background supervisor ignored SIGTERM";
}

// The app ends before it is ready: the foreground exits with that status (non-zero) and one
// line of its own saying why.
void expect_fork_fails_with_the_reason(SupervisedRun& run, int status, const std::string& why) {
  ASSERT_NE(background_of(run), 0) << run.log();
  EXPECT_EQ(run.wait_exit(), status) << run.log();
  run.drain(2000ms);
  EXPECT_EQ(run.count(Stream::kErr, "^supervisor: "), 1) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, R"(^supervisor: starting /\S+: pid \d+ )" + why + "$"), 1)
      << run.log();
}

TEST_F(NotifyReadiness, ForkReturnsOnlyOnceTheAppSentReady) {
  SupervisedRun run(supervise({"-f", "--ready=notify"}, {"notify", "+wait=USR1", "READY=1"}));
  expect_fork_waits_for_readiness(run);
}

TEST_F(NotifyReadiness, ForkReturnsOnlyOnceTheAppWroteItsNotifyFdNewline) {
  SupervisedRun run(supervise({"-f", "--notify-fd=5"}, {"notify-fd", "5", "+wait=USR1"}));
  expect_fork_waits_for_readiness(run);
}

TEST_F(NotifyReadiness, ForkFailsWithTheReasonWhenTheAppExitsBeforeReady) {
  SupervisedRun run(supervise({"-f", "--ready=notify"}, {"exit", "4"}));
  expect_fork_fails_with_the_reason(run, 4, "exited with status 4 before it was ready");
}

TEST_F(NotifyReadiness, ForkFailsWithTheReasonWhenTheAppExitsBeforeItsNotifyFdNewline) {
  SupervisedRun run(supervise({"-f", "--notify-fd=5"}, {"exit", "4"}));
  expect_fork_fails_with_the_reason(run, 4, "exited with status 4 before it was ready");
}

// print-signals exits 0 on the stop signal: the foreground must still not say 0.
TEST_F(NotifyReadiness, ForkFailsWithTheReasonAtTheStartTimeout) {
  SupervisedRun run(supervise({"-f", "--ready=notify", "--start-timeout=0.5"}, {"print-signals"}));
  expect_fork_fails_with_the_reason(run, 125, R"(not ready after 0\.5 s)");
}

// ---- MAINPID= ----

// The switch is immediate: the old main process is still alive, yet the next signal goes to
// the announced one.
TEST_F(NotifyMainPid, MainPidMovesSignalDeliveryAtOnce) {
  SupervisedRun run(supervise({"--stop-timeout=2"}, {"notify-fork", "stay"}));
  auto child = run.expect_out(R"(^child pid=(\d+)$)");
  ASSERT_TRUE(child);
  auto sent = run.expect_out(R"(^sent MAINPID=(\d+)$)");
  ASSERT_TRUE(sent) << run.log();
  auto switched = run.expect_err(kMainPid + R"( \(MAINPID\))");
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->groups[2], child->groups[1]);
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_out("^child got USR1$"));
  run.send(SIGHUP);
  EXPECT_TRUE(run.expect_out("^child got HUP$"));
  EXPECT_EQ(run.count(Stream::kOut, "^parent got"), 0) << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.expect_out("^child got TERM$"));
  EXPECT_TRUE(run.wait_exit(8000ms));
}

// The classic forking launcher: announce the daemon, exit. The app goes on under its new main
// process; the launcher's exit is neither a crash nor the end.
TEST_F(NotifyMainPid, LauncherExitAfterMainPidIsNotTheEnd) {
  SupervisedRun run(supervise({"-c"}, {"notify-fork"}));
  auto child = run.expect_out(R"(^child pid=(\d+)$)");
  ASSERT_TRUE(child);
  pid_t daemon = static_cast<pid_t>(child->num(1));
  auto launcher = run.expect_err(kStarted);
  ASSERT_TRUE(launcher);
  ASSERT_TRUE(run.expect_err(kMainPid + R"( \(MAINPID\))"));
  ASSERT_TRUE(wait_gone(static_cast<pid_t>(launcher->num(2))));
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_out("^child got USR1$"));
  EXPECT_EQ(run.count(Stream::kErr, kRestarting), 0) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
  EXPECT_TRUE(is_alive(daemon));
  run.send(SIGTERM);
  EXPECT_TRUE(run.expect_out("^child got TERM$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

void expect_main_pid_refused(SupervisedRun& run) {
  pid_t app = ready_pid(run);
  ASSERT_NE(app, 0);
  ASSERT_TRUE(run.expect_out("^sent 1$"));
  ASSERT_TRUE(run.expect_out("^barrier ok$", 6000ms));
  EXPECT_EQ(run.count(Stream::kErr, R"(\(MAINPID\))"), 0) << run.log();
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_out("^signal USR1$")) << "the app lost its signals";
  EXPECT_TRUE(is_alive(app));
}

TEST_F(NotifyMainPid, MainPidOfAProcessOutsideTheAppIsRefused) {
  Outsider outsider({"sleep"});  // USR1 would kill it
  SupervisedRun run(
      supervise({}, {"notify", "MAINPID=" + std::to_string(outsider.pid()), "+barrier"}));
  expect_main_pid_refused(run);
  EXPECT_TRUE(is_alive(outsider.pid())) << "a signal reached the outsider";
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyMainPid, MainPidOfTheSupervisorItselfIsRefused) {
  SupervisedRun run(supervise({}, {"notify", "MAINPID={ppid}", "+barrier"}));
  expect_main_pid_refused(run);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(NotifyMainPid, MainPidFromOutsideTheAppIsIgnored) {
  SupervisedRun run(supervise({}, {"notify-fork", "stay"}));  // a legitimate child to name
  auto child = run.expect_out(R"(^child pid=(\d+)$)");
  ASSERT_TRUE(child);
  auto parent = run.expect_err(kStarted);
  ASSERT_TRUE(parent);
  ASSERT_TRUE(run.expect_err(kMainPid + R"( \(MAINPID\))"));
  // The test (no process of the app) names the original launcher, a live process of the app.
  auto address = environ_of(static_cast<pid_t>(parent->num(2)), "NOTIFY_SOCKET");
  ASSERT_TRUE(address);
  ASSERT_TRUE(sd::send_from_test(*address, "MAINPID=" + parent->groups[2]));
  run.send(SIGUSR1);
  EXPECT_TRUE(run.expect_out("^child got USR1$"));
  EXPECT_EQ(run.count(Stream::kOut, "^parent got USR1$"), 0) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, R"(\(MAINPID\))"), 1) << run.log();
}

}  // namespace
}  // namespace e2e
