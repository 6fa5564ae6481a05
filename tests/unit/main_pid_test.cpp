// Successor election (SPEC 5): hints, predecessors, same-exe children, refusals.
#include "core/main_pid.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sup::core {
namespace {

using Kind = Election::Kind;

constexpr int kSelf = 100;
const std::string kExe = "/usr/sbin/nginx";

ProcInfo proc(int pid, int ppid, std::uint64_t start, std::string exe = kExe, char state = 'S') {
  ProcInfo p;
  p.pid = pid;
  p.ppid = ppid;
  p.start_time = start;
  p.exe = std::move(exe);
  p.state = state;
  return p;
}

ElectionInput input(std::vector<ProcInfo> app) {
  ElectionInput in;
  in.app = std::move(app);
  in.self = kSelf;
  in.exe = kExe;
  return in;
}

bool mentions(const std::vector<std::string>& refused, int pid) {
  const std::string needle = std::to_string(pid);
  return std::any_of(refused.begin(), refused.end(), [&](const std::string& line) {
    return line.find(needle) != std::string::npos;
  });
}

// ---------------------------------------------------------------------------------------------
// Hints.

TEST(ElectMainPid, PidfileHintWins) {
  // The pidfile names a grandchild with another exe; a same-exe child and a live predecessor
  // exist: the pidfile still wins.
  auto in = input({proc(200, kSelf, 10), proc(300, 200, 20, "/usr/sbin/worker"),
                   proc(400, kSelf, 5), proc(500, 200, 30)});
  in.pidfile_pid = 300;
  in.predecessors = {400};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 300);
  EXPECT_EQ(e.source, "pidfile");
  EXPECT_TRUE(e.refused.empty());
}

TEST(ElectMainPid, RefusedPidfileHintFallsBackToTheNextRule) {
  auto in = input({proc(200, kSelf, 10), proc(300, 200, 20)});
  in.pidfile_pid = 4242;  // not a process of the app
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 200);
  EXPECT_EQ(e.source, "child");
  ASSERT_EQ(e.refused.size(), 1u);
  EXPECT_TRUE(mentions(e.refused, 4242));
  EXPECT_NE(e.refused[0].find("pidfile"), std::string::npos) << e.refused[0];
}

struct BadHintCase {
  const char* what;
  int pid;
};

class ElectBadHint : public ::testing::TestWithParam<BadHintCase> {};

// The app: one same-exe child 200 (the fallback), a zombie 201, a grandchild 202. The supervisor
// itself and PID 1 are listed as if they were in the app's cgroup (systemd layout, containers),
// which must not make them electable.
ElectionInput bad_hint_input() {
  return input({proc(200, kSelf, 10), proc(201, kSelf, 11, kExe, 'Z'), proc(202, 200, 12),
                proc(kSelf, 1, 1, "/usr/bin/supervisor"), proc(1, 0, 0, "/sbin/init")});
}

TEST_P(ElectBadHint, PidfileHintRefused) {
  const BadHintCase& tc = GetParam();
  auto in = bad_hint_input();
  in.pidfile_pid = tc.pid;
  const Election e = elect_main_pid(in);
  EXPECT_NE(e.pid, tc.pid) << tc.what;
  ASSERT_EQ(e.refused.size(), 1u) << tc.what;
  EXPECT_TRUE(mentions(e.refused, tc.pid)) << e.refused[0];
  EXPECT_NE(e.refused[0].find("pidfile"), std::string::npos) << e.refused[0];
  // The election goes on with the other rules: the same-exe child.
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 200);
  EXPECT_EQ(e.source, "child");
}

TEST_P(ElectBadHint, NotSuitable) {
  EXPECT_FALSE(suitable_main_pid(bad_hint_input(), GetParam().pid)) << GetParam().what;
}

INSTANTIATE_TEST_SUITE_P(All, ElectBadHint,
                         ::testing::Values(BadHintCase{"outside the app", 31337},
                                           BadHintCase{"the supervisor itself", kSelf},
                                           BadHintCase{"PID 1", 1},
                                           BadHintCase{"a zombie", 201},
                                           BadHintCase{"zero", 0},
                                           BadHintCase{"negative", -200}));

TEST(ElectMainPid, RefusedHintWithNothingElseIsNone) {
  auto in = input({});
  in.pidfile_pid = 1;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kNone);
  EXPECT_EQ(e.refused.size(), 1u);
}

TEST(ElectMainPid, HintMayNameAnyLiveProcessOfTheApp) {
  // A daemon deep in the tree (double fork, own session) named by its pidfile.
  auto in = input({proc(300, 250, 20, "/usr/bin/redis-server")});
  in.pidfile_pid = 300;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 300);
}

