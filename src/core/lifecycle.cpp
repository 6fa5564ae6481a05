#include "core/lifecycle.hpp"

#include <algorithm>

#include "core/signal_names.hpp"
#include "core/signal_plan.hpp"
#include "util/overloaded.hpp"

namespace sup::core {
namespace {

// Signals the kernel numbers the same on every Linux architecture we build for; core includes
// no system header.
constexpr int kSigAbrt = 6, kSigCont = 18, kSigTstp = 20, kSigTtin = 21, kSigTtou = 22;

// "10 s", "0.5 s": a duration given in seconds on the command line, as it was given.
std::string seconds_text(Millis ms) {
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    text += "." + frac;
  }
  return text + " s";
}

// STATUS= text from the app may hold anything; keep the log line one printable line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (c >= 0x20 && c != 0x7f) ? c : '?';
  return out;
}

std::string pid_text(int pid) { return "pid " + std::to_string(pid); }
std::string running_text(int pid) { return "running " + pid_text(pid); }

// One event applied to one machine. Each handler looks at the state it is in and either moves
// to another state or stays; everything the outside world must do is appended to actions_.
class Reducer {
 public:
  Reducer(const Settings& settings, Machine machine, Millis now)
      : cfg_(settings.cfg), settings_(settings), m_(std::move(machine)), now_(now) {}

  Step finish() && { return {std::move(m_), std::move(actions_)}; }

  void spawn() {
    m_.state = state::Starting{};
    emit(action::Spawn{});
  }

  void on(const event::Spawned& e) {
    if (!is<state::Starting>()) return;
    Generation gen;
    gen.number = ++m_.memory.generations;
    gen.main = e.pid;
    gen.healthy_from = now_;
    log(LogLevel::kInfo, "started " + settings_.program + " as " + pid_text(e.pid));
    state::Running running{std::move(gen), std::nullopt, watchdog_from_now()};
    if (notify_readiness() && cfg_.start_timeout_ms > 0) {
      running.start_deadline = now_ + cfg_.start_timeout_ms;
    }
    m_.state = std::move(running);
    if (!notify_readiness()) become_ready();
  }

  void on(const event::SpawnFailed& e) {
    if (!is<state::Starting>()) return;
    const int code = spawn_exit_code(e.error);
    if (m_.memory.generations == 0) {
      // The very first start: a set-up failure of the supervisor, never retried.
      log(LogLevel::kFatal, e.message);
      done(code);
      return;
    }
    log(LogLevel::kError, e.message);
    m_.memory.last_status = ExitStatus::exited(code);
    end_run(true, now_);
  }

  void on(const event::MainExited& e) {
    Generation* gen = main_generation();
    if (gen == nullptr) return;
    std::string text = pid_text(gen->main) + " ";
    if (e.status) {
      text += describe(*e.status);
      if (e.oom_kills > m_.memory.oom_kills_seen) text += " (out of memory)";
      m_.memory.last_status = *e.status;
    } else {
      text += "exited (not our child: status unknown)";
      m_.memory.last_status = ExitStatus::exited(0);
    }
    m_.memory.oom_kills_seen = std::max(m_.memory.oom_kills_seen, e.oom_kills);
    log(LogLevel::kInfo, text);

    std::optional<Millis> start_deadline;
    bool failed_start = false;
    if (auto* stopping = get<state::Stopping>()) {
      if (stopping->reason == state::StopReason::kRequested) {
        clean(std::nullopt, stopping->kill_at, stopping->killed);
        return;
      }
      failed_start = stopping->reason == state::StopReason::kNotReady;
    } else if (auto* running = get<state::Running>()) {
      start_deadline = running->start_deadline;
    }
    state::Electing electing{std::move(*gen), start_deadline, failed_start};
    emit(action::ElectSuccessor{electing.gen.main, electing.gen.predecessors,
                                m_.memory.last_status.is_signal(), !cfg_.main_pidfile.empty()});
    m_.state = std::move(electing);
  }

