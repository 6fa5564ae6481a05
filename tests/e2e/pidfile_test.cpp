// SPEC 2: -p writes the supervisor's PID atomically (no symlink following) and removes it at
// exit only if it still holds our PID; -f forks into the background, the foreground process
// exiting 0 only once the app has started, non-zero with the reason otherwise.
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

class Pidfile : public E2ETest {};

TEST_F(Pidfile, HoldsSupervisorPidAndIsRemovedAtExit) {
  std::string pidfile = tmp_ / "sup.pid";
  SupervisedRun run(supervise({"-p", pidfile}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out("^ready pid="));
  EXPECT_EQ(read_pid_file(pidfile), run.pid());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_FALSE(read_file(pidfile).has_value()) << "pidfile not removed at exit";
}

TEST_F(Pidfile, IsRemovedWhenTheAppEndsByItself) {
  std::string pidfile = tmp_ / "sup.pid";
  SupervisedRun run(supervise({"-p", pidfile}, {"exit", "7"}));
  EXPECT_EQ(run.wait_exit(), 7) << run.log();
  EXPECT_FALSE(read_file(pidfile).has_value()) << "pidfile not removed at exit";
}

TEST_F(Pidfile, IsKeptWhenItNoLongerHoldsOurPid) {
  std::string pidfile = tmp_ / "sup.pid";
  SupervisedRun run(supervise({"-p", pidfile}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out("^ready pid="));
  ASSERT_EQ(read_pid_file(pidfile), run.pid());
  // Someone else (a second instance started by hand, say) owns the file now.
  std::string other = std::to_string(getpid()) + "\n";
  write_file(pidfile, other);
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_EQ(read_file(pidfile), other) << "a pidfile that is not ours must be left alone";
}

// A pidfile naming a live process that is not a supervisor (a stale file whose PID was reused)
// does not block the start.
TEST_F(Pidfile, StalePidfileNamingAnotherProcessIsReplaced) {
  std::string pidfile = tmp_ / "sup.pid";
  write_file(pidfile, std::to_string(getpid()) + "\n");
  SupervisedRun run(supervise({"-p", pidfile}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out("^ready pid="));
  EXPECT_EQ(read_pid_file(pidfile), run.pid());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(Pidfile, SymlinkIsReplacedNotFollowed) {
  std::string pidfile = tmp_ / "sup.pid";
  std::string target = tmp_ / "target";
  write_file(target, "untouched\n");
  ASSERT_EQ(symlink(target.c_str(), pidfile.c_str()), 0);
  SupervisedRun run(supervise({"-p", pidfile}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out("^ready pid="));
  struct stat st {};
  ASSERT_EQ(lstat(pidfile.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the pidfile should be a regular file now";
  EXPECT_EQ(read_pid_file(pidfile), run.pid());
  EXPECT_EQ(read_file(target), "untouched\n") << "the supervisor wrote through the symlink";
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// SPEC 3: a path holding anything but a pid file is refused with one line and left as it was;
// a mistyped -p (-p /etc/passwd, -p /dev/null) must never destroy what is there. An empty file
// is taken.
TEST_F(Pidfile, AnythingButAPidFileIsRefusedAndLeftAlone) {
  const std::string text = tmp_ / "passwd";
  write_file(text, "root:x:0:0:root:/root:/bin/sh\n");
  const std::string fifo = tmp_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::vector<std::pair<std::string, std::string>> cases = {
      {text, "exists and does not hold a PID"}, {fifo, "exists and is not a regular file"}};
  const std::string device = tmp_ / "null";
  if (mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    cases.emplace_back(device, "exists and is not a regular file");
  }
  for (const auto& [path, why] : cases) {
    SupervisedRun run(supervise({"-p", path}, {"exit", "0"}));
    EXPECT_EQ(run.wait_exit(), 125) << run.log();
    run.drain();
    ASSERT_EQ(run.lines(Stream::kErr).size(), 1u) << run.log();
    EXPECT_EQ(run.lines(Stream::kErr)[0].text, "supervisor: pidfile " + path + ": " + why);
  }
  EXPECT_EQ(read_file(text), "root:x:0:0:root:/root:/bin/sh\n");
  struct stat st {};
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  if (cases.size() == 3) {
    ASSERT_EQ(lstat(device.c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
  }

  const std::string empty = tmp_ / "empty.pid";
  write_file(empty, "");
  SupervisedRun run(supervise({"-p", empty}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out("^ready pid="));
  EXPECT_EQ(read_pid_file(empty), run.pid());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(Pidfile, ForkExitsZeroOnceAppStartedAndPidfileHoldsBackgroundPid) {
  std::string pidfile = tmp_ / "sup.pid";
  SupervisedRun run(supervise({"-f", "-p", pidfile}, {"print-signals"}));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  // Checked at once: by the time the foreground process is gone, the app must be running.
  auto background = read_pid_file(pidfile);
  ASSERT_TRUE(background) << "no pidfile once the foreground process exited\n" << run.log();
  pid_t bg = static_cast<pid_t>(*background);
  run.track_extra_supervisor(bg);
  EXPECT_NE(bg, run.pid());
  EXPECT_TRUE(is_alive(bg)) << "the background supervisor is not running";
  EXPECT_EQ(std::filesystem::path(exe_of(bg)), std::filesystem::canonical(kSupervisor));
  auto kids = children_of(bg);
  ASSERT_EQ(kids.size(), 1u) << "the app was not started when the foreground exited\n"
                             << run.log();
  EXPECT_TRUE(eventually([&] {
    return cmdline_of(kids[0]).find("print-signals") != std::string::npos;
  })) << cmdline_of(kids[0]);

  kill(bg, SIGTERM);
  EXPECT_TRUE(wait_gone(bg)) << "the background supervisor ignored SIGTERM";
  EXPECT_FALSE(read_file(pidfile).has_value()) << "pidfile not removed by the background supervisor";
  EXPECT_FALSE(is_alive(kids[0])) << "the app survived its supervisor";
}

// Written atomically through a temporary file: none of those may stay behind.
TEST_F(Pidfile, LeavesNoTemporaryFileBehind) {
  std::string dir = tmp_ / "run";
  mkdir(dir.c_str(), 0755);
  SupervisedRun run(supervise({"-p", dir + "/sup.pid"}, {"print-signals"}));
  ASSERT_TRUE(run.expect_out("^ready pid="));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"sup.pid"});
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "files left in the pidfile's directory";
}

// A relative pidfile is relative to the working directory at start, also for the background
// process of -f (which must not lose it by changing directory).
TEST_F(Pidfile, ForkWithRelativePidfileWritesAndRemovesIt) {
  SupervisedRun run(supervise({"-f", "-p", "rel.pid"}, {"print-signals"}), in_directory(tmp_.path()));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  auto background = read_pid_file(tmp_ / "rel.pid");
  ASSERT_TRUE(background) << run.log();
  pid_t bg = static_cast<pid_t>(*background);
  run.track_extra_supervisor(bg);
  kill(bg, SIGTERM);
  EXPECT_TRUE(wait_gone(bg));
  EXPECT_FALSE(read_file(tmp_ / "rel.pid").has_value())
      << "relative pidfile not removed by the background supervisor";
}

TEST_F(Pidfile, ForkWithAbsentProgramExits127WithTheReason) {
  std::string pidfile = tmp_ / "sup.pid";
  SupervisedRun run({"-f", "-p", pidfile, "--", tmp_ / "absent"});
  EXPECT_EQ(run.wait_exit(), 127) << run.log();
  run.drain(2000ms);
  EXPECT_GE(run.count(Stream::kErr, R"(^supervisor.*absent)"), 1) << run.log();
  EXPECT_TRUE(eventually([&] { return !read_file(pidfile).has_value(); }))
      << "pidfile left behind";
}

}  // namespace
}  // namespace e2e
