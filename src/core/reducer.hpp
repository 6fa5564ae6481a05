// The lifecycle's insides, shared by lifecycle.cpp (one generation's life) and hot_restart.cpp
// (two generations at once, and retiring ones). Not part of core's interface: use
// core/lifecycle.hpp.
#pragma once

#include <string>
#include <vector>

#include "core/lifecycle.hpp"

namespace sup::core::detail {

// One event applied to one machine. Each handler looks at the state it is in and either moves
// to another state or stays; everything the outside world must do is appended to actions_.
class Reducer {
 public:
  Reducer(const Settings& settings, Machine machine, Millis now)
      : cfg_(settings.cfg), settings_(settings), m_(std::move(machine)), now_(now) {}

  Step finish() && { return {std::move(m_), std::move(actions_)}; }

  void spawn();

  void on(const event::Spawned& e);
  void on(const event::SpawnFailed& e);
  void on(const event::MainExited& e);
  void on(const event::SuccessorFound& e);
  void on(const event::NoSuccessor& e);
  void on(const event::PidfileChanged&);
  void on(const event::AppEmpty&);
  void on(const event::GenerationEmpty& e);
  void on(const event::Signal& e);
  void on(const event::Notified& e);
  void on(const event::ReadyLine& e);
  void on(const event::Tick&);

 private:
  template <class S>
  S* get() {
    return std::get_if<S>(&m_.state);
  }
  template <class S>
  bool is() const {
    return std::holds_alternative<S>(m_.state);
  }

  template <class A>
  void emit(A a) {
    actions_.emplace_back(std::in_place_type<A>, std::move(a));
  }
  void log(LogLevel level, std::string text) { emit(action::Log{level, std::move(text)}); }
  void tell(NotifyMessage message) { emit(action::TellSystemd{std::move(message)}); }
  void tell_status(std::string text);
  void tell_reloading();
  bool take_mainpid(Generation& gen, const NotifyMessage& msg);

  bool notify_readiness() const;
  std::optional<Millis> watchdog_from_now() const;
  // The generation whose main process is alive and receives forwarded signals: Running's,
  // Stopping's, or a hot restart's old one.
  Generation* serving();
  // The live generation numbered n (0: the serving one), or nullptr.
  Generation* live(int n);

  void become_ready();
  void stop(state::StopReason reason, int sig, const std::string& why);
  void hang();
  void request_stop(int forward);
  void kill_or_give_up(Millis& kill_at, int& kills);
  // Once a kill's deadline passed: the --kill-signal to `generation` (0: every process of the
  // app), then SIGKILL if that one was not SIGKILL, each followed by the leftover grace. False
  // once both are spent; `who` names the processes in the log.
  bool send_next_kill(int generation, const std::string& who, int& kills, Millis& kill_at);
  bool main_failed() const;
  // ElectSuccessor again from AwaitingExec: still awaiting exec, or the last time.
  void elect(const Generation& gen, bool await_exec);
  void elect_again();
  void stop_waiting();
  void end_run(bool failed_start, Millis healthy_from, bool out_of_processes = false);
  void clean(std::optional<state::Cleaning::Restart> restart, Millis kill_at, int kills);
  void restart();
  void done(int code);
  // --fork: keeps `line` as the reason the app has not started, until it counts as started.
  void note_start_failure(std::string line);
  std::string starting_text() const;  // "starting PROGRAM: "
  int last_code() const;  // the app's last status the shell's way, 0 before any run ended
  std::string log_exit(int pid, const event::MainExited& e);  // returns the line

  // hot_restart.cpp
  Millis hot_restart_timeout() const;
  void hot_restart_requested(int signo);
  void begin_hot_restart();
  void hot_spawned(state::HotRestart& hr, int pid);
  void hot_main_exited(state::HotRestart& hr, const event::MainExited& e);
  void hot_successor(state::HotRestart& hr, const event::SuccessorFound& e);
  void hot_no_successor(state::HotRestart& hr, const event::NoSuccessor& e);
  void hot_notified(state::HotRestart& hr, const event::Notified& e);
  void hot_stop(state::HotRestart& hr, int forward);
  void promote();
  void roll_back(const std::string& why);
  void retire(int generation, Millis kill_at);
  void tick_retiring();

  const Config& cfg_;
  const Settings& settings_;
  Machine m_;
  Millis now_;
  std::vector<Action> actions_;
};

// "10 s", "0.5 s": a duration given in seconds on the command line, as it was given.
std::string seconds_text(Millis ms);
std::string pid_text(int pid);
std::string running_text(int pid);

}  // namespace sup::core::detail
