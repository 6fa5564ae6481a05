// SPEC 11: --status-file is replaced at every transition (never periodically) and removed on
// exit; --probe=ready|alive answers from it, telling a live supervisor from a dead one or a
// recycled PID. The tests wait on the file's changes with inotify, never on time.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "harness.hpp"

namespace e2e {
namespace {

// The status file in a test's directory, and the inotify watch that sees it replaced (the
// rename lands as IN_MOVED_TO) or removed.
class StatusWatch {
 public:
  explicit StatusWatch(const TempDir& dir)
      : path_(dir / "status.json"), fd_(inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (fd_ < 0 || inotify_add_watch(fd_, dir.path().c_str(), IN_MOVED_TO | IN_DELETE) < 0) {
      ADD_FAILURE() << "inotify: " << strerror(errno);
    }
  }
  ~StatusWatch() { close(fd_); }
  StatusWatch(const StatusWatch&) = delete;
  StatusWatch& operator=(const StatusWatch&) = delete;

  const std::string& path() const { return path_; }
  std::string option() const { return "--status-file=" + path_; }

  // The file's text once it holds every one of `fields` ("\"state\":\"running\""), checked
  // now and after each change; nullopt at the deadline (a test failure naming the last text).
  std::optional<std::string> wait_for(const std::vector<std::string>& fields,
                                      Millis deadline = kDeadline) {
    const auto end = Clock::now() + deadline;
    std::string last = "(no file)";
    for (;;) {
      if (auto text = read_current()) {
        last = *text;
        if (std::all_of(fields.begin(), fields.end(),
                        [&](const std::string& f) { return text->find(f) != std::string::npos; })) {
          return text;
        }
      }
      if (!changed(end)) {
        std::string wanted;
        for (const auto& f : fields) wanted += " " + f;
        ADD_FAILURE() << "the status file never held" << wanted << "; last: " << last;
        return std::nullopt;
      }
    }
  }

  // Whether the file that wait_for last read is replaced or removed before `within` passes.
  // By its inode: the event of the very rename that wait_for saw may still be queued.
  bool changes_within(Millis within) {
    const auto end = Clock::now() + within;
    for (;;) {
      struct stat st {};
      if (stat(path_.c_str(), &st) != 0 || st.st_ino != inode_) return true;
      if (!changed(end)) return false;
    }
  }

 private:
  // The file's text, noting the inode it was read from.
  std::optional<std::string> read_current() {
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    fstat(fd, &st);
    inode_ = st.st_ino;
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(fd);
    return text;
  }