TEST(ElectMainPid, DeadProcessStateXIsNotSuitable) {
  auto in = input({proc(200, kSelf, 10, kExe, 'X')});
  EXPECT_FALSE(suitable_main_pid(in, 200));
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

TEST(SuitableMainPid, LiveProcessesOfTheApp) {
  auto in = input({proc(200, kSelf, 10, kExe, 'S'), proc(201, 200, 10, "/x", 'R'),
                   proc(202, 200, 10, "/x", 'D'), proc(203, 200, 10, "/x", 'T')});
  for (int pid : {200, 201, 202, 203}) EXPECT_TRUE(suitable_main_pid(in, pid)) << pid;
  EXPECT_FALSE(suitable_main_pid(in, 204));
}

// ---------------------------------------------------------------------------------------------
// Predecessors: a rolled-back upgrade.

TEST(ElectMainPid, LivePredecessorWinsOverChildren) {
  // nginx: old master 150 (a predecessor, still alive), the new master 200 died; 150 is a
  // direct child with the same exe, and so is 160 which is older. The predecessor wins.
  auto in = input({proc(150, kSelf, 50), proc(160, kSelf, 40)});
  in.predecessors = {150};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 150);
  EXPECT_EQ(e.source, "predecessor");
}

TEST(ElectMainPid, MostRecentLivePredecessorWins) {
  // Oldest first: 110, 120, 130 (dead), 140 (zombie). The most recent live one is 120.
  auto in = input({proc(110, kSelf, 1), proc(120, kSelf, 2), proc(140, kSelf, 4, kExe, 'Z')});
  in.predecessors = {110, 120, 130, 140};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 120);
  EXPECT_EQ(e.source, "predecessor");
}

TEST(ElectMainPid, PredecessorWithOtherExeStillWins) {
  // A rolled-back upgrade where the old binary was replaced on disk.
  auto in = input({proc(150, 1, 50, "/usr/sbin/nginx.old")});
  in.predecessors = {150};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 150);
}

TEST(ElectMainPid, DeadPredecessorsAreIgnored) {
  auto in = input({proc(200, kSelf, 10)});
  in.predecessors = {110, 120};  // gone
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 200);
  EXPECT_EQ(e.source, "child");
}

TEST(ElectMainPid, PredecessorThatIsTheSupervisorIsIgnored) {
  auto in = input({proc(kSelf, 1, 1, kExe)});
  in.predecessors = {kSelf};
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

TEST(ElectMainPid, HintsBeatPredecessors) {
  auto in = input({proc(150, kSelf, 50), proc(300, 150, 60)});
  in.predecessors = {150};
  in.pidfile_pid = 300;
  EXPECT_EQ(elect_main_pid(in).pid, 300);
}

// ---------------------------------------------------------------------------------------------
// Children of the supervisor.

TEST(ElectMainPid, SingleSameExeDirectChildIsElected) {
  // A self-daemonizing app: the launcher exited, the daemon was reparented to the supervisor.
  auto in = input({proc(200, kSelf, 10), proc(201, 200, 11, "/usr/sbin/nginx")});
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 200);
  EXPECT_EQ(e.source, "child");
  EXPECT_TRUE(e.candidates.empty());
  EXPECT_TRUE(e.refused.empty());
}

TEST(ElectMainPid, ChildWithOtherExeIsNotElected) {
  auto in = input({proc(200, kSelf, 10, "/bin/sh"), proc(201, kSelf, 11, "/usr/bin/logger")});
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kNone);
  EXPECT_EQ(e.pid, 0);
}

TEST(ElectMainPid, ExeComparisonIsExact) {
  for (const std::string exe : {"/usr/sbin/nginx2", "/usr/sbin/ngin", "/usr/sbin/nginx/",
                                "usr/sbin/nginx", "/USR/SBIN/NGINX", ""}) {
    auto in = input({proc(200, kSelf, 10, exe)});
    EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone) << "'" << exe << "'";
  }
}

TEST(ElectMainPid, GrandchildrenAreNotElected) {
  auto in = input({proc(300, 250, 10), proc(301, 300, 11)});
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kNone);
}

TEST(ElectMainPid, ZombieChildIsNotElected) {
  auto in = input({proc(200, kSelf, 10, kExe, 'Z')});
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
  // A zombie does not make a live child ambiguous either.
  in.app.push_back(proc(201, kSelf, 10));
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 201);
}

TEST(ElectMainPid, SeveralSameExeChildrenAreAmbiguousWhateverTheirAges) {
  // Never guessed between (issue 2), not even by age; one of another exe does not count.
  auto in = input({proc(210, kSelf, 30), proc(290, kSelf, 12), proc(205, kSelf, 50),
                   proc(220, kSelf, 31, "/bin/other")});
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kAmbiguous);
  EXPECT_EQ(e.pid, 0);
  std::vector<int> candidates = e.candidates;
  std::sort(candidates.begin(), candidates.end());
  EXPECT_EQ(candidates, (std::vector<int>{205, 210, 290}));
}

