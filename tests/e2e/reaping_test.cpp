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
  // No event tells us the supervisor has reaped them all: poll the count with a deadline.
  std::vector<pid_t> zombies;
  auto since = Clock::now();
  bool none = eventually([&] {
    zombies = zombies_of(run.pid());
    return zombies.empty();
  });
  std::cout << "[ measured ] zombies of the supervisor gone " << ms_between(since, Clock::now())
            << " ms after 'orphans done'\n";
  EXPECT_TRUE(none) << zombies.size() << " zombies remain, e.g. " << zombies.front();
  // The app itself is untouched and still the only child.
  EXPECT_EQ(children_of(run.pid()), std::vector<pid_t>{static_cast<pid_t>(started->num(2))});
  run.send(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 128 + SIGTERM) << run.log();
}

}  // namespace
}  // namespace e2e