  // Waits for the next inotify event, and drains it; false at `end`.
  bool changed(Clock::time_point end) {
    const auto left = std::chrono::duration_cast<Millis>(end - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[4096];
    while (read(fd_, buf, sizeof buf) > 0) {
    }
    return true;
  }

  std::string path_;
  int fd_;
  ino_t inode_ = 0;
};

std::string field(const std::string& key, const std::string& json) {
  return "\"" + key + "\":" + json;
}
std::string state(const std::string& name) { return field("state", "\"" + name + "\""); }
std::string main_pid(long pid) { return field("main_pid", std::to_string(pid)); }
const std::string kReady = field("ready", "true");
const std::string kNotReady = field("ready", "false");

struct ProbeResult {
  int code = -1;
  std::string err;  // everything on stderr
};

// `supervisor --probe=KIND --status-file=PATH`, run to its end.
ProbeResult probe(const std::string& kind, const std::string& path) {
  SupervisedRun run({"--probe=" + kind, "--status-file=" + path}, without_cgroup_flag());
  ProbeResult result;
  result.code = run.wait_exit().value_or(-1);
  run.drain();
  for (const auto& line : run.lines(Stream::kErr)) result.err += line.text + "\n";
  return result;
}

// A probe that fails with exactly this one line.
void expect_unhealthy(const std::string& kind, const std::string& path, const std::string& line) {
  const ProbeResult r = probe(kind, path);
  EXPECT_EQ(r.code, 1) << "--probe=" << kind << ": " << r.err;
  EXPECT_EQ(r.err, "supervisor: " + line + "\n") << "--probe=" << kind;
}
void expect_healthy(const std::string& kind, const std::string& path) {
  const ProbeResult r = probe(kind, path);
  EXPECT_EQ(r.code, 0) << "--probe=" << kind << ": " << r.err;
  EXPECT_EQ(r.err, "") << "--probe=" << kind;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename());
  }
  return names;
}

class StatusFile : public E2ETest {};

TEST_F(StatusFile, ReadyOnlyOnceTheAppSaysReadyAndNeverRewrittenWhileIdle) {
  StatusWatch watch(tmp_);
  SupervisedRun run(
      supervise({"--ready=notify", watch.option()}, {"notify", "+wait=USR1", "READY=1"}));
  auto app = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(app) << run.log();
  auto starting = watch.wait_for({state("starting"), main_pid(app->num(1)), kNotReady});
  ASSERT_TRUE(starting) << run.log();
  EXPECT_NE(starting->find(field("supervisor_pid", std::to_string(run.pid()))), std::string::npos);
  EXPECT_NE(starting->find(
                field("supervisor_start_time", std::to_string(read_stat(run.pid())->starttime))),
            std::string::npos);
  EXPECT_NE(starting->find(field("program", "\"" + kTestapp + "\"")), std::string::npos);
  EXPECT_NE(starting->find(field("restarts", "0")), std::string::npos);
  EXPECT_NE(starting->find(field("last_exit", "null")), std::string::npos);
  expect_unhealthy("ready", watch.path(), "not ready: starting");
  expect_healthy("alive", watch.path());

  run.send(SIGUSR1);  // forwarded: the app sends READY=1
  ASSERT_TRUE(watch.wait_for({state("running"), main_pid(app->num(1)), kReady})) << run.log();
  expect_healthy("ready", watch.path());
  expect_healthy("alive", watch.path());
  EXPECT_FALSE(watch.changes_within(1000ms)) << "rewritten with nothing changed";

  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_EQ(files_in(tmp_.path()), std::vector<std::string>{})
      << "the file (or a temp file) is left";
}

TEST_F(StatusFile, BackoffAfterACrashIsAliveButNotReady) {
  StatusWatch watch(tmp_);
  SupervisedRun run(supervise({"-c", watch.option()}, {"crash", "SEGV"}));
  // The first restart is immediate; the second waits a second.
  ASSERT_TRUE(watch.wait_for({state("backoff"), field("main_pid", "null"), kNotReady,
                              field("restarts", "2"), field("last_exit", "139")}))
      << run.log();
  expect_unhealthy("ready", watch.path(), "not ready: backoff");
  expect_healthy("alive", watch.path());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 139) << run.log();
  EXPECT_FALSE(std::filesystem::exists(watch.path()));
}