TEST(ElectMainPid, TieIsAmbiguous) {
  auto in = input({proc(210, kSelf, 30), proc(220, kSelf, 30)});
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kAmbiguous);
  EXPECT_EQ(e.pid, 0);
  std::vector<int> candidates = e.candidates;
  std::sort(candidates.begin(), candidates.end());
  EXPECT_EQ(candidates, (std::vector<int>{210, 220}));
}

TEST(ElectMainPid, TieOfTheOldestIsAmbiguousEvenWithYoungerOnes) {
  auto in = input({proc(230, kSelf, 40), proc(210, kSelf, 30), proc(220, kSelf, 30)});
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kAmbiguous);
  EXPECT_NE(std::find(e.candidates.begin(), e.candidates.end(), 210), e.candidates.end());
  EXPECT_NE(std::find(e.candidates.begin(), e.candidates.end(), 220), e.candidates.end());
}

TEST(ElectMainPid, NothingIsNone) {
  const Election e = elect_main_pid(input({}));
  EXPECT_EQ(e.kind, Kind::kNone);
  EXPECT_EQ(e.pid, 0);
  EXPECT_TRUE(e.candidates.empty());
  EXPECT_TRUE(e.refused.empty());
}

TEST(ElectMainPid, OnlyTheSupervisorItselfIsNone) {
  // Without cgroups the snapshot may include the supervisor; it is never its own successor.
  auto in = input({proc(kSelf, 1, 1, kExe)});
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

// ---------------------------------------------------------------------------------------------
// PID 1 without a cgroup: orphans of processes from outside (podman exec) are children too.

constexpr int kSelfSession = 1;

ProcInfo in_session(ProcInfo p, int session) {
  p.session = session;
  return p;
}

ElectionInput as_pid1(std::vector<ProcInfo> app, int exited) {
  ElectionInput in = input(std::move(app));
  in.adopts_strangers = true;
  in.self_session = kSelfSession;
  in.exited = exited;
  return in;
}

// `podman exec C sh -c 'sleep 20 & exit 0'` in a busybox image whose app is `sh`: the orphan
// runs the same executable and has exec'd, but its session is the exec'd shell's, gone.
TEST(ElectStrangers, AnOrphanFromOutsideIsNoHeir) {
  auto in = as_pid1({in_session(proc(13, kSelf, 20), 12)}, 6);
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
  in.adopts_strangers = false;  // as a subreaper, only the app's orphans come to us
  EXPECT_EQ(elect_main_pid(in).pid, 13);
}

TEST(ElectStrangers, AnUpgradeInTheSupervisorsSessionIsFollowed) {
  auto in = as_pid1(
      {in_session(proc(7, kSelf, 20), kSelfSession), in_session(proc(13, kSelf, 30), 12)}, 6);
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Kind::kElected);
  EXPECT_EQ(e.pid, 7);
}

TEST(ElectStrangers, ADaemonLeadingItsOwnSessionIsFollowed) {
  auto in = as_pid1({in_session(proc(7, kSelf, 20), 7)}, 6);
  EXPECT_EQ(elect_main_pid(in).pid, 7);
}

// nginx in daemon mode: the master leads its session; USR2's new master inherits it, and the
// old master (the main that exited, or an earlier one) names that session.
TEST(ElectStrangers, AnUpgradeInAMainsSessionIsFollowed) {
  EXPECT_EQ(elect_main_pid(as_pid1({in_session(proc(9, kSelf, 20), 6)}, 6)).pid, 9);
  auto in = as_pid1({in_session(proc(9, kSelf, 20), 4)}, 6);
  in.predecessors = {4};
  EXPECT_EQ(elect_main_pid(in).pid, 9);
}

TEST(ElectStrangers, AStrangerDoesNotMakeTheHeirAmbiguous) {
  auto in = as_pid1(
      {in_session(proc(7, kSelf, 20), kSelfSession), in_session(proc(13, kSelf, 10), 12)}, 6);
  EXPECT_EQ(elect_main_pid(in).pid, 7);
}

TEST(ElectStrangers, ADaemonThatHasNotExecdMustStillBeTiedToTheApp) {
  ProcInfo stranger = in_session(proc(13, kSelf, 20), 12);
  stranger.forked_no_exec = true;
  auto in = as_pid1({stranger}, 6);
  in.exec_wait_over = true;
  EXPECT_EQ(elect_main_pid(in).kind, Kind::kNone);
}

}  // namespace
}  // namespace sup::core
