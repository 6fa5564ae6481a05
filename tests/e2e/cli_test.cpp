// SPEC 2: the command line. --help and --version; options end at "--" or at the first
// non-option word; PROGRAM may be a bare name found in PATH or a relative path, and is resolved
// once to an absolute path.
#include <sys/stat.h>

#include <filesystem>

#include <signal.h>

#include "harness.hpp"

namespace e2e {
namespace {

class CommandLine : public E2ETest {};

std::string all_text(SupervisedRun& run, Stream stream) {
  std::string text;
  for (const auto& l : run.lines(stream)) text += l.text + "\n";
  return text;
}

void expect_help(SupervisedRun& run) {
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  run.drain();
  std::string help = all_text(run, Stream::kOut);
  // Every option of the seed with its short and long form, and every option SPEC 2 adds.
  for (const char* option :
       {"-f", "--fork", "-p", "--pidfile", "-P", "--main-pidfile", "-u", "--user", "-g",
        "--group", "-l", "--delay-limit", "-e", "--restart-on-error", "-c", "--restart-on-crash",
        "-s", "--success", "-q", "--quiet", "-v", "--version", "-h", "--help", "--restart",
        "--healthy-after", "--max-restarts", "--no-restart", "--stop-timeout", "--stop-signal",
        "--kill-signal", "--map-signal", "--cgroup"}) {
    std::regex mentioned(regex_escape(option) + R"(([^-A-Za-z]|$))");
    EXPECT_TRUE(std::regex_search(help, mentioned))
        << "--help does not mention " << option << "\n" << run.log();
  }
}

TEST_F(CommandLine, LongHelpMentionsEveryOptionAndExitsZero) {
  SupervisedRun run({"--help"}, without_cgroup_flag());
  expect_help(run);
}

TEST_F(CommandLine, ShortHelpMentionsEveryOptionAndExitsZero) {
  SupervisedRun run({"-h"}, without_cgroup_flag());
  expect_help(run);
}

// "--help in the seed's layout": each seed option as "-f,--fork", short and long together.
TEST_F(CommandLine, HelpPairsShortAndLongFormsAsTheSeed) {
  SupervisedRun run({"--help"}, without_cgroup_flag());
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  run.drain();
  std::string help = all_text(run, Stream::kOut);
  for (const char* pair : {"-f, ?--fork", "-p, ?--pidfile", "-u, ?--user", "-g, ?--group",
                           "-l, ?--delay-limit", "-e, ?--restart-on-error",
                           "-c, ?--restart-on-crash", "-s, ?--success", "-q, ?--quiet",
                           "-v, ?--version", "-h, ?--help"}) {
    EXPECT_TRUE(std::regex_search(help, std::regex(pair))) << "no /" << pair << "/ in\n" << help;
  }
}

TEST_F(CommandLine, LongVersionPrintsVersionAndExitsZero) {
  SupervisedRun run({"--version"}, without_cgroup_flag());
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_TRUE(run.expect_out(R"(\d+\.\d+)"));
}

TEST_F(CommandLine, ShortVersionPrintsVersionAndExitsZero) {
  SupervisedRun run({"-v"}, without_cgroup_flag());
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_TRUE(run.expect_out(R"(\d+\.\d+)"));
}

// "supervisor -e /path/testapp args -x -c": -x and -c belong to the app, not to the supervisor.
TEST_F(CommandLine, OptionsEndAtFirstNonOptionWord) {
  SupervisedRun run({"-e", kTestapp, "args", "-x", "-c", "--"});
  EXPECT_TRUE(run.expect_out("^args=-x\\|-c\\|--$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(CommandLine, OptionsEndAtDoubleDash) {
  SupervisedRun run({"-e", "--", kTestapp, "args", "-e", "--help"});
  EXPECT_TRUE(run.expect_out("^args=-e\\|--help$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

TEST_F(CommandLine, BareProgramNameIsFoundInPath) {
  std::string dir = std::filesystem::path(kTestapp).parent_path();
  RunOptions options;
  options.env = {"PATH=/nonexistent-e2e:" + dir + ":/usr/bin:/bin"};
  SupervisedRun run({"--", "testapp", "args", "found"}, options);
  auto started = run.expect_err(kStarted);
  ASSERT_TRUE(started);
  EXPECT_TRUE(same_file(started->groups[1], kTestapp))
      << "started " << started->groups[1] << ", expected " << kTestapp;
  EXPECT_TRUE(run.expect_out("^args=found$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// A daemon that re-executes its argv[0] for an upgrade (nginx) does no PATH search: the app
// gets the path the supervisor resolved.
TEST_F(CommandLine, BareProgramNameReachesTheAppAsItsResolvedPath) {
  std::string dir = std::filesystem::path(kTestapp).parent_path();
  RunOptions options;
  options.env = {"PATH=" + dir + ":/usr/bin:/bin"};
  SupervisedRun run({"--", "testapp", "print-signals"}, options);
  auto ready = run.expect_out(R"(^ready pid=(\d+))");
  ASSERT_TRUE(ready);
  const std::string cmdline = cmdline_of(static_cast<pid_t>(ready->num(1)));
  const std::string argv0 = cmdline.substr(0, cmdline.find(' '));
  EXPECT_EQ(argv0.front(), '/') << cmdline;
  EXPECT_TRUE(same_file(argv0, kTestapp)) << cmdline;
  run.send(SIGTERM);
  run.wait_exit();
}

// As execvp does: a match in PATH that cannot be executed is skipped for a later one.
TEST_F(CommandLine, BareProgramNameSkipsNonExecutableMatchInPath) {
  std::string first = tmp_ / "first";
  mkdir(first.c_str(), 0755);
  write_file(first + "/testapp", "#!/bin/sh\necho wrong testapp\n", 0644);
  std::string dir = std::filesystem::path(kTestapp).parent_path();
  RunOptions options;
  options.env = {"PATH=" + first + ":" + dir + ":/usr/bin:/bin"};
  SupervisedRun run({"--", "testapp", "args", "second"}, options);
  auto started = run.expect_err(kStarted);
  ASSERT_TRUE(started);
  EXPECT_TRUE(same_file(started->groups[1], kTestapp)) << started->line;
  EXPECT_TRUE(run.expect_out("^args=second$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// The only match in PATH is not executable: found but cannot be executed, 126.
TEST_F(CommandLine, BareProgramNameWithOnlyNonExecutableMatchIs126) {
  write_file(tmp_ / "only-here", "#!/bin/sh\nexit 0\n", 0644);
  RunOptions options;
  options.env = {"PATH=" + tmp_.path() + ":/usr/bin:/bin"};
  SupervisedRun run({"--", "only-here"}, options);
  EXPECT_EQ(run.wait_exit(), 126) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, "only-here"), 1) << run.log();
}

TEST_F(CommandLine, RelativeProgramIsResolvedToAbsolutePath) {
  RunOptions options;
  options.cwd = std::filesystem::path(kTestapp).parent_path();
  SupervisedRun run({"--", "./testapp", "args", "relative"}, options);
  auto started = run.expect_err(kStarted);  // kStarted requires an absolute path
  ASSERT_TRUE(started);
  EXPECT_TRUE(same_file(started->groups[1], kTestapp)) << started->line;
  EXPECT_TRUE(run.expect_out("^args=relative$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

// SPEC 8: every message of the supervisor is "supervisor[PID]: ..." on stderr, PID its own.
TEST_F(CommandLine, MessagesCarryTheSupervisorPid) {
  SupervisedRun run(supervise({}, {"exit", "3"}));
  auto started = run.expect_err(R"(^supervisor\[(\d+)\]: )" + kStarted);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->num(1), run.pid());
  EXPECT_TRUE(same_file(started->groups[2], kTestapp));
  long app = started->num(3);
  EXPECT_TRUE(run.expect_err(R"(^supervisor\[)" + std::to_string(run.pid()) + R"(\]: pid )" +
                             std::to_string(app) + " exited with status 3$"));
  EXPECT_EQ(run.wait_exit(), 3) << run.log();
}

// SPEC 8: the app's stdout and stderr are its own and pass through untouched.
TEST_F(CommandLine, AppStderrPassesThroughUntouched) {
  SupervisedRun run(supervise({}, {"no-such-sub-command"}));
  EXPECT_TRUE(run.expect_err("^testapp: unknown sub-command no-such-sub-command$"));
  EXPECT_EQ(run.wait_exit(), 64) << run.log();
}

TEST_F(CommandLine, CrashMessageNamesTheSignal) {
  SupervisedRun run(supervise({}, {"crash", "SEGV"}));
  auto started = run.expect_err(kStarted);
  ASSERT_TRUE(started);
  EXPECT_TRUE(run.expect_err(R"(^supervisor\[\d+\]: pid )" + started->groups[2] +
                             R"( killed by SIGSEGV( \(core dumped\))?$)"));
  EXPECT_EQ(run.wait_exit(), 128 + SIGSEGV) << run.log();
}

}  // namespace
}  // namespace e2e
