// A lifecycle machine stepped by hand with a fake clock: the test plays the shell.
#pragma once

#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "core/lifecycle.hpp"

namespace sup::core::sim {

inline constexpr Millis kT0 = 1'000'000;  // an arbitrary monotonic origin

// One supervisor's machine, stepped by hand: the test plays the shell.
class Sim {
 public:
  explicit Sim(const std::function<void(Config&)>& tweak = {}, Millis keepalive_ms = 0) {
    settings_.cfg.args = {"/bin/app"};
    settings_.program = "/bin/app";
    settings_.keepalive_interval_ms = keepalive_ms;
    if (tweak) tweak(settings_.cfg);
    take(core::start(settings_, now_));
  }

  const Config& cfg() const { return settings_.cfg; }
  const Machine& machine() const { return machine_; }
  Millis now() const { return now_; }
  const std::vector<Action>& actions() const { return actions_; }
  const char* state() const { return state_name(machine_.state); }
  template <class S>
  const S& as() const {
    return std::get<S>(machine_.state);
  }

  // Feeds one event at time `at` (default: now).
  void feed(const Event& e, std::optional<Millis> at = std::nullopt) {
    if (at) {
      EXPECT_GE(*at, now_) << "time runs forward";
      now_ = *at;
    }
    take(core::step(settings_, machine_, e, now_));
  }
  void tick(Millis at) { feed(event::Tick{}, at); }

  // The shell's usual answers.
  void spawned(int pid) { feed(event::Spawned{pid}); }
  void exits(ExitStatus status, Millis at) {
    feed(event::MainExited{status, 0}, at);
    if (std::holds_alternative<state::Electing>(machine_.state)) feed(event::NoSuccessor{});
  }
  void signal(int sig) { feed(event::Signal{sig, false}); }
  void notified(const std::string& datagram, int sender, int generation = 0) {
    auto msg = parse_notify(datagram);
    ASSERT_TRUE(msg) << datagram;
    feed(event::Notified{*msg, sender, generation});
  }
  // The app crashes `ran` ms after its start; no leftovers; returns the restart delay decided.
  Millis crash_after(Millis ran, int next_pid) {
    exits(ExitStatus::killed(SIGSEGV), now_ + ran);
    EXPECT_STREQ(state(), "Cleaning") << log();
    feed(event::AppEmpty{});
    Millis delay = 0;
    if (auto* b = std::get_if<state::Backoff>(&machine_.state)) {
      delay = b->until - now_;
      EXPECT_EQ(deadline(machine_), b->until);
      tick(b->until - 1);
      EXPECT_STREQ(state(), "Backoff") << "restarted a millisecond early";
      tick(b->until);
    }
    EXPECT_STREQ(state(), "Starting") << log();
    spawned(next_pid);
    return delay;
  }

  template <class A>
  std::vector<A> all() const {
    std::vector<A> out;
    for (const auto& a : actions_) {
      if (auto* x = std::get_if<A>(&a)) out.push_back(*x);
    }
    return out;
  }
  template <class A>
  bool did() const {
    return !all<A>().empty();
  }
  // (generation, signal) for each SignalMain.
  std::vector<std::pair<int, int>> signals_by_generation() const {
    std::vector<std::pair<int, int>> out;
    for (const auto& a : all<action::SignalMain>()) out.emplace_back(a.generation, a.signo);
    return out;
  }
  std::vector<int> signals_to_main() const {
    std::vector<int> out;
    for (const auto& a : all<action::SignalMain>()) out.push_back(a.signo);
    return out;
  }
  bool logged(const std::string& text) const {
    for (const auto& l : all<action::Log>()) {
      if (l.text.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> told() const {
    std::vector<std::string> out;
    for (const auto& t : all<action::TellSystemd>()) out.push_back(format_notify(t.message));
    return out;
  }
  std::optional<int> exit_code() const {
    auto exits = all<action::Exit>();
    if (exits.empty()) return std::nullopt;
    return exits.back().code;
  }
  std::string log() const {
    std::string out = std::string("state ") + state() + "; actions:";
    for (const auto& l : all<action::Log>()) out += " [" + l.text + "]";
    return out;
  }

 private:
  void take(Step s) {
    machine_ = std::move(s.machine);
    actions_ = std::move(s.actions);
  }

  Settings settings_;
  Machine machine_;
  Millis now_ = kT0;
  std::vector<Action> actions_;
};

inline void on_failure(Config& c) { c.restart.on_crash = c.restart.on_error = true; }

}  // namespace sup::core::sim