  void on(const event::SuccessorFound& e) {
    Generation gen;
    std::optional<Millis> start_deadline;
    if (auto* electing = get<state::Electing>()) {
      gen = std::move(electing->gen);
      start_deadline = electing->start_deadline;
    } else if (auto* awaiting = get<state::AwaitingPidfile>()) {
      gen = std::move(awaiting->gen);
      start_deadline = awaiting->start_deadline;
      emit(action::UnwatchPidfile{});
    } else {
      return;
    }
    const char* why = e.source == "child"         ? "successor"
                      : e.source == "predecessor" ? "rolled back"
                                                  : e.source.c_str();
    log(LogLevel::kInfo,
        "main pid " + std::to_string(gen.main) + " -> " + std::to_string(e.pid) + " (" + why + ")");
    std::erase(gen.predecessors, e.pid);
    gen.main = e.pid;
    emit(action::Follow{e.pid});
    tell_status(running_text(e.pid));
    m_.state = state::Running{std::move(gen), start_deadline, watchdog_from_now()};
  }

  void on(const event::NoSuccessor& e) {
    if (auto* electing = get<state::Electing>()) {
      if (e.watching) {
        log(LogLevel::kDebug, "waiting for " + cfg_.main_pidfile);
        m_.state = state::AwaitingPidfile{std::move(electing->gen), electing->start_deadline,
                                          now_ + cfg_.stop_timeout_ms, electing->failed_start};
        elect_again();  // the file may have been written before the watch existed
        return;
      }
      end_run(electing->failed_start, electing->gen.healthy_from);
    } else if (is<state::AwaitingPidfile>() && !e.app_populated) {
      stop_waiting();
    }
  }

  void on(const event::PidfileChanged&) {
    if (is<state::AwaitingPidfile>()) elect_again();
  }

  void on(const event::AppEmpty&) {
    if (is<state::AwaitingPidfile>()) {
      stop_waiting();
    } else if (auto* cleaning = get<state::Cleaning>()) {
      if (!cleaning->restart) {
        done(to_shell_code(m_.memory.last_status));
      } else if (cleaning->restart->delay_ms == 0) {
        restart();
      } else {
        // The delay counts from here, once the leftovers are gone.
        m_.state = state::Backoff{now_ + cleaning->restart->delay_ms};
      }
    }
  }

  void on(const event::Signal& e) {
    const SignalPlan plan = plan_signal(cfg_, e.signo);
    if (plan.stop) {
      log(LogLevel::kInfo, "stopping: " + signal_name(e.signo));
      request_stop(plan.forward);
      return;
    }
    if (plan.forward == 0) {
      log(LogLevel::kDebug, "dropping " + signal_name(e.signo));
      return;
    }
    if (main_generation() == nullptr) {
      log(LogLevel::kDebug, "no main process to forward " + signal_name(e.signo) + " to");
      return;
    }
    emit(action::SignalMain{plan.forward});
    // Ctrl-Z in a terminal reaches only the supervisor (the app has a process group of its
    // own): suspend ourselves as well, so the shell sees a stopped job; `fg` sends SIGCONT,
    // which is forwarded in turn (dumb-init does the same).
    if (e.interactive && (e.signo == kSigTstp || e.signo == kSigTtin || e.signo == kSigTtou)) {
      emit(action::SuspendSelf{});
    }
  }