// The second run leaves a child that ignores TERM, so the supervisor, having given up, stays
// to clean it up for --stop-timeout: long enough to read the file and probe.
TEST_F(StatusFile, GivenUpAfterMaxRestartsIsNeitherAliveNorReady) {
  StatusWatch watch(tmp_);
  const std::string script =
      "if [ -e \"$0\" ]; then trap '' TERM; sleep 30 & fi; : > \"$0\"; kill -SEGV $$";
  SupervisedRun run({"-c", "--max-restarts=1", "--stop-timeout=3", watch.option(), "--", "/bin/sh",
                     "-c", script, tmp_ / "ran-once"});
  ASSERT_TRUE(watch.wait_for(
      {state("given-up"), kNotReady, field("restarts", "1"), field("last_exit", "139")}))
      << run.log();
  expect_unhealthy("alive", watch.path(), "not alive: given-up");
  expect_unhealthy("ready", watch.path(), "not ready: given-up");
  EXPECT_EQ(run.wait_exit(10'000ms), 139) << run.log();
  EXPECT_FALSE(std::filesystem::exists(watch.path()));
}

// The app pings its watchdog ten times, every 0.15 s, then hangs; it survives the SIGABRT, so
// the hang lasts until the kill after --stop-timeout.
TEST_F(StatusFile, PingsAreNoTransitionsAndAHungAppIsNotReady) {
  StatusWatch watch(tmp_);
  SupervisedRun run(supervise({"--watchdog=0.3", "--stop-timeout=3", watch.option()},
                              {"watchdog", "10", "survive-abrt"}));
  auto app = run.expect_out(R"(^watchdog usec=\d+ pid=(\d+)$)");
  ASSERT_TRUE(app) << run.log();
  ASSERT_TRUE(watch.wait_for({state("running"), kReady}));
  ASSERT_TRUE(run.expect_out("^ping 1$"));
  EXPECT_FALSE(watch.changes_within(500ms)) << "rewritten for a WATCHDOG=1";
  ASSERT_TRUE(run.expect_err("missed its watchdog deadline"));
  ASSERT_TRUE(watch.wait_for({state("stopping"), main_pid(app->num(1)), kNotReady})) << run.log();
  expect_unhealthy("ready", watch.path(), "not ready: stopping");
  expect_healthy("alive", watch.path());
  EXPECT_EQ(run.wait_exit(10'000ms), 128 + SIGKILL) << run.log();
}

// SPEC 11: ready is false in backoff, while hung or stopping; during a hot restart the old
// generation serves, so a readiness probe must not take the service out of rotation.
TEST_F(StatusFile, AHotRestartStaysReadyWhileTheOldGenerationServes) {
  StatusWatch watch(tmp_);
  // The first run is ready at once; later ones only once they get USR1.
  const std::string script =
      "if [ -e \"$0\" ]; then exec \"$1\" notify +wait=USR1 READY=1; fi; : > \"$0\"; "
      "exec \"$1\" notify READY=1";
  SupervisedRun run({"--hot-restart=HUP", "--ready=notify", watch.option(), "--", "/bin/sh", "-c",
                     script, tmp_ / "ran-once", kTestapp});
  auto old = run.expect_out(R"(^notify done pid=(\d+)$)");
  ASSERT_TRUE(old) << run.log();
  ASSERT_TRUE(watch.wait_for({state("running"), main_pid(old->num(1)), kReady}));
  run.send(SIGHUP);
  auto fresh = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(fresh) << run.log();
  ASSERT_TRUE(watch.wait_for({state("hot-restart"), main_pid(old->num(1)), kReady}));
  expect_healthy("ready", watch.path());
  expect_healthy("alive", watch.path());
  ASSERT_TRUE(signal_pid(fresh->pid(1), SIGUSR1));
  ASSERT_TRUE(watch.wait_for({state("running"), main_pid(fresh->num(1)), kReady})) << run.log();
  expect_healthy("ready", watch.path());
  EXPECT_NE(read_file(watch.path()).value_or("").find(field("restarts", "0")), std::string::npos);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// A later write that fails (here: a directory in the way of the temp file) is one log line;
// the file is removed rather than left stale, and the next transition writes it again.
TEST_F(StatusFile, AFailedRewriteIsLoggedAndRemovesTheFile) {
  StatusWatch watch(tmp_);
  SupervisedRun run(
      supervise({"--ready=notify", watch.option()}, {"notify", "+wait=USR1", "READY=1"}));
  auto app = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(app) << run.log();
  ASSERT_TRUE(watch.wait_for({state("starting"), main_pid(app->num(1))})) << run.log();
  const std::string blocker = watch.path() + ".tmp." + std::to_string(run.pid());
  ASSERT_EQ(mkdir(blocker.c_str(), 0700), 0);
  run.send(SIGUSR1);  // READY=1: a transition
  ASSERT_TRUE(run.expect_err("status file " + regex_escape(watch.path()) +
                             ": File exists \\(removed: the next change writes it again\\)$"));
  EXPECT_FALSE(std::filesystem::exists(watch.path())) << "a stale state is left for probes";
  expect_unhealthy("ready", watch.path(),
                   "cannot read " + watch.path() + ": No such file or directory");
  ASSERT_EQ(rmdir(blocker.c_str()), 0);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << "the failure is not fatal\n" << run.log();
  EXPECT_EQ(run.count(Stream::kErr, "status file"), 1) << run.log();
}

TEST_F(StatusFile, AFileThatCannotBeWrittenIsAStartFailure) {
  const std::string path = tmp_ / "missing/status.json";
  SupervisedRun run(supervise({"--status-file=" + path}, {"sleep"}));
  EXPECT_EQ(run.wait_exit(), 125);
  run.drain();
  ASSERT_EQ(run.lines(Stream::kErr).size(), 1u) << run.log();
  EXPECT_EQ(run.lines(Stream::kErr)[0].text,
            "supervisor: status file " + path + ": No such file or directory");
}

// As with -p: a mistyped path holding anything but a status file is refused and left alone.
TEST_F(StatusFile, AnythingButAStatusFileIsRefusedAndLeftAlone) {
  const std::string text = tmp_ / "notes.txt";
  write_file(text, "not a status\n");
  const std::string fifo = tmp_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& [path, why] : {std::pair{text, "exists and is not a status file"},
                                  std::pair{fifo, "exists and is not a regular file"}}) {
    SupervisedRun run(supervise({"--status-file=" + path}, {"sleep"}));
    EXPECT_EQ(run.wait_exit(), 125) << run.log();
    run.drain();
    ASSERT_EQ(run.lines(Stream::kErr).size(), 1u) << run.log();
    EXPECT_EQ(run.lines(Stream::kErr)[0].text,
              "supervisor: status file " + path + ": " + std::string(why));
  }
  EXPECT_EQ(read_file(text), "not a status\n");
  struct stat st {};
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// ---- the probe against files written by hand ----

class Probe : public E2ETest {};

std::string status_json(long pid, unsigned long long start_time, const std::string& state_name,
                        bool ready) {
  return "{\"supervisor_pid\":" + std::to_string(pid) +
         ",\"supervisor_start_time\":" + std::to_string(start_time) + ",\"state\":\"" + state_name +
         "\",\"ready\":" + (ready ? "true" : "false") + "}\n";
}

// Two supervisors taking turns at one file would make every probe answer for the wrong one: a
// file naming a live supervisor is not taken (as -p's pid file is not).
TEST_F(StatusFile, AFileOfARunningSupervisorIsNotTaken) {
  StatusWatch watch(tmp_);
  SupervisedRun first(supervise({watch.option()}, {"sleep"}));
  ASSERT_TRUE(watch.wait_for({state("running")})) << first.log();
  SupervisedRun second(supervise({watch.option()}, {"sleep"}));
  EXPECT_EQ(second.wait_exit(), 125);
  second.drain();
  ASSERT_EQ(second.lines(Stream::kErr).size(), 1u) << second.log();
  EXPECT_EQ(second.lines(Stream::kErr)[0].text, "supervisor: status file " + watch.path() +
                                                    ": already in use by running supervisor pid " +
                                                    std::to_string(first.pid()));
  ASSERT_TRUE(watch.wait_for({field("supervisor_pid", std::to_string(first.pid()))}));
  first.send(SIGTERM);
  EXPECT_TRUE(first.wait_exit());
}

// A file left by a supervisor that is gone, or naming a pid that another process holds now,
// is replaced.
TEST_F(StatusFile, AFileOfASupervisorThatIsGoneIsReplaced) {
  const unsigned long long start_time = read_stat(getpid())->starttime;
  for (const std::string& stale : {status_json(getpid(), start_time + 1, "running", true),
                                   status_json(1 << 22, 1, "running", true)}) {
    StatusWatch watch(tmp_);
    write_file(watch.path(), stale);
    SupervisedRun run(supervise({watch.option()}, {"sleep"}));
    EXPECT_TRUE(
        watch.wait_for({field("supervisor_pid", std::to_string(run.pid())), state("running")}))
        << run.log();
    run.send(SIGTERM);
    EXPECT_TRUE(run.wait_exit());
  }
}

TEST_F(Probe, ALiveWriterWithItsStartTimeIsHealthyAndANewerProcessAtItsPidIsNot) {
  const std::string path = tmp_ / "status.json";
  const unsigned long long start_time = read_stat(getpid())->starttime;
  write_file(path, status_json(getpid(), start_time, "running", true));
  expect_healthy("ready", path);
  expect_healthy("alive", path);
  write_file(path, status_json(getpid(), start_time + 1, "running", true));
  const std::string line = "no supervisor: pid " + std::to_string(getpid()) +
                           " is another process now (start time " + std::to_string(start_time) +
                           ", not " + std::to_string(start_time + 1) + ")";
  expect_unhealthy("ready", path, line);
  expect_unhealthy("alive", path, line);
  EXPECT_EQ(files_in(tmp_.path()), std::vector<std::string>{"status.json"}) << "left something";
}

TEST_F(Probe, AStaleFileOfAnExitedSupervisorIsUnhealthy) {
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string path = tmp_ / "status.json";
  write_file(path, status_json(dead, 1, "running", true));
  const std::string line = "no supervisor: pid " + std::to_string(dead) + " is gone";
  expect_unhealthy("ready", path, line);
  expect_unhealthy("alive", path, line);
}

TEST_F(Probe, AMissingOrMalformedFileIsUnhealthyNotACrash) {
  const std::string missing = tmp_ / "none.json";
  expect_unhealthy("ready", missing, "cannot read " + missing + ": No such file or directory");
  expect_unhealthy("alive", missing, "cannot read " + missing + ": No such file or directory");

  const std::string path = tmp_ / "status.json";
  write_file(path, "garbage\n");
  expect_unhealthy("ready", path, path + ": not a status file: expected a JSON object at byte 0");
  write_file(path, "{\"supervisor_pid\":1,\"supervisor_start_time\":0,\"state\":\"running\"");
  expect_unhealthy("alive", path, path + ": not a status file: expected ',' or '}' at byte 63");
  write_file(path, "{\"supervisor_pid\":1}");
  expect_unhealthy("alive", path,
                   path + ": not a status file: \"supervisor_start_time\" is missing");
  write_file(path, "{\"a\":" + std::string(100'000, '[') + "}");
  EXPECT_EQ(probe("ready", path).code, 1);
  write_file(path, std::string(100'000, ' '));
  expect_unhealthy("ready", path, "cannot read " + path + ": larger than 65536 bytes");

  const std::string fifo = tmp_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_unhealthy("ready", fifo, "cannot read " + fifo + ": not a regular file");
  expect_unhealthy("ready", tmp_.path(), "cannot read " + tmp_.path() + ": not a regular file");
}

TEST_F(Probe, UsageErrorsAre125) {
  const std::string path = tmp_ / "status.json";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--probe=ready"}, "--probe: requires --status-file=PATH"},
      {{"--probe=sick", "--status-file=" + path},
       "invalid value for --probe: 'sick' (expected ready or alive)"},
      {{"--probe=alive", "--status-file=" + path, "--", kTestapp, "sleep"},
       "--probe: starts nothing, so takes no PROGRAM"},
      {{"--status-file=", "--", kTestapp, "sleep"},
       "invalid value for --status-file: '' (must not be empty)"}};
  for (const auto& [args, line] : cases) {
    SupervisedRun run(args, without_cgroup_flag());
    EXPECT_EQ(run.wait_exit(), 125) << line;
    run.drain();
    ASSERT_EQ(run.lines(Stream::kErr).size(), 1u) << run.log();
    EXPECT_EQ(run.lines(Stream::kErr)[0].text, "supervisor: " + line);
  }
}

}  // namespace
}  // namespace e2e
