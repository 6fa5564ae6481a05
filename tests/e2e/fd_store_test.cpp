// SPEC 10, the fd store: fds the app sends with FDSTORE=1 are kept by the supervisor and passed
// to every later incarnation after the listening sockets, named in LISTEN_FDNAMES; state in a
// memfd survives crashes; --fdstore-max bounds the store; a stored fd that hangs up is dropped.
#include "harness.hpp"

namespace e2e {
namespace {

class FdStore : public E2ETest {};

// The first run does `first` (testapp arguments), every later run prints its environment.
std::vector<std::string> then_env(const TempDir& tmp, std::vector<std::string> options,
                                  const std::string& first) {
  const std::string script = "if [ -e \"$0\" ]; then exec \"$1\" env; fi; : > \"$0\"; " + first;
  options.insert(options.end(), {"--", "/bin/sh", "-c", script, tmp / "ran-once", kTestapp});
  return options;
}

TEST_F(FdStore, AMemfdKeptByTheSupervisorSurvivesThreeCrashes) {
  SupervisedRun run(supervise({"-c", "--healthy-after=0"}, {"counter", "crash"}));
  for (int n = 1; n <= 4; ++n) {
    ASSERT_TRUE(run.expect_out("^counter=" + std::to_string(n) + " pid=")) << run.log();
  }
  EXPECT_GE(run.count(Stream::kErr, "killed by SIGSEGV"), 3) << run.log();
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(FdStore, StoredFdsComeAfterTheSocketsNamedInListenFdnames) {
  SupervisedRun run(then_env(tmp_, {"-c"}, "exec \"$1\" counter crash"));
  ASSERT_TRUE(run.expect_out("^counter=1 pid="));
  auto pid = run.expect_out(R"(^env LISTEN_PID=(\d+)$)");
  ASSERT_TRUE(pid) << run.log();
  EXPECT_TRUE(run.expect_out("^env LISTEN_FDS=1$")) << run.log();
  EXPECT_TRUE(run.expect_out("^env LISTEN_FDNAMES=counter$")) << run.log();
  auto fds = run.expect_out(R"(^env pid=(\d+) fds=([\d,]+)$)");
  ASSERT_TRUE(fds);
  EXPECT_EQ(fds->groups[2], "0,1,2,3") << "the stored fd at 3, nothing else";
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(FdStore, FdstoreMaxZeroRefusesThem) {
  SupervisedRun run(supervise({"-c", "--healthy-after=0", "--fdstore-max=0"}, {"counter", "crash"}));
  ASSERT_TRUE(run.expect_out("^counter=1 pid="));
  ASSERT_TRUE(run.expect_out("^counter=1 pid=")) << "nothing kept\n" << run.log();
  EXPECT_TRUE(run.expect_err(R"(fd store full \(--fdstore-max=0\): closing 1 fds named counter)"));
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

// Stored fds are passed right after the sockets, from 3 on: the store keeps none that would
// land on --notify-fd's number, where the readiness pipe would replace it.
TEST_F(FdStore, NoneIsKeptWhereItWouldLandOnTheNotifyFd) {
  SupervisedRun run(supervise({"-c", "--healthy-after=0", "--notify-fd=3"}, {"counter", "crash"}));
  ASSERT_TRUE(run.expect_out("^counter=1 pid="));
  ASSERT_TRUE(run.expect_out("^counter=1 pid=")) << "nothing kept\n" << run.log();
  EXPECT_TRUE(run.expect_err(
      R"(fd store full \(room for 0 below --notify-fd=3\): closing 1 fds named counter)"));
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(FdStore, AStoredFdThatHangsUpIsDroppedUnlessStoredWithFdpollZero) {
  SupervisedRun run(then_env(tmp_, {"-c"},
                             "exec \"$1\" notify +store-hangup=gone +store-nopoll=kept +barrier"));
  auto first = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(first);
  ASSERT_TRUE(run.expect_out("^stored gone$"));
  ASSERT_TRUE(run.expect_out("^stored kept$"));
  ASSERT_TRUE(run.expect_out("^barrier ok$"));
  ::kill(static_cast<pid_t>(first->num(1)), SIGKILL);
  EXPECT_TRUE(run.expect_out("^env LISTEN_FDNAMES=kept$")) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

TEST_F(FdStore, FdstoreRemoveDropsTheFdsOfThatName) {
  SupervisedRun run(then_env(tmp_, {"-c"},
                             "exec \"$1\" notify +store-nopoll=a +store-nopoll=b "
                             "'FDSTOREREMOVE=1\nFDNAME=a' +barrier"));
  auto first = run.expect_out(R"(^ready pid=(\d+)$)");
  ASSERT_TRUE(first);
  ASSERT_TRUE(run.expect_out("^barrier ok$")) << run.log();
  ::kill(static_cast<pid_t>(first->num(1)), SIGKILL);
  EXPECT_TRUE(run.expect_out("^env LISTEN_FDNAMES=b$")) << run.log();
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

}  // namespace
}  // namespace e2e