  void on(const event::Notified& e) {
    Generation* gen = main_generation();
    if (gen == nullptr) return;  // a late word from a dying app
    const NotifyMessage& msg = e.message;
    if (msg.status) {
      log(LogLevel::kDebug, pid_text(e.sender) + " status: " + printable(*msg.status));
    }
    if (msg.mainpid && *msg.mainpid != gen->main) {
      log(LogLevel::kInfo, "main pid " + std::to_string(gen->main) + " -> " +
                               std::to_string(*msg.mainpid) + " (MAINPID)");
      // The old main lives on for now; should the new one die first, it takes over again.
      gen->predecessors.push_back(gen->main);
      gen->main = *msg.mainpid;
      emit(action::Follow{gen->main});
      tell_status(running_text(gen->main));
    }
    if (msg.reloading) {
      m_.memory.reloading = true;
      NotifyMessage up;
      up.reloading = true;
      tell(std::move(up));
    }
    if (msg.ready) become_ready();
    if (msg.stopping) log(LogLevel::kDebug, pid_text(e.sender) + " is stopping");
    auto* running = get<state::Running>();
    if (msg.watchdog_ping && running != nullptr && running->watchdog_deadline) {
      running->watchdog_deadline = now_ + cfg_.watchdog_ms;
    }
    if (msg.watchdog_trigger && running != nullptr) hang();
    if (msg.extend_timeout_usec) {
      const Millis at = now_ + static_cast<Millis>(*msg.extend_timeout_usec / 1000);
      if (running != nullptr && running->start_deadline) running->start_deadline = at;
      if (auto* stopping = get<state::Stopping>(); stopping != nullptr && !stopping->killed) {
        stopping->kill_at = at;
      }
      NotifyMessage up;
      up.extend_timeout_usec = msg.extend_timeout_usec;
      tell(std::move(up));
    }
  }

  void on(const event::ReadyLine&) {
    if (main_generation() != nullptr) become_ready();
  }

  void on(const event::Tick&) {
    if (auto* running = get<state::Running>()) {
      if (running->watchdog_deadline && now_ >= *running->watchdog_deadline) {
        hang();
      } else if (running->start_deadline && now_ >= *running->start_deadline) {
        stop(state::StopReason::kNotReady, cfg_.stop_signal,
             "not ready after " + seconds_text(cfg_.start_timeout_ms));
      }
    } else if (auto* stopping = get<state::Stopping>()) {
      if (now_ >= stopping->kill_at) kill_or_give_up(stopping->kill_at, stopping->killed);
    } else if (auto* awaiting = get<state::AwaitingPidfile>()) {
      if (now_ >= awaiting->until) {
        log(LogLevel::kInfo, cfg_.main_pidfile + " named no live process of the app in time");
        stop_waiting();
      }
    } else if (auto* cleaning = get<state::Cleaning>()) {
      if (now_ >= cleaning->kill_at) kill_or_give_up(cleaning->kill_at, cleaning->killed);
    } else if (auto* backoff = get<state::Backoff>()) {
      if (now_ >= backoff->until) restart();
    }
    // Last: a message to systemd may block for a moment, and must not delay the actions above.
    if (m_.memory.keepalive_at && now_ >= *m_.memory.keepalive_at) {
      auto* stopping = get<state::Stopping>();
      if (stopping == nullptr || stopping->reason != state::StopReason::kHung) {
        NotifyMessage ping;
        ping.watchdog_ping = true;
        tell(std::move(ping));
      }
      m_.memory.keepalive_at = now_ + settings_.keepalive_interval_ms;
    }
  }

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
  void tell_status(std::string text) {
    NotifyMessage m;
    m.status = std::move(text);
    tell(std::move(m));
  }

  bool notify_readiness() const { return cfg_.ready == ReadyMode::kNotify || cfg_.notify_fd >= 0; }

  std::optional<Millis> watchdog_from_now() const {
    if (cfg_.watchdog_ms <= 0) return std::nullopt;
    return now_ + cfg_.watchdog_ms;
  }

  // The generation whose main process is alive: Running or Stopping.
  Generation* main_generation() {
    if (auto* running = get<state::Running>()) return &running->gen;
    if (auto* stopping = get<state::Stopping>()) return &stopping->gen;
    return nullptr;
  }

  void become_ready() {
    Generation* gen = main_generation();
    if (gen->ready && !m_.memory.reloading) return;
    const bool first = !gen->ready;
    gen->ready = true;
    if (notify_readiness() && first) {
      log(LogLevel::kInfo, pid_text(gen->main) + " is ready");
      gen->healthy_from = now_;  // --healthy-after counts from readiness
      if (auto* running = get<state::Running>()) running->start_deadline.reset();
    }
    NotifyMessage up;
    up.ready = !m_.memory.ready_sent || m_.memory.reloading;
    up.status = running_text(gen->main);
    m_.memory.ready_sent = true;
    m_.memory.reloading = false;
    tell(std::move(up));
  }

