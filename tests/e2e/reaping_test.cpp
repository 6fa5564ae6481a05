// SPEC 5/6: the supervisor is a child subreaper and reaps every zombie that reaches it
// (SIGCHLD coalesces, so it must loop until none is left).
#include <signal.h>

#include "harness.hpp"

namespace e2e {
namespace {

class Reaping : public E2ETest {};

// The "Done when" scenario: after 200 orphans exit, none stays a zombie.
TEST_F(Reaping, TwoHundredOrphansLeaveNoZombie) {
  SupervisedRun run(supervise({}, {"spawn-orphans", "200"}));
  auto started = run.expect_err(kStarted);
  ASSERT_TRUE(started);
  ASSERT_TRUE(run.expect_out("^orphans done$", 20000ms));
  // No event tells us the supervisor has reaped them all: poll with a deadline until the app
  // is its only child again. ("orphans done" comes when the last orphan closed its fds, a
  // moment before it is a zombie, so a zombie count of 0 alone could come too early.)
  const std::vector<pid_t> only_app = {static_cast<pid_t>(started->num(2))};
  std::vector<pid_t> kids;
  auto since = Clock::now();
  bool reaped = eventually([&] {
    kids = children_of(run.pid());
    return kids == only_app;
  });
  std::cout << "[ measured ] orphans reaped " << ms_between(since, Clock::now())
            << " ms after 'orphans done'\n";
  EXPECT_TRUE(reaped) << kids.size() - 1 << " other children remain, of which "
                      << zombies_of(run.pid()).size() << " zombies";
  EXPECT_TRUE(zombies_of(run.pid()).empty());
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 128 + SIGTERM) << run.log();
}

}  // namespace
}  // namespace e2e
