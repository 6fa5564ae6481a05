// A main process killed by a signal crashed: its children are orphans, not heirs.
#include <gtest/gtest.h>

#include "core/main_pid.hpp"

namespace sup::core {
namespace {

ElectionInput nginx_after_master_died(bool crashed) {
  ElectionInput in;
  in.self = 100;
  in.exe = "/usr/sbin/nginx";
  // A worker of the dead master, reparented to the supervisor, and one of its own children.
  in.app = {{201, 100, 50, "/usr/sbin/nginx", 'S'}, {202, 201, 51, "/usr/sbin/nginx", 'S'}};
  in.main_failed = crashed;
  return in;
}

TEST(ElectAfterCrash, ChildrenOfACrashedMainAreNotElected) {
  EXPECT_EQ(elect_main_pid(nginx_after_master_died(true)).kind, Election::Kind::kNone);
}

TEST(ElectAfterCrash, TheSameChildrenAfterAVoluntaryExitAreHeirs) {
  const Election e = elect_main_pid(nginx_after_master_died(false));
  EXPECT_EQ(e.kind, Election::Kind::kElected);
  EXPECT_EQ(e.pid, 201);
}

TEST(ElectAfterCrash, AHintStillNamesASuccessor) {
  ElectionInput in = nginx_after_master_died(true);
  in.pidfile_pid = 202;
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Election::Kind::kElected);
  EXPECT_EQ(e.pid, 202);
  EXPECT_EQ(e.source, "pidfile");
}

TEST(ElectAfterCrash, ALivePredecessorStillTakesOver) {
  ElectionInput in = nginx_after_master_died(true);
  in.predecessors = {201};
  const Election e = elect_main_pid(in);
  EXPECT_EQ(e.kind, Election::Kind::kElected);
  EXPECT_EQ(e.pid, 201);
  EXPECT_EQ(e.source, "predecessor");
}

}  // namespace
}  // namespace sup::core