  // Running -> Stopping: the main process gets sig (and SIGCONT, so a stopped one can act).
  void stop(state::StopReason reason, int sig, const std::string& why) {
    Generation gen = std::move(*main_generation());
    log(LogLevel::kInfo, pid_text(gen.main) + " " + why + ": sending " + signal_name(sig));
    emit(action::SignalMain{sig});
    emit(action::SignalMain{kSigCont});
    m_.state = state::Stopping{std::move(gen), reason, now_ + cfg_.stop_timeout_ms, false};
  }

  // A missed --watchdog deadline: a hang, answered with SIGABRT, then the kill signal.
  void hang() {
    auto* running = get<state::Running>();
    Generation gen = std::move(running->gen);
    log(LogLevel::kInfo, pid_text(gen.main) + " missed its watchdog deadline: sending SIGABRT");
    emit(action::SignalMain{kSigAbrt});
    m_.state = state::Stopping{std::move(gen), state::StopReason::kHung,
                               now_ + cfg_.stop_timeout_ms, false};
  }

  void request_stop(int forward) {
    if (auto* stopping = get<state::Stopping>();
        stopping != nullptr && stopping->reason == state::StopReason::kRequested) {
      // A second request is forwarded again, but the deadline stays.
      if (forward != 0) emit(action::SignalMain{forward});
      return;
    }
    if (is<state::Done>()) return;
    NotifyMessage up;
    up.stopping = true;
    up.status = "stopping";
    tell(std::move(up));
    if (Generation* gen = main_generation()) {
      if (forward != 0) emit(action::SignalMain{forward});
      emit(action::SignalMain{kSigCont});
      m_.state = state::Stopping{std::move(*gen), state::StopReason::kRequested,
                                 now_ + cfg_.stop_timeout_ms, false};
    } else if (is<state::AwaitingPidfile>()) {
      emit(action::UnwatchPidfile{});
      clean(std::nullopt, now_ + cfg_.stop_timeout_ms, false);
    } else if (auto* cleaning = get<state::Cleaning>()) {
      cleaning->restart.reset();
    } else if (is<state::Backoff>()) {
      // The app is not running: end the wait and the supervisor at once.
      done(to_shell_code(m_.memory.last_status));
    }
  }

  // The kill deadline of Stopping or Cleaning passed: the kill signal to everything left, then
  // a last grace; after that, give up on what survived.
  void kill_or_give_up(Millis& kill_at, bool& killed) {
    if (!killed) {
      emit(action::KillAll{cfg_.kill_signal});
      killed = true;
      kill_at = now_ + kLeftoverGraceMs;
      return;
    }
    log(LogLevel::kError, "processes of the app survived " + signal_name(cfg_.kill_signal));
    done(to_shell_code(m_.memory.last_status));
  }

  void elect_again() {
    const auto& awaiting = std::get<state::AwaitingPidfile>(m_.state);
    emit(action::ElectSuccessor{awaiting.gen.main, awaiting.gen.predecessors,
                                m_.memory.last_status.is_signal(), false});
  }

  void stop_waiting() {
    auto* awaiting = get<state::AwaitingPidfile>();
    emit(action::UnwatchPidfile{});
    end_run(awaiting->failed_start, awaiting->gen.healthy_from);
  }

  // The app ended with no successor and no stop request: ask the restart policy.
  void end_run(bool failed_start, Millis healthy_from) {
    RunOutcome run{m_.memory.last_status, healthy_from, now_, false, failed_start};
    auto d = decide_restart(cfg_.restart, m_.memory.history, run, m_.memory.restarts, now_);
    m_.memory.history = std::move(d.history);
    switch (d.kind) {
      case RestartDecision::Kind::kRestart: {
        m_.memory.restarts = d.restart_number;
        const std::string text = "restarting in " + std::to_string(d.delay_ms / 1000) +
                                 " s (restart " + std::to_string(d.restart_number) + ")";
        log(LogLevel::kInfo, text);
        tell_status(text);
        clean(state::Cleaning::Restart{d.delay_ms}, now_ + cfg_.stop_timeout_ms, false);
        return;
      }
      case RestartDecision::Kind::kGiveUp:
        log(LogLevel::kError, "giving up: " + d.reason);
        break;
      case RestartDecision::Kind::kFinish:
        break;
    }
    clean(std::nullopt, now_ + cfg_.stop_timeout_ms, false);
  }

