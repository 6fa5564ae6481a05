// SPEC 2/8: -q shows errors only, -qq nothing at all.
#include "harness.hpp"

namespace e2e {
namespace {

class Quiet : public E2ETest {};

TEST_F(Quiet, DefaultShowsInfoLines) {
  SupervisedRun run(supervise({}, {"exit", "0"}));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  run.drain();
  EXPECT_EQ(run.count(Stream::kErr, kStarted), 1) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, "exited with status 0"), 1) << run.log();
}

TEST_F(Quiet, QuietHidesInfoLines) {
  SupervisedRun run(supervise({"-q"}, {"exit", "0"}));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  run.drain();
  EXPECT_TRUE(run.lines(Stream::kErr).empty()) << run.log();
}

TEST_F(Quiet, QuietStillShowsErrors) {
  SupervisedRun run({"-q", "--", tmp_ / "absent"});
  EXPECT_EQ(run.wait_exit(), 127) << run.log();
  run.drain();
  ASSERT_EQ(run.lines(Stream::kErr).size(), 1u) << run.log();
  EXPECT_NE(run.lines(Stream::kErr)[0].text.find("absent"), std::string::npos) << run.log();
}

TEST_F(Quiet, DoubleQuietShowsNothingEvenErrors) {
  SupervisedRun run({"-qq", "--", tmp_ / "absent"});
  EXPECT_EQ(run.wait_exit(), 127) << run.log();
  run.drain();
  EXPECT_TRUE(run.lines(Stream::kErr).empty()) << run.log();
}

TEST_F(Quiet, RepeatedQuietIsDoubleQuiet) {
  SupervisedRun run({"-q", "-q", "--", tmp_ / "absent"});
  EXPECT_EQ(run.wait_exit(), 127) << run.log();
  run.drain();
  EXPECT_TRUE(run.lines(Stream::kErr).empty()) << run.log();
}

// The app's own output passes through untouched, whatever the verbosity.
TEST_F(Quiet, DoubleQuietKeepsTheAppsOutput) {
  SupervisedRun run(supervise({"-qq"}, {"args", "hello"}));
  EXPECT_TRUE(run.expect_out("^args=hello$"));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
}

}  // namespace
}  // namespace e2e
