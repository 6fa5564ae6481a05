// SPEC 10, the issue's "Done when": under a continuous client loop against 127.0.0.1, hot
// restarts refuse no connection, and a new version that exits before READY=1 or never sends it
// is rolled back while the old one serves on.
#include <signal.h>

#include <cstring>
#include <iostream>

#include "echo_client.hpp"
#include "harness.hpp"

namespace e2e {
namespace {

class ZeroDowntime : public E2ETest {
 protected:
  void SetUp() override {
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) unsetenv(name);
  }
};

// `count` connections through the echo server on port; calls between(i) before connection i.
// Returns how many failed, with the first few reasons in *failures.
template <class Between>
int client_loop(int port, int count, std::string* failures, Between between) {
  int failed = 0;
  std::string reply;
  for (int i = 1; i <= count; ++i) {
    between(i);
    const std::string text = "hello " + std::to_string(i);
    if (const int error = echo_once({port, ""}, text, &reply); error != 0) {
      if (++failed <= 10) *failures += "  connection " + std::to_string(i) + ": " + strerror(error) + "\n";
    }
  }
  return failed;
}

TEST_F(ZeroDowntime, NoConnectionFailsAcross10HotRestarts) {
  constexpr int kConnections = 500, kHotRestarts = 10;
  int port = 0;
  auto run = echo_on_free_port({"--hot-restart=HUP", "--ready=notify"}, "", {}, &port);
  ASSERT_TRUE(run);
  // One hot restart at a time (a second request during one is ignored): the next is asked for
  // once the last took over, while the connections go on; at least 500 connections, and as
  // many more as the 10 hot restarts take.
  const std::string took_over = R"(hot restart: pid \d+ takes over; stopping pid \d+)";
  int asked = 0, connections = 0, failed = 0;
  std::string failures, reply;
  const auto until = Clock::now() + 60s;
  while ((connections < kConnections || run->count(Stream::kErr, took_over) < kHotRestarts) &&
         Clock::now() < until) {
    if (asked < kHotRestarts && run->count(Stream::kErr, took_over) == asked &&
        connections >= asked * (kConnections / kHotRestarts)) {
      run->send(SIGHUP);
      ++asked;
    }
    const std::string text = "hello " + std::to_string(++connections);
    if (const int error = echo_once({port, ""}, text, &reply); error != 0) {
      if (++failed <= 10) {
        failures += "  connection " + std::to_string(connections) + ": " + strerror(error) + "\n";
      }
    }
  }
  EXPECT_EQ(failed, 0) << failures << run->log();
  EXPECT_EQ(run->count(Stream::kErr, took_over), kHotRestarts) << run->log();
  EXPECT_EQ(run->count(Stream::kErr, "hot restart failed"), 0) << run->log();
  EXPECT_EQ(run->count(Stream::kErr, "restarting in"), 0) << "no crash restart\n" << run->log();
  std::cout << "[ measured ] " << connections << " connections across " << kHotRestarts
            << " hot restarts, " << failed << " failed\n";
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

// The old version serves on while a bad new one is tried: one that exits before READY=1, one
// that never sends it (--start-timeout).
TEST_F(ZeroDowntime, BadNewVersionsAreRolledBackWhileTheOldOneServes) {
  const std::string marker = tmp_ / "version";
  // Run 1 is the good server; run 2 exits 3 before READY=1; run 3 never becomes ready.
  const std::string script =
      "n=$(cat \"$0\" 2>/dev/null || echo 0); echo $((n + 1)) > \"$0\"; "
      "case $n in 0) exec \"$1\" echo-server ;; 1) exit 3 ;; *) exec \"$1\" print-signals ;; esac";
  int port = 0;
  std::unique_ptr<SupervisedRun> run;
  for (int attempt = 0; attempt < 5 && !run; ++attempt) {
    port = free_port();
    run = std::make_unique<SupervisedRun>(std::vector<std::string>{
        "--hot-restart=HUP", "--ready=notify", "--start-timeout=1",
        "--listen=127.0.0.1:" + std::to_string(port), "--", "/bin/sh", "-c", script, marker,
        kTestapp});
    if (!run->find_line(Stream::kOut, "^listening pid=", kDeadline)) run.reset();
  }
  ASSERT_TRUE(run);
  std::string failures;
  int failed = client_loop(port, 100, &failures, [&](int i) {
    if (i == 20) run->send(SIGHUP);
  });
  ASSERT_TRUE(run->expect_err(R"(hot restart failed: pid \d+ exited with status 3; keeping pid )"));
  failed += client_loop(port, 100, &failures, [&](int i) {
    if (i == 1) run->send(SIGHUP);
  });
  ASSERT_TRUE(run->expect_err("hot restart failed: not ready after 1 s; keeping pid", 5000ms));
  failed += client_loop(port, 50, &failures, [](int) {});
  EXPECT_EQ(failed, 0) << failures << run->log();
  run->send(SIGTERM);
  EXPECT_EQ(run->wait_exit(), 0) << run->log();
}

}  // namespace
}  // namespace e2e