  void clean(std::optional<state::Cleaning::Restart> restart, Millis kill_at, bool killed) {
    m_.state = state::Cleaning{restart, kill_at, killed};
    emit(action::StopLeftovers{cfg_.stop_signal});
  }

  void restart() {
    // Counted for --max-restarts when it happens, not when it was decided.
    record_restart(cfg_.restart, m_.memory.history, now_);
    spawn();
  }

  void done(int code) {
    m_.state = state::Done{code};
    emit(action::Exit{code});
  }

  const Config& cfg_;
  const Settings& settings_;
  Machine m_;
  Millis now_;
  std::vector<Action> actions_;
};

}  // namespace

Step start(const Settings& settings, Millis now) {
  Machine machine{state::Starting{}, Memory{}};
  if (settings.keepalive_interval_ms > 0) {
    machine.memory.keepalive_at = now + settings.keepalive_interval_ms;
  }
  Reducer r(settings, std::move(machine), now);
  r.spawn();
  return std::move(r).finish();
}

Step step(const Settings& settings, Machine machine, const Event& event, Millis now) {
  Reducer r(settings, std::move(machine), now);
  std::visit([&](const auto& e) { r.on(e); }, event);
  return std::move(r).finish();
}

std::optional<Millis> deadline(const Machine& machine) {
  std::optional<Millis> at = machine.memory.keepalive_at;
  auto consider = [&](std::optional<Millis> t) {
    if (t && (!at || *t < *at)) at = t;
  };
  std::visit(Overloaded{
                 [&](const state::Running& s) {
                   consider(s.start_deadline);
                   consider(s.watchdog_deadline);
                 },
                 [&](const state::Stopping& s) { consider(s.kill_at); },
                 [&](const state::AwaitingPidfile& s) { consider(s.until); },
                 [&](const state::Cleaning& s) { consider(s.kill_at); },
                 [&](const state::Backoff& s) { consider(s.until); },
                 [](const auto&) {},
             },
             machine.state);
  return at;
}

bool awaits_empty(const Machine& machine) {
  return std::holds_alternative<state::Cleaning>(machine.state) ||
         std::holds_alternative<state::AwaitingPidfile>(machine.state);
}

const char* state_name(const State& state) {
  return std::visit(Overloaded{
                        [](const state::Starting&) { return "Starting"; },
                        [](const state::Running&) { return "Running"; },
                        [](const state::Stopping&) { return "Stopping"; },
                        [](const state::Electing&) { return "Electing"; },
                        [](const state::AwaitingPidfile&) { return "AwaitingPidfile"; },
                        [](const state::Cleaning&) { return "Cleaning"; },
                        [](const state::Backoff&) { return "Backoff"; },
                        [](const state::Done&) { return "Done"; },
                    },
                    state);
}

const char* event_name(const Event& event) {
  return std::visit(Overloaded{
                        [](const event::Spawned&) { return "Spawned"; },
                        [](const event::SpawnFailed&) { return "SpawnFailed"; },
                        [](const event::MainExited&) { return "MainExited"; },
                        [](const event::SuccessorFound&) { return "SuccessorFound"; },
                        [](const event::NoSuccessor&) { return "NoSuccessor"; },
                        [](const event::PidfileChanged&) { return "PidfileChanged"; },
                        [](const event::AppEmpty&) { return "AppEmpty"; },
                        [](const event::Signal&) { return "Signal"; },
                        [](const event::Notified&) { return "Notified"; },
                        [](const event::ReadyLine&) { return "ReadyLine"; },
                        [](const event::Tick&) { return "Tick"; },
                    },
                    event);
}

}  // namespace sup::core
