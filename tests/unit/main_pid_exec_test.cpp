// SPEC 5 rule 3, tightened (issue 12): a same-executable child is an heir only after an exec of
// its own, and a main process that failed has no heirs but those a hint names.
#include <gtest/gtest.h>

#include "core/main_pid.hpp"

namespace sup::core {
namespace {

using Kind = Election::Kind;

constexpr int kSelf = 100;
const std::string kSh = "/usr/bin/dash";

ProcInfo proc(int pid, int ppid, bool forked_no_exec, std::string exe = kSh) {
  ProcInfo p;
  p.pid = pid;
  p.ppid = ppid;
  p.start_time = static_cast<std::uint64_t>(pid);
  p.exe = std::move(exe);
  p.forked_no_exec = forked_no_exec;
  return p;
}

// `sh -c 'sleep 3 & exit N'` the moment sh has exited: its background job is forked, reparented
// to the supervisor, and has not exec'd sleep yet.
ElectionInput background_job(bool await_exec) {
  ElectionInput in;
  in.self = kSelf;
  in.exe = kSh;
  in.app = {proc(201, kSelf, true)};
  in.await_exec = await_exec;
  return in;
}

TEST(ElectExecd, AChildThatHasNotExecdIsNoHeir) {
  EXPECT_EQ(elect_main_pid(background_job(false)).kind, Kind::kNone);
}

TEST(ElectExecd, AwaitingExecItIsPending) {
  const Election e = elect_main_pid(background_job(true));
  EXPECT_EQ(e.kind, Kind::kPending);
  EXPECT_EQ(e.candidates, std::vector<int>{201});
}

TEST(ElectExecd, OnceItExecsTheSameExecutableItIsTheHeir) {
  ElectionInput in = background_job(true);
  in.app[0].forked_no_exec = false;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 201);
  EXPECT_EQ(e.source, "child");
}

TEST(ElectExecd, OnceItExecsAnotherExecutableThereIsNone) {
  ElectionInput in = background_job(true);
  in.app[0] = proc(201, kSelf, false, "/usr/bin/sleep");
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

TEST(ElectExecd, AFailedMainHasNoHeirsNorPendingOnes) {
  ElectionInput in = background_job(true);
  in.main_failed = true;
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
  in.app[0].forked_no_exec = false;
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

TEST(ElectExecd, AFailedMainsHeirNamedByThePidfileIsTakenEvenBeforeItsExec) {
  ElectionInput in = background_job(true);
  in.main_failed = true;
  in.pidfile_pid = 201;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.source, "pidfile");
}

TEST(ElectExecd, AnExecdHeirIsElectedBesideChildrenThatHaveNot) {
  // An nginx upgrade: the new master exec'd; the old master's workers never exec.
  ElectionInput in = background_job(true);
  in.app = {proc(201, kSelf, true), proc(202, kSelf, false), proc(203, kSelf, true)};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 202);
}

TEST(ElectExecd, GrandchildrenAreNeitherHeirsNorPending) {
  ElectionInput in = background_job(true);
  in.app = {proc(201, 150, true), proc(202, 150, false)};
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

TEST(ElectExecd, SeveralPendingAreAllListed) {
  ElectionInput in = background_job(true);
  in.app = {proc(201, kSelf, true), proc(202, kSelf, true), proc(203, kSelf, false, "/bin/x")};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kPending);
  EXPECT_EQ(e.candidates, (std::vector<int>{201, 202}));
}

TEST(ElectExecd, OnceTheWaitIsOverASoleChildThatNeverExecdIsADaemon) {
  // nginx's launcher forks the master and exits 0; the master never execs.
  ElectionInput in = background_job(false);
  in.exec_wait_over = true;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 201);
}

TEST(ElectExecd, OnceTheWaitIsOverSeveralAreAmbiguous) {
  ElectionInput in = background_job(false);
  in.app.push_back(proc(202, kSelf, true));
  in.exec_wait_over = true;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kAmbiguous);
  EXPECT_EQ(e.candidates, (std::vector<int>{201, 202}));
}

TEST(ElectExecd, AFailedMainHasNoDaemonEither) {
  ElectionInput in = background_job(false);
  in.exec_wait_over = true;
  in.main_failed = true;
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

TEST(ElectExecd, ZombiesAreNotPending) {
  ElectionInput in = background_job(true);
  in.app[0].state = 'Z';
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

}  // namespace
}  // namespace sup::core
