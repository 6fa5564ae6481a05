// Restart decisions (SPEC 4): which exits restart, the backoff sequence, the healthy-run reset,
// --max-restarts with and without a window, spawn failures. Time is a plain integer.
#include "core/restart_policy.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

namespace sup::core {
namespace {

using Kind = RestartDecision::Kind;

// ---------------------------------------------------------------------------------------------
// backoff_delay

struct BackoffCase {
  Millis limit_ms;
  std::vector<Millis> expected;  // for consecutive = 1, 2, 3, …
};

class BackoffDelay : public ::testing::TestWithParam<BackoffCase> {};

TEST_P(BackoffDelay, Sequence) {
  const BackoffCase& tc = GetParam();
  for (std::size_t i = 0; i < tc.expected.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    EXPECT_EQ(backoff_delay(n, tc.limit_ms), tc.expected[i])
        << "consecutive " << n << ", limit " << tc.limit_ms;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, BackoffDelay,
    ::testing::Values(
        BackoffCase{80'000, {0, 1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 64'000, 80'000,
                             80'000, 80'000}},
        BackoffCase{2'000, {0, 1'000, 2'000, 2'000, 2'000}},
        BackoffCase{3'000, {0, 1'000, 2'000, 3'000, 3'000, 3'000}},
        BackoffCase{4'000, {0, 1'000, 2'000, 4'000, 4'000}},
        BackoffCase{1'000, {0, 1'000, 1'000, 1'000}},
        BackoffCase{500, {0, 500, 500, 500}},
        BackoffCase{0, {0, 0, 0, 0, 0, 0}}));

TEST(BackoffDelay, FirstRestartIsImmediateWhateverTheLimit) {
  for (Millis limit : {0LL, 1LL, 1'000LL, 80'000LL, 31'536'000'000LL}) {
    EXPECT_EQ(backoff_delay(1, limit), 0) << limit;
    EXPECT_EQ(backoff_delay(0, limit), 0) << limit;
  }
}

TEST(BackoffDelay, CappedAndMonotonicForManyRestarts) {
  // The largest limit the CLI accepts (a year); thousands of restarts must not overflow.
  for (Millis limit : {80'000LL, 31'536'000'000LL}) {
    Millis last = 0;
    for (int n = 1; n <= 5'000; ++n) {
      const Millis d = backoff_delay(n, limit);
      ASSERT_GE(d, last) << "n " << n;
      ASSERT_LE(d, limit) << "n " << n;
      last = d;
    }
    EXPECT_EQ(last, limit);
  }
}

// ---------------------------------------------------------------------------------------------
// wants_restart: policy × status.

RestartPolicy policy_named(const std::string& name) {
  RestartPolicy p;
  p.on_crash = name == "on-crash" || name == "on-failure" || name == "always";
  p.on_error = name == "on-error" || name == "on-failure" || name == "always";
  p.on_success = name == "always";
  p.success_codes = {0, 3};           // -s 3
  p.success_signals = {SIGHUP};       // -s HUP
  p.no_restart_codes = {78};          // --no-restart=78
  p.no_restart_signals = {SIGKILL};   // --no-restart=KILL
  return p;
}

struct StatusCase {
  const char* what;
  ExitStatus status;
};

const StatusCase kStatuses[] = {
    {"exit 0", ExitStatus::exited(0)},
    {"exit 1", ExitStatus::exited(1)},
    {"exit 3 (success code)", ExitStatus::exited(3)},
    {"killed by SEGV", ExitStatus::killed(SIGSEGV, true)},
    {"killed by HUP (success signal)", ExitStatus::killed(SIGHUP)},
    {"exit 78 (no-restart code)", ExitStatus::exited(78)},
    {"killed by KILL (no-restart signal)", ExitStatus::killed(SIGKILL)},
};

struct WantsCase {
  std::string policy;
  std::vector<bool> expected;  // parallel to kStatuses
};

class WantsRestart : public ::testing::TestWithParam<WantsCase> {};

TEST_P(WantsRestart, Table) {
  const WantsCase& tc = GetParam();
  const RestartPolicy p = policy_named(tc.policy);
  ASSERT_EQ(tc.expected.size(), std::size(kStatuses));
  for (std::size_t i = 0; i < tc.expected.size(); ++i) {
    EXPECT_EQ(wants_restart(p, kStatuses[i].status), tc.expected[i])
        << tc.policy << " / " << kStatuses[i].what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, WantsRestart,
    ::testing::Values(
        //                       exit0  exit1  exit3  SEGV   HUP    78     KILL
        WantsCase{"never",      {false, false, false, false, false, false, false}},
        WantsCase{"on-crash",   {false, false, false, true,  false, false, false}},
        WantsCase{"on-error",   {false, true,  false, false, false, false, false}},
        WantsCase{"on-failure", {false, true,  false, true,  false, false, false}},
        WantsCase{"always",     {true,  true,  true,  true,  true,  false, false}}),
    [](const ::testing::TestParamInfo<WantsCase>& param_info) {
      std::string name = param_info.param.policy;
      for (auto& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(WantsRestart, EveryCrashSignalRestartsOnCrash) {
  RestartPolicy p;
  p.on_crash = true;
  for (int sig : {SIGSEGV, SIGABRT, SIGKILL, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGHUP}) {
    EXPECT_TRUE(wants_restart(p, ExitStatus::killed(sig))) << sig;
    EXPECT_TRUE(wants_restart(p, ExitStatus::killed(sig, true))) << sig;
  }
  // A signal number is not mistaken for an exit code: SIGSEGV is 11, exit 11 is an error.
  EXPECT_FALSE(wants_restart(p, ExitStatus::exited(SIGSEGV)));
}

TEST(WantsRestart, EveryNonZeroCodeRestartsOnError) {
  RestartPolicy p;
  p.on_error = true;
  EXPECT_FALSE(wants_restart(p, ExitStatus::exited(0)));
  for (int code = 1; code <= 255; ++code) {
    EXPECT_TRUE(wants_restart(p, ExitStatus::exited(code))) << code;
  }
  // The default success set holds exit codes only, not "signal 0"-like confusions.
  EXPECT_FALSE(wants_restart(p, ExitStatus::killed(SIGSEGV)));
}

TEST(WantsRestart, SuccessCodeIsNotAnErrorAndSignalNumberIsNotACode) {
  RestartPolicy p;
  p.on_error = p.on_crash = true;
  p.success_codes = {0, 15};
  EXPECT_FALSE(wants_restart(p, ExitStatus::exited(15)));
  // Death by signal 15 is not exit code 15.
  EXPECT_TRUE(wants_restart(p, ExitStatus::killed(15)));
  p.success_signals = {15};
  EXPECT_FALSE(wants_restart(p, ExitStatus::killed(15)));
  // …and a success signal is not a success code.
  p.success_codes = {0};
  EXPECT_TRUE(wants_restart(p, ExitStatus::exited(15)));
}

TEST(WantsRestart, NoRestartBeatsAlways) {
  RestartPolicy p;
  p.on_crash = p.on_error = p.on_success = true;
  p.no_restart_codes = {0, 2};
  p.no_restart_signals = {SIGTERM};
  EXPECT_FALSE(wants_restart(p, ExitStatus::exited(0)));
  EXPECT_FALSE(wants_restart(p, ExitStatus::exited(2)));
  EXPECT_FALSE(wants_restart(p, ExitStatus::killed(SIGTERM)));
  EXPECT_TRUE(wants_restart(p, ExitStatus::exited(1)));
  EXPECT_TRUE(wants_restart(p, ExitStatus::killed(SIGSEGV)));
  // A no-restart code does not block the signal with the same number, and vice versa.
  EXPECT_TRUE(wants_restart(p, ExitStatus::killed(2)));
  EXPECT_TRUE(wants_restart(p, ExitStatus::exited(SIGTERM)));
}

// ---------------------------------------------------------------------------------------------
// decide_restart, driven by a fake clock.

// Runs the app again and again: each run ends `ran_ms` after it started; a restart waits the
// decided delay before the next run starts.
struct Sim {
  RestartPolicy policy;
  RestartHistory history;
  int total = 0;
  Millis now = 1'000'000;  // an arbitrary monotonic origin
  Millis started = 1'000'000;

  RestartDecision end_run(Millis ran_ms, ExitStatus status, bool spawn_failed = false,
                          bool stop_requested = false) {
    now = started + ran_ms;
    RunOutcome run;
    run.status = status;
    run.started_ms = started;
    run.ended_ms = now;
    run.stop_requested = stop_requested;
    run.spawn_failed = spawn_failed;
    RestartDecision d = decide_restart(policy, history, run, total, now);
    if (d.kind == Kind::kRestart) {
      history = d.history;
      total = d.restart_number;
      now += d.delay_ms;
      record_restart(policy, history, now);
      started = now;
    }
    return d;
  }
  RestartDecision crash(Millis ran_ms = 100) {
    return end_run(ran_ms, ExitStatus::killed(SIGSEGV, true));
  }
};

RestartPolicy on_failure() {
  RestartPolicy p;
  p.on_crash = p.on_error = true;
  return p;  // delay limit 80 s, healthy after 10 s
}

TEST(DecideRestart, StopRequestedNeverRestarts) {
  for (const std::string name : {"never", "on-crash", "on-error", "on-failure", "always"}) {
    for (const auto& s : kStatuses) {
      Sim sim;
      sim.policy = policy_named(name);
      const auto d = sim.end_run(100, s.status, false, /*stop_requested=*/true);
      EXPECT_EQ(d.kind, Kind::kFinish) << name << " / " << s.what;
      EXPECT_FALSE(d.reason.empty());
    }
    Sim sim;
    sim.policy = policy_named(name);
    EXPECT_EQ(sim.end_run(100, ExitStatus::exited(127), true, true).kind, Kind::kFinish) << name;
  }
}

TEST(DecideRestart, FinishesWhenThePolicyDoesNotWantARestart) {
  Sim sim;
  sim.policy = policy_named("on-crash");
  const auto d = sim.end_run(100, ExitStatus::exited(1));
  EXPECT_EQ(d.kind, Kind::kFinish);
  EXPECT_FALSE(d.reason.empty());

  Sim never;
  never.policy = policy_named("never");
  EXPECT_EQ(never.crash().kind, Kind::kFinish);
}

TEST(DecideRestart, DecisionFollowsWantsRestartForEveryPolicyAndStatus) {
  for (const std::string name : {"never", "on-crash", "on-error", "on-failure", "always"}) {
    for (const auto& s : kStatuses) {
      Sim sim;
      sim.policy = policy_named(name);
      const bool wanted = wants_restart(sim.policy, s.status);
      const auto d = sim.end_run(100, s.status);
      EXPECT_EQ(d.kind, wanted ? Kind::kRestart : Kind::kFinish) << name << " / " << s.what;
    }
  }
}

TEST(DecideRestart, QuickCrashesBackOffExponentially) {
  Sim sim;
  sim.policy = on_failure();
  const Millis expected[] = {0, 1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 64'000, 80'000,
                             80'000};
  int n = 0;
  for (Millis want : expected) {
    ++n;
    const auto d = sim.crash();
    ASSERT_EQ(d.kind, Kind::kRestart) << "crash " << n;
    EXPECT_EQ(d.delay_ms, want) << "crash " << n;
    EXPECT_EQ(d.restart_number, n);
    EXPECT_EQ(d.history.consecutive, n);
  }
}

TEST(DecideRestart, ErrorsBackOffLikeCrashes) {
  Sim sim;
  sim.policy = on_failure();
  EXPECT_EQ(sim.end_run(50, ExitStatus::exited(1)).delay_ms, 0);
  EXPECT_EQ(sim.end_run(50, ExitStatus::exited(2)).delay_ms, 1'000);
  EXPECT_EQ(sim.crash(50).delay_ms, 2'000);
  EXPECT_EQ(sim.end_run(50, ExitStatus::exited(1)).delay_ms, 4'000);
}

TEST(DecideRestart, DelayLimitCapsTheSequence) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.delay_limit_ms = 2'000;  // -l 2
  std::vector<Millis> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(sim.crash().delay_ms);
  EXPECT_EQ(delays, (std::vector<Millis>{0, 1'000, 2'000, 2'000, 2'000, 2'000}));

  Sim zero;
  zero.policy = on_failure();
  zero.policy.delay_limit_ms = 0;  // -l 0
  for (int i = 0; i < 6; ++i) EXPECT_EQ(zero.crash().delay_ms, 0);
}

TEST(DecideRestart, HealthyRunResetsTheSequence) {
  Sim sim;
  sim.policy = on_failure();
  EXPECT_EQ(sim.crash().delay_ms, 0);
  EXPECT_EQ(sim.crash().delay_ms, 1'000);
  EXPECT_EQ(sim.crash().delay_ms, 2'000);
  EXPECT_EQ(sim.crash().delay_ms, 4'000);
  // A run of exactly --healthy-after counts as healthy: the next restart is immediate…
  auto d = sim.crash(10'000);
  EXPECT_EQ(d.kind, Kind::kRestart);
  EXPECT_EQ(d.delay_ms, 0);
  EXPECT_EQ(d.history.consecutive, 1);
  EXPECT_EQ(d.restart_number, 5);  // the total keeps counting
  // …and the sequence starts over.
  EXPECT_EQ(sim.crash().delay_ms, 1'000);
  EXPECT_EQ(sim.crash().delay_ms, 2'000);
  // A long, healthy run of hours resets too.
  EXPECT_EQ(sim.crash(5 * 3'600'000).delay_ms, 0);
}

TEST(DecideRestart, RunJustShortOfHealthyDoesNotReset) {
  Sim sim;
  sim.policy = on_failure();
  EXPECT_EQ(sim.crash().delay_ms, 0);
  EXPECT_EQ(sim.crash().delay_ms, 1'000);
  EXPECT_EQ(sim.crash(9'999).delay_ms, 2'000);
  EXPECT_EQ(sim.crash(9'999).delay_ms, 4'000);
}

TEST(DecideRestart, HealthyAfterIsConfigurable) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.healthy_after_ms = 60'000;  // --healthy-after=60
  EXPECT_EQ(sim.crash().delay_ms, 0);
  EXPECT_EQ(sim.crash(30'000).delay_ms, 1'000);  // 30 s is not healthy now
  EXPECT_EQ(sim.crash(60'000).delay_ms, 0);
}

TEST(DecideRestart, HealthyRunAlsoResetsUnderAlways) {
  Sim sim;
  sim.policy = policy_named("always");
  EXPECT_EQ(sim.end_run(10, ExitStatus::exited(0)).delay_ms, 0);
  EXPECT_EQ(sim.end_run(10, ExitStatus::exited(0)).delay_ms, 1'000);
  EXPECT_EQ(sim.end_run(20'000, ExitStatus::exited(0)).delay_ms, 0);
}

TEST(DecideRestart, RestartNumberIncrementsFromTheGivenTotal) {
  const RestartPolicy p = on_failure();
  RunOutcome run;
  run.status = ExitStatus::killed(SIGSEGV);
  run.started_ms = 0;
  run.ended_ms = 100;
  for (int total : {0, 1, 7, 41, 1000}) {
    const auto d = decide_restart(p, RestartHistory{}, run, total, 100);
    ASSERT_EQ(d.kind, Kind::kRestart);
    EXPECT_EQ(d.restart_number, total + 1);
  }
}

TEST(DecideRestart, HistoryIsTakenFromTheCaller) {
  // decide_restart is pure: a history of 3 consecutive restarts yields the 4th delay.
  const RestartPolicy p = on_failure();
  RestartHistory h;
  h.consecutive = 3;
  RunOutcome run;
  run.status = ExitStatus::exited(1);
  run.started_ms = 500;
  run.ended_ms = 600;
  const auto d = decide_restart(p, h, run, 3, 600);
  EXPECT_EQ(d.kind, Kind::kRestart);
  EXPECT_EQ(d.delay_ms, 4'000);
  EXPECT_EQ(d.history.consecutive, 4);
  // The input is not modified and the same input gives the same answer.
  EXPECT_EQ(h.consecutive, 3);
  const auto again = decide_restart(p, h, run, 3, 600);
  EXPECT_EQ(again.delay_ms, d.delay_ms);
}

TEST(DecideRestart, MaxRestartsWithoutWindowGivesUpAfterN) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 3;  // --max-restarts=3
  for (int i = 1; i <= 3; ++i) {
    const auto d = sim.crash();
    ASSERT_EQ(d.kind, Kind::kRestart) << i;
    EXPECT_EQ(d.restart_number, i);
  }
  const auto d = sim.crash();
  EXPECT_EQ(d.kind, Kind::kGiveUp);
  EXPECT_FALSE(d.reason.empty());
  EXPECT_NE(d.reason.find('3'), std::string::npos) << d.reason;
}

TEST(DecideRestart, MaxRestartsWithoutWindowCountsEvenHealthyRunsAndLongGaps) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 2;
  EXPECT_EQ(sim.crash(24 * 3'600'000).kind, Kind::kRestart);
  EXPECT_EQ(sim.crash(24 * 3'600'000).kind, Kind::kRestart);
  EXPECT_EQ(sim.crash(24 * 3'600'000).kind, Kind::kGiveUp);
}

TEST(DecideRestart, MaxRestartsZeroNeverRestarts) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 0;
  EXPECT_EQ(sim.crash().kind, Kind::kGiveUp);
}

TEST(DecideRestart, MaxRestartsDoesNotTurnAWantedFinishIntoGiveUp) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 0;
  EXPECT_EQ(sim.end_run(100, ExitStatus::exited(0)).kind, Kind::kFinish);
  EXPECT_EQ(sim.end_run(100, ExitStatus::killed(SIGSEGV), false, true).kind, Kind::kFinish);
}

TEST(DecideRestart, MaxRestartsWindowGivesUpWithinTheWindow) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 3;
  sim.policy.max_restarts_window_ms = 60'000;  // --max-restarts=3/60
  EXPECT_EQ(sim.crash().kind, Kind::kRestart);
  EXPECT_EQ(sim.crash().kind, Kind::kRestart);
  EXPECT_EQ(sim.crash().kind, Kind::kRestart);
  const auto d = sim.crash();
  EXPECT_EQ(d.kind, Kind::kGiveUp);
  EXPECT_FALSE(d.reason.empty());
}

TEST(DecideRestart, MaxRestartsWindowOldRestartsAgeOut) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 2;
  sim.policy.max_restarts_window_ms = 60'000;  // --max-restarts=2/60
  const Millis t0 = sim.now;
  ASSERT_EQ(sim.crash(100).kind, Kind::kRestart);    // restart at t0+100 (delay 0)
  ASSERT_EQ(sim.crash(100).kind, Kind::kRestart);    // restart at t0+1200 (delay 1 s)
  ASSERT_EQ(sim.started, t0 + 1'200);
  // The third crash comes just over 60 s after the first restart: that one has aged out, the
  // second (59 s ago) not.
  const Millis ran = t0 + 100 + 60'001 - sim.started;
  const auto d = sim.crash(ran);
  ASSERT_EQ(d.kind, Kind::kRestart);
  // Crashing again at once: two restarts (t0+1200 and just now) are within 60 s.
  EXPECT_EQ(sim.crash(10).kind, Kind::kGiveUp);
}

TEST(DecideRestart, MaxRestartsWindowCountsARestartWhenItHappensNotWhenDecided) {
  // --max-restarts=1/3 with a 1 s backoff: the restart takes place 1 s after the crash, and a
  // crash 2.5 s after that restart is within 3 s of it.
  Sim sim;
  sim.policy = on_failure();
  sim.policy.healthy_after_ms = 3'600'000;
  sim.policy.max_restarts = 1;
  sim.policy.max_restarts_window_ms = 3'000;
  ASSERT_EQ(sim.crash(100).kind, Kind::kRestart);  // delay 0
  const auto second = sim.crash(3'000);             // the first restart has aged out
  ASSERT_EQ(second.kind, Kind::kRestart);
  ASSERT_EQ(second.delay_ms, 1'000);
  EXPECT_EQ(sim.crash(2'500).kind, Kind::kGiveUp);
}

TEST(DecideRestart, MaxRestartsWindowNeverGivesUpOnRareCrashes) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 1;
  sim.policy.max_restarts_window_ms = 60'000;  // --max-restarts=1/60
  for (int i = 1; i <= 200; ++i) {
    const auto d = sim.crash(61'000);
    ASSERT_EQ(d.kind, Kind::kRestart) << "crash " << i;
    EXPECT_EQ(d.delay_ms, 0);  // 61 s is a healthy run too
    EXPECT_LE(d.history.restarts_at.size(), 1u);  // the history stays bounded
  }
  // But two within the window is one too many.
  EXPECT_EQ(sim.crash(10).kind, Kind::kGiveUp);
}

TEST(DecideRestart, MaxRestartsWindowHistoryStaysBounded) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.delay_limit_ms = 0;
  sim.policy.max_restarts = 5;
  sim.policy.max_restarts_window_ms = 1'000;
  for (int i = 0; i < 1'000; ++i) {
    const auto d = sim.crash(2'000);
    ASSERT_EQ(d.kind, Kind::kRestart);
    ASSERT_LE(d.history.restarts_at.size(), 5u);
  }
}

TEST(DecideRestart, SpawnFailureIsRetriedWithBackoffUnderAnyRestartPolicy) {
  for (const std::string name : {"on-crash", "on-error", "on-failure", "always"}) {
    Sim sim;
    sim.policy = policy_named(name);
    std::vector<Millis> delays;
    for (int i = 0; i < 5; ++i) {
      const auto d = sim.end_run(1, ExitStatus::exited(127), /*spawn_failed=*/true);
      ASSERT_EQ(d.kind, Kind::kRestart) << name << " attempt " << i;
      delays.push_back(d.delay_ms);
    }
    EXPECT_EQ(delays, (std::vector<Millis>{0, 1'000, 2'000, 4'000, 8'000})) << name;
  }
}

TEST(DecideRestart, SpawnFailureWithStatus126IsRetriedEvenUnderOnCrash) {
  // on-crash would not restart exit 126 of the app, but a failed exec is a failed run.
  Sim sim;
  sim.policy = policy_named("on-crash");
  EXPECT_EQ(sim.end_run(1, ExitStatus::exited(126), true).kind, Kind::kRestart);
  EXPECT_EQ(sim.end_run(1, ExitStatus::exited(126), false).kind, Kind::kFinish);
}

TEST(DecideRestart, SpawnFailureIsNotRetriedUnderNever) {
  Sim sim;
  sim.policy = policy_named("never");
  const auto d = sim.end_run(1, ExitStatus::exited(127), true);
  EXPECT_EQ(d.kind, Kind::kFinish);
}

TEST(DecideRestart, SpawnFailureIsNeverAHealthyRun) {
  // Even if the clock says a long time passed (a slow failing exec), the backoff continues.
  Sim sim;
  sim.policy = on_failure();
  EXPECT_EQ(sim.crash().delay_ms, 0);
  EXPECT_EQ(sim.end_run(20'000, ExitStatus::exited(127), true).delay_ms, 1'000);
  EXPECT_EQ(sim.end_run(20'000, ExitStatus::exited(127), true).delay_ms, 2'000);
  // Once the exec works again and the app runs healthily, the sequence resets.
  EXPECT_EQ(sim.crash(20'000).delay_ms, 0);
}

TEST(DecideRestart, SpawnFailureCountsAgainstMaxRestarts) {
  Sim sim;
  sim.policy = on_failure();
  sim.policy.max_restarts = 2;
  EXPECT_EQ(sim.end_run(1, ExitStatus::exited(127), true).kind, Kind::kRestart);
  EXPECT_EQ(sim.end_run(1, ExitStatus::exited(127), true).kind, Kind::kRestart);
  EXPECT_EQ(sim.end_run(1, ExitStatus::exited(127), true).kind, Kind::kGiveUp);
}

}  // namespace
}  // namespace sup::core
