// What a signal to the supervisor does (SPEC 6): forward (maybe rewritten), stop, or nothing.
#include "core/signal_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "core/signal_names.hpp"

namespace sup::core {
namespace {

// SPEC 6's forward list, verbatim.
const int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,  SIGUSR1,   SIGUSR2,
                          SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU,  SIGWINCH,  SIGALRM,
                          SIGPWR,  SIGVTALRM, SIGPROF, SIGURG, SIGIO};

// Never forwarded: CHLD, KILL, STOP and the synchronous faults.
const int kNever[] = {SIGCHLD, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE,
                      SIGILL,  SIGTRAP, SIGSYS,  SIGABRT};

Config with_map(std::initializer_list<std::pair<const int, int>> map) {
  Config cfg;
  cfg.signal_map = map;
  return cfg;
}

TEST(SignalPlan, EverySpecSignalIsForwardedAsItself) {
  const Config cfg;
  for (int sig : kForwarded) {
    const SignalPlan plan = plan_signal(cfg, sig);
    EXPECT_EQ(plan.forward, sig) << signal_name(sig);
  }
}

TEST(SignalPlan, ForwardedListMatchesSpec) {
  const auto& list = forwarded_signals();
  const std::set<int> got(list.begin(), list.end());
  const std::set<int> want(std::begin(kForwarded), std::end(kForwarded));
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.size(), list.size()) << "duplicates in forwarded_signals()";
}

TEST(SignalPlan, NeverForwarded) {
  Config cfg;
  for (int sig : kNever) {
    const SignalPlan plan = plan_signal(cfg, sig);
    EXPECT_EQ(plan.forward, 0) << signal_name(sig);
    EXPECT_FALSE(plan.stop) << signal_name(sig);
    const auto& list = forwarded_signals();
    EXPECT_EQ(std::find(list.begin(), list.end(), sig), list.end()) << signal_name(sig);
  }
}

TEST(SignalPlan, NeverForwardedEvenWhenMapped) {
  // --map-signal cannot smuggle a fault or CHLD through.
  Config cfg;
  for (int sig : kNever) cfg.signal_map[sig] = SIGHUP;
  for (int sig : kNever) {
    const SignalPlan plan = plan_signal(cfg, sig);
    EXPECT_EQ(plan.forward, 0) << signal_name(sig);
    EXPECT_FALSE(plan.stop) << signal_name(sig);
  }
}

// Those whose default action would end the supervisor: absorbed, never forwarded, never a
// stop, even when mapped; the faults and the forwarded ones are not among them.
TEST(SignalPlan, OtherFatalSignalsAreAbsorbed) {
  std::vector<int> want = {SIGSTKFLT, SIGXCPU, SIGXFSZ};
  for (int sig = 32; sig <= 64; ++sig) want.push_back(sig);
  const auto& got = absorbed_signals();
  EXPECT_EQ(std::set<int>(got.begin(), got.end()), std::set<int>(want.begin(), want.end()));
  Config cfg;
  for (int sig : want) cfg.signal_map[sig] = SIGHUP;
  for (int sig : want) {
    const SignalPlan plan = plan_signal(cfg, sig);
    EXPECT_TRUE(plan.absorbed) << sig;
    EXPECT_EQ(plan.forward, 0) << sig;
    EXPECT_FALSE(plan.stop) << sig;
  }
  for (int sig : kNever) EXPECT_FALSE(plan_signal(cfg, sig).absorbed) << signal_name(sig);
  for (int sig : kForwarded) EXPECT_FALSE(plan_signal(cfg, sig).absorbed) << signal_name(sig);
}

TEST(SignalPlan, TermAndIntRequestAStop) {
  const Config cfg;
  EXPECT_TRUE(plan_signal(cfg, SIGTERM).stop);
  EXPECT_TRUE(plan_signal(cfg, SIGINT).stop);
  EXPECT_EQ(plan_signal(cfg, SIGINT).forward, SIGINT);
  EXPECT_EQ(plan_signal(cfg, SIGTERM).forward, SIGTERM);
}

TEST(SignalPlan, OnlyTermAndIntStop) {
  const Config cfg;
  for (int sig : kForwarded) {
    if (sig == SIGTERM || sig == SIGINT) continue;
    EXPECT_FALSE(plan_signal(cfg, sig).stop) << signal_name(sig);
  }
}

TEST(SignalPlan, QuitIsForwardedButDoesNotStop) {
  // nginx and x0d retire an old master with QUIT during an upgrade; the new one must survive.
  const SignalPlan plan = plan_signal(Config{}, SIGQUIT);
  EXPECT_EQ(plan.forward, SIGQUIT);
  EXPECT_FALSE(plan.stop);
}

TEST(SignalPlan, TermIsSentAsStopSignal) {
  Config cfg;
  cfg.stop_signal = SIGQUIT;  // --stop-signal=QUIT: graceful nginx shutdown
  SignalPlan plan = plan_signal(cfg, SIGTERM);
  EXPECT_EQ(plan.forward, SIGQUIT);
  EXPECT_TRUE(plan.stop);

  cfg.stop_signal = SIGRTMIN + 3;
  plan = plan_signal(cfg, SIGTERM);
  EXPECT_EQ(plan.forward, SIGRTMIN + 3);
  EXPECT_TRUE(plan.stop);

  // Other signals are not affected by --stop-signal.
  EXPECT_EQ(plan_signal(cfg, SIGHUP).forward, SIGHUP);
  EXPECT_EQ(plan_signal(cfg, SIGQUIT).forward, SIGQUIT);
  EXPECT_FALSE(plan_signal(cfg, SIGQUIT).stop);
}

