// SPEC 3: the supervisor's exit status. The app's status passes through (code, or 128+signal);
// 125 is the supervisor's own failure, 126 a PROGRAM that cannot be executed, 127 one that is
// not there. Every failure is one line "supervisor: <what>: <why>" naming the bad value, and
// leaves nothing behind: no process, no pidfile, no cgroup (the harness checks the last two
// kinds of leftovers for every run; these tests check the pidfile and the message).
#include <sys/stat.h>
#include <unistd.h>

#include "harness.hpp"

namespace e2e {
namespace {

class ExitCodes : public E2ETest {};

TEST_F(ExitCodes, AppExitCodePassesThrough) {
  SupervisedRun run(supervise({}, {"exit", "3"}));
  EXPECT_EQ(run.wait_exit(), 3) << run.log();
}

TEST_F(ExitCodes, AppExitZeroPassesThrough) {
  SupervisedRun run(supervise({}, {"exit", "0"}));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(ExitCodes, AppKilledBySegvGives139) {
  SupervisedRun run(supervise({}, {"crash", "SEGV"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGSEGV) << run.log();
}

TEST_F(ExitCodes, AppKilledByAbrtGives134) {
  SupervisedRun run(supervise({}, {"crash", "ABRT"}));
  EXPECT_EQ(run.wait_exit(), 128 + SIGABRT) << run.log();
}

// ---- failures: one line naming the value, nothing left behind ----

struct BadStart {
  const char* name;                // the test's name
  std::vector<std::string> args;   // "{tmp}" is replaced by the test's temp dir
  int status;                      // expected exit status
  std::string names;               // regex the one stderr line must contain (the bad value)
};

void PrintTo(const BadStart& c, std::ostream* os) { *os << c.name; }

class FailsCleanly : public E2ETest, public ::testing::WithParamInterface<BadStart> {
 protected:
  void SetUp() override {
    write_file(tmp_ / "not-executable", "#!/bin/sh\nexit 0\n", 0644);
    mkdir((tmp_ / "a-directory").c_str(), 0755);
  }
  std::vector<std::string> expand(std::vector<std::string> args) {
    for (auto& a : args) {
      for (size_t at; (at = a.find("{tmp}")) != std::string::npos;) a.replace(at, 5, tmp_.path());
      if (a == "{app}") a = kTestapp;
    }
    return args;
  }
};

// The checks common to every failure before the app could start.
void expect_clean_failure(SupervisedRun& run, int status, const std::string& names,
                          const std::string& pidfile) {
  EXPECT_EQ(run.wait_exit(), status) << run.log();
  run.drain();
  const auto& err = run.lines(Stream::kErr);
  ASSERT_EQ(err.size(), 1u) << "exactly one line on stderr expected\n" << run.log();
  EXPECT_TRUE(std::regex_search(err[0].text, std::regex("^supervisor: .+: .+")))
      << "not of the form 'supervisor: <what>: <why>': " << err[0].text;
  EXPECT_TRUE(std::regex_search(err[0].text, std::regex(names)))
      << "the message does not name /" << names << "/: " << err[0].text;
  EXPECT_EQ(run.count(Stream::kOut, "."), 0) << "the app must not have run\n" << run.log();
  if (!pidfile.empty()) {
    EXPECT_FALSE(read_file(pidfile).has_value()) << "pidfile left behind: " << pidfile;
  }
}

TEST_P(FailsCleanly, WithOneLineNamingTheValue) {
  const BadStart& c = GetParam();
  // Every case also asks for a pidfile, to check that a failure leaves none behind.
  std::vector<std::string> args = {"-p", tmp_ / "sup.pid"};
  for (auto& a : expand(c.args)) args.push_back(a);
  SupervisedRun run(args);
  expect_clean_failure(run, c.status, c.names, tmp_ / "sup.pid");
}

const BadStart kBadStarts[] = {
    {"UnknownLongOption", {"--bogus-option", "--", "{app}", "exit", "0"}, 125, "bogus-option"},
    {"UnknownShortOption", {"-Z", "--", "{app}", "exit", "0"}, 125, R"(\bZ\b)"},
    {"MissingProgram", {}, 125, "[Pp][Rr][Oo][Gg][Rr][Aa][Mm]"},
    {"MissingProgramAfterDoubleDash", {"--"}, 125, "[Pp][Rr][Oo][Gg][Rr][Aa][Mm]"},
    {"DelayLimitNotANumber", {"-l", "abc", "--", "{app}", "exit", "0"}, 125, R"(\babc\b)"},
    {"DelayLimitNegative", {"-l", "-1", "--", "{app}", "exit", "0"}, 125, R"(-1\b)"},
    {"DelayLimitTooLarge", {"-l", "99999999999", "--", "{app}", "exit", "0"}, 125, "99999999999"},
    {"SuccessCodeAbove255", {"-s", "256", "--", "{app}", "exit", "0"}, 125, R"(\b256\b)"},
    {"SuccessUnknownSignalName", {"-s", "NOSUCHSIG", "--", "{app}", "exit", "0"}, 125, "NOSUCHSIG"},
    {"StopTimeoutNotANumber", {"--stop-timeout=x", "--", "{app}", "exit", "0"}, 125, R"(\bx\b)"},
    {"HotRestartSignalThatStops", {"--hot-restart=TERM", "--", "{app}", "exit", "0"}, 125,
     "hot-restart.*TERM"},
    {"HotRestartUnknownSignal", {"--hot-restart=NOPE", "--", "{app}", "exit", "0"}, 125,
     "hot-restart.*NOPE"},
    {"FdstoreMaxNegative", {"--fdstore-max=-1", "--", "{app}", "exit", "0"}, 125,
     "fdstore-max.*-1"},
    {"UnknownUser", {"-u", "nosuchuser", "--", "{app}", "exit", "0"}, 125, "nosuchuser"},
    {"UnknownGroup", {"-g", "nosuchgroup", "--", "{app}", "exit", "0"}, 125, "nosuchgroup"},
    {"PidfileInMissingDirectory",
     {"-p", "{tmp}/missing/sup.pid", "--", "{app}", "exit", "0"}, 125, "missing/sup\\.pid"},
    {"AbsentProgram", {"--", "{tmp}/no-such-program"}, 127, "no-such-program"},
    {"BareNameNotInPath", {"--", "no-such-program-e2e"}, 127, "no-such-program-e2e"},
    {"NonExecutableFile", {"--", "{tmp}/not-executable"}, 126, "not-executable"},
    {"DirectoryAsProgram", {"--", "{tmp}/a-directory"}, 126, "a-directory"},
};

INSTANTIATE_TEST_SUITE_P(BadStart, FailsCleanly, ::testing::ValuesIn(kBadStarts),
                         [](const auto& p) { return std::string(p.param.name); });

// A read-only directory, reliably, even as root (root ignores permission bits, so chmod is no
// use): the harness gives the supervisor a private mount namespace in which a read-only tmpfs is
// mounted over a directory of the test. Writing there fails with EROFS for everyone, and the
// mount vanishes with the supervisor. Skipped where the test cannot make mount namespaces.
TEST_F(ExitCodes, PidfileInReadOnlyDirectoryIs125) {
  std::string ro = tmp_ / "read-only";
  mkdir(ro.c_str(), 0755);
  RunOptions options;
  options.readonly_tmpfs = {ro};
  SupervisedRun run(supervise({"-p", ro + "/sup.pid"}, {"exit", "0"}), options);
  if (!run.started()) GTEST_SKIP() << "no private read-only mount: " << run.setup_error();
  expect_clean_failure(run, 125, "read-only/sup\\.pid", "");
}

TEST_F(ExitCodes, PidfileOfRunningSupervisorIs125) {
  std::string pidfile = tmp_ / "sup.pid";
  SupervisedRun first(supervise({"-p", pidfile}, {"print-signals"}));
  // The pidfile is written before the app starts: its readiness line is the event.
  ASSERT_TRUE(first.expect_out("^ready pid="));
  ASSERT_EQ(read_pid_file(pidfile), first.pid())
      << "the first supervisor did not write its pidfile\n" << first.log();

  SupervisedRun second(supervise({"-p", pidfile}, {"print-signals"}));
  expect_clean_failure(second, 125, regex_escape(pidfile), "");
  EXPECT_EQ(read_pid_file(pidfile), first.pid()) << "the running supervisor's pidfile changed";
  EXPECT_FALSE(first.exited()) << first.log();

  first.send(SIGTERM);
  EXPECT_EQ(first.wait_exit(), 0) << first.log();
}

}  // namespace
}  // namespace e2e