TEST(SignalPlan, MapSignalRewrites) {
  const Config cfg = with_map({{SIGHUP, SIGUSR2}, {SIGWINCH, SIGQUIT}});
  SignalPlan plan = plan_signal(cfg, SIGHUP);
  EXPECT_EQ(plan.forward, SIGUSR2);
  EXPECT_FALSE(plan.stop);
  plan = plan_signal(cfg, SIGWINCH);
  EXPECT_EQ(plan.forward, SIGQUIT);
  EXPECT_FALSE(plan.stop);
  // Unmapped signals are untouched.
  EXPECT_EQ(plan_signal(cfg, SIGUSR1).forward, SIGUSR1);
}

TEST(SignalPlan, MappedTermStillStops) {
  Config cfg = with_map({{SIGTERM, SIGQUIT}});
  cfg.stop_signal = SIGINT;  // the explicit map wins over --stop-signal
  const SignalPlan plan = plan_signal(cfg, SIGTERM);
  EXPECT_EQ(plan.forward, SIGQUIT);
  EXPECT_TRUE(plan.stop);
}

TEST(SignalPlan, MappedIntStillStops) {
  const Config cfg = with_map({{SIGINT, SIGTERM}});
  const SignalPlan plan = plan_signal(cfg, SIGINT);
  EXPECT_EQ(plan.forward, SIGTERM);
  EXPECT_TRUE(plan.stop);
}

TEST(SignalPlan, MappingToTermDoesNotMakeAStop) {
  // The stop is requested by the signal received, not by the one sent.
  const Config cfg = with_map({{SIGUSR1, SIGTERM}});
  const SignalPlan plan = plan_signal(cfg, SIGUSR1);
  EXPECT_EQ(plan.forward, SIGTERM);
  EXPECT_FALSE(plan.stop);
}

TEST(SignalPlan, MapToZeroDrops) {
  for (int sig : kForwarded) {
    const Config cfg = with_map({{sig, 0}});
    const SignalPlan plan = plan_signal(cfg, sig);
    EXPECT_EQ(plan.forward, 0) << signal_name(sig);
    EXPECT_FALSE(plan.stop) << signal_name(sig);
  }
}

TEST(SignalPlan, DroppingOneLeavesOthers) {
  const Config cfg = with_map({{SIGWINCH, 0}, {SIGTERM, 0}});
  EXPECT_EQ(plan_signal(cfg, SIGWINCH).forward, 0);
  EXPECT_FALSE(plan_signal(cfg, SIGTERM).stop);
  EXPECT_EQ(plan_signal(cfg, SIGHUP).forward, SIGHUP);
  EXPECT_TRUE(plan_signal(cfg, SIGINT).stop);
}

TEST(SignalPlan, ViaParseCli) {
  // The options as a user writes them end up in the plan.
  const std::string_view args[] = {"--stop-signal=QUIT", "--map-signal=HUP:USR1",
                                   "--map-signal=WINCH:0", "--", "/usr/sbin/nginx"};
  auto cfg = parse_cli(args);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(plan_signal(*cfg, SIGTERM).forward, SIGQUIT);
  EXPECT_TRUE(plan_signal(*cfg, SIGTERM).stop);
  EXPECT_EQ(plan_signal(*cfg, SIGHUP).forward, SIGUSR1);
  EXPECT_EQ(plan_signal(*cfg, SIGWINCH).forward, 0);
  EXPECT_EQ(plan_signal(*cfg, SIGUSR2).forward, SIGUSR2);
}

TEST(SignalPlan, HotRestartSignalIsHandledNeverForwarded) {
  const std::string_view args[] = {"--hot-restart=USR2", "--map-signal=USR2:HUP", "--", "/app"};
  auto cfg = parse_cli(args);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const SignalPlan plan = plan_signal(*cfg, SIGUSR2);
  EXPECT_TRUE(plan.hot_restart);
  EXPECT_EQ(plan.forward, 0);
  EXPECT_FALSE(plan.stop);
  EXPECT_FALSE(plan_signal(*cfg, SIGHUP).hot_restart);
}

TEST(SignalPlan, HotRestartSignalMustBeForwardedAndNoStop) {
  for (const char* bad : {"--hot-restart=TERM", "--hot-restart=INT", "--hot-restart=KILL",
                          "--hot-restart=CHLD", "--hot-restart=SEGV", "--hot-restart=nope"}) {
    const std::string_view args[] = {bad, "--", "/app"};
    auto cfg = parse_cli(args);
    ASSERT_FALSE(cfg.has_value()) << bad;
    EXPECT_NE(cfg.error().message.find("--hot-restart"), std::string::npos) << cfg.error().message;
  }
}

}  // namespace
}  // namespace sup::core
