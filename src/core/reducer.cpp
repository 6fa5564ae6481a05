// The lifecycle of one generation: start, run, stop, follow the main process, clean up,
// restart or finish. Hot restarts are in hot_restart.cpp.
#include "core/reducer.hpp"

#include <algorithm>
#include <cerrno>

#include "core/signal_names.hpp"
#include "core/signal_plan.hpp"

namespace sup::core {
namespace detail {
namespace {

// Signals the kernel numbers the same on every Linux architecture we build for; core includes
// no system header.
constexpr int kSigAbrt = 6, kSigKill = 9, kSigCont = 18;

// STATUS= text from the app may hold anything; keep the log line one printable line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (c >= 0x20 && c != 0x7f) ? c : '?';
  return out;
}

bool names(int wanted, const Generation& gen) { return wanted == 0 || wanted == gen.number; }

}  // namespace

std::string seconds_text(Millis ms) {
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    text += "." + frac;
  }
  return text + " s";
}

std::string pid_text(int pid) { return "pid " + std::to_string(pid); }
std::string running_text(int pid) { return "running " + pid_text(pid); }

void Reducer::spawn() {
  m_.state = state::Starting{};
  emit(action::Spawn{++m_.memory.generations});
}

void Reducer::on(const event::Spawned& e) {
  if (auto* hr = get<state::HotRestart>()) {
    hot_spawned(*hr, e.pid);
    return;
  }
  if (!is<state::Starting>()) return;
  Generation gen;
  gen.number = m_.memory.generations;
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

void Reducer::on(const event::SpawnFailed& e) {
  if (is<state::HotRestart>()) {
    roll_back(e.message);
    return;
  }
  if (!is<state::Starting>()) return;
  const int code = e.before_exec ? kExitFailure : spawn_exit_code(e.error);
  // No process to be had for now (EAGAIN from fork/clone3: RLIMIT_NPROC, pids.max, threads-max):
  // neither the app's fault nor a set-up mistake, so it is retried with backoff under any
  // policy, at the first start too, until a stop is requested.
  const bool out_of_processes = e.before_exec && e.error == EAGAIN;
  if (m_.memory.generations == 1 && !out_of_processes) {
    // The very first start: a set-up failure of the supervisor, never retried.
    log(LogLevel::kFatal, e.message);
    done(code);
    return;
  }
  log(LogLevel::kError, e.message);
  note_start_failure(e.message);
  m_.memory.last_status = ExitStatus::exited(code);
  end_run(true, now_, out_of_processes);
}

// "pid N exited with status 1", naming an OOM kill the first time the count shows it.
std::string Reducer::log_exit(int pid, const event::MainExited& e) {
  std::string text = pid_text(pid) + " ";
  if (!e.status) {
    text += "exited (not our child: status unknown)";
  } else {
    text += describe(*e.status);
    if (e.oom_kills > m_.memory.oom_kills_seen) text += " (out of memory)";
  }
  m_.memory.oom_kills_seen = std::max(m_.memory.oom_kills_seen, e.oom_kills);
  log(LogLevel::kInfo, text);
  return text;
}

void Reducer::on(const event::MainExited& e) {
  if (auto* hr = get<state::HotRestart>()) {
    hot_main_exited(*hr, e);
    return;
  }
  Generation* gen = serving();
  if (gen == nullptr || !names(e.generation, *gen)) return;
  const std::string exited = log_exit(gen->main, e);
  m_.memory.last_status = e.status.value_or(ExitStatus::exited(0));
  // Exiting on its own before it was ready; a stop keeps the reason it was stopped for.
  if (is<state::Running>() && !gen->ready) {
    note_start_failure(starting_text() + exited + " before it was ready");
  }

  std::optional<Millis> start_deadline;
  bool failed_start = false;
  if (auto* stopping = get<state::Stopping>()) {
    if (stopping->reason == state::StopReason::kRequested) {
      clean(std::nullopt, stopping->kill_at, stopping->kills);
      return;
    }
    failed_start = stopping->reason == state::StopReason::kNotReady;
  } else if (auto* running = get<state::Running>()) {
    start_deadline = running->start_deadline;
  }
  state::Electing electing{std::move(*gen), start_deadline, failed_start, std::nullopt};
  emit(action::ElectSuccessor{electing.gen.number, electing.gen.main, electing.gen.predecessors,
                              main_failed(), !cfg_.main_pidfile.empty(), true, false});
  m_.state = std::move(electing);
}

// SPEC 5: a main process that failed has no heirs but those a hint names.
bool Reducer::main_failed() const {
  const ExitStatus s = m_.memory.last_status.value_or(ExitStatus{});
  return s.is_signal() || !cfg_.restart.success_codes.contains(s.value);
}

void Reducer::elect(const Generation& gen, bool await_exec) {
  emit(action::ElectSuccessor{gen.number, gen.main, gen.predecessors, main_failed(),
                              !cfg_.main_pidfile.empty(), await_exec, !await_exec});
}

void Reducer::on(const event::SuccessorFound& e) {
  if (auto* hr = get<state::HotRestart>()) {
    hot_successor(*hr, e);
    return;
  }
  Generation gen;
  std::optional<Millis> start_deadline;
  if (auto* electing = get<state::Electing>(); electing && names(e.generation, electing->gen)) {
    gen = std::move(electing->gen);
    start_deadline = electing->start_deadline;
  } else if (auto* awaiting = get<state::AwaitingPidfile>();
             awaiting && names(e.generation, awaiting->gen)) {
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
  emit(action::Follow{gen.number, e.pid});
  tell_status(running_text(e.pid));
  m_.state = state::Running{std::move(gen), start_deadline, watchdog_from_now()};
}

void Reducer::on(const event::NoSuccessor& e) {
  if (auto* hr = get<state::HotRestart>()) {
    hot_no_successor(*hr, e);
  } else if (auto* electing = get<state::Electing>()) {
    if (!names(e.generation, electing->gen)) return;
    if (e.exec_pending) {
      const Millis until = electing->exec_wait_until.value_or(now_ + kExecWaitMs);
      if (!electing->exec_wait_until) {
        log(LogLevel::kDebug, "a child of " + pid_text(electing->gen.main) +
                                  " may still exec its executable: waiting for it");
      }
      m_.state = state::AwaitingExec{std::move(electing->gen), electing->start_deadline,
                                     electing->failed_start, until,
                                     std::min(now_ + kExecPollMs, until)};
      return;
    }
    if (e.watching) {
      log(LogLevel::kDebug, "waiting for " + cfg_.main_pidfile);
      m_.state = state::AwaitingPidfile{std::move(electing->gen), electing->start_deadline,
                                        now_ + cfg_.stop_timeout_ms, electing->failed_start};
      elect_again();  // the file may have been written before the watch existed
      return;
    }
    end_run(electing->failed_start, electing->gen.healthy_from);
  } else if (auto* awaiting = get<state::AwaitingPidfile>();
             awaiting != nullptr && names(e.generation, awaiting->gen) && !e.app_populated) {
    stop_waiting();
  }
}

void Reducer::on(const event::PidfileChanged&) {
  if (is<state::AwaitingPidfile>()) elect_again();
}

void Reducer::on(const event::AppEmpty&) {
  if (is<state::AwaitingPidfile>()) {
    stop_waiting();
  } else if (auto* awaiting = get<state::AwaitingExec>()) {
    end_run(awaiting->failed_start, awaiting->gen.healthy_from);
  } else if (auto* cleaning = get<state::Cleaning>()) {
    if (!cleaning->restart) {
      done(last_code());
    } else if (cleaning->restart->delay_ms == 0) {
      restart();
    } else {
      // The delay counts from here, once the leftovers are gone.
      m_.state = state::Backoff{now_ + cleaning->restart->delay_ms};
    }
  }
}

void Reducer::on(const event::Signal& e) {
  const SignalPlan plan = plan_signal(cfg_, e.signo);
  if (plan.hot_restart) {
    hot_restart_requested(e.signo);
    return;
  }
  if (plan.stop) {
    log(LogLevel::kInfo, "stopping: " + signal_name(e.signo));
    note_start_failure(starting_text() + "stopped by " + signal_name(e.signo));
    request_stop(plan.forward);
    return;
  }
  if (plan.absorbed) {
    log(LogLevel::kInfo,
        "ignoring " + signal_name(e.signo) + ": not a signal the app is steered with");
    return;
  }
  if (plan.forward == 0) {
    log(LogLevel::kDebug, "dropping " + signal_name(e.signo));
    return;
  }
  Generation* gen = serving();
  if (gen == nullptr) {
    log(LogLevel::kDebug, "no main process to forward " + signal_name(e.signo) + " to");
    return;
  }
  emit(action::SignalMain{gen->number, plan.forward});
  // Ctrl-Z in a terminal reaches only the supervisor (the app has a process group of its
  // own): suspend ourselves as well, so the shell sees a stopped job; `fg` sends SIGCONT,
  // which is forwarded in turn (dumb-init does the same).
  if (e.interactive && is_job_control(e.signo)) {
    emit(action::SuspendSelf{});
  }
}

void Reducer::on(const event::Notified& e) {
  if (auto* hr = get<state::HotRestart>()) {
    hot_notified(*hr, e);
    return;
  }
  Generation* gen = serving();
  if (gen == nullptr || !names(e.generation, *gen)) return;  // a late word from a dying app
  const NotifyMessage& msg = e.message;
  if (msg.status) {
    log(LogLevel::kDebug, pid_text(e.sender) + " status: " + printable(*msg.status));
  }
  if (take_mainpid(*gen, msg)) tell_status(running_text(gen->main));
  if (msg.reloading) tell_reloading();
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
    if (auto* stopping = get<state::Stopping>(); stopping != nullptr && stopping->kills == 0) {
      stopping->kill_at = at;
    }
    NotifyMessage up;
    up.extend_timeout_usec = msg.extend_timeout_usec;
    tell(std::move(up));
  }
}

void Reducer::on(const event::ReadyLine& e) {
  if (auto* hr = get<state::HotRestart>()) {
    if (e.generation == hr->next.number) promote();
    return;
  }
  if (Generation* gen = serving(); gen != nullptr && names(e.generation, *gen)) become_ready();
}

void Reducer::on(const event::Tick&) {
  if (auto* running = get<state::Running>()) {
    if (running->watchdog_deadline && now_ >= *running->watchdog_deadline) {
      hang();
    } else if (running->start_deadline && now_ >= *running->start_deadline) {
      stop(state::StopReason::kNotReady, cfg_.stop_signal,
           "not ready after " + seconds_text(cfg_.start_timeout_ms));
    }
  } else if (auto* stopping = get<state::Stopping>()) {
    if (now_ >= stopping->kill_at) kill_or_give_up(stopping->kill_at, stopping->kills);
  } else if (auto* awaiting_exec = get<state::AwaitingExec>()) {
    if (now_ >= awaiting_exec->next_check) {
      // At the bound, once more: a sole child that never exec'd is a daemon.
      const bool last = now_ >= awaiting_exec->until;
      state::Electing electing{std::move(awaiting_exec->gen), awaiting_exec->start_deadline,
                               awaiting_exec->failed_start, awaiting_exec->until};
      if (last) log(LogLevel::kDebug, "no child exec'd in time");
      elect(electing.gen, !last);
      m_.state = std::move(electing);
    }
  } else if (auto* awaiting = get<state::AwaitingPidfile>()) {
    if (now_ >= awaiting->until) {
      log(LogLevel::kInfo, cfg_.main_pidfile + " named no live process of the app in time");
      stop_waiting();
    }
  } else if (auto* cleaning = get<state::Cleaning>()) {
    if (now_ >= cleaning->kill_at) kill_or_give_up(cleaning->kill_at, cleaning->kills);
  } else if (auto* backoff = get<state::Backoff>()) {
    if (now_ >= backoff->until) restart();
  } else if (auto* hr = get<state::HotRestart>()) {
    if (now_ >= hr->ready_by) {
      roll_back("not ready after " + seconds_text(hot_restart_timeout()));
    }
  }
  tick_retiring();
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

// MAINPID= names another process of the generation its main process.
bool Reducer::take_mainpid(Generation& gen, const NotifyMessage& msg) {
  if (!msg.mainpid || *msg.mainpid == gen.main) return false;
  log(LogLevel::kInfo, "main pid " + std::to_string(gen.main) + " -> " +
                           std::to_string(*msg.mainpid) + " (MAINPID)");
  // The old main lives on for now; should the new one die first, it takes over again.
  gen.predecessors.push_back(gen.main);
  gen.main = *msg.mainpid;
  emit(action::Follow{gen.number, gen.main});
  return true;
}

// RELOADING=1 up (systemd wants MONOTONIC_USEC= with it); the next READY=1 goes up too.
void Reducer::tell_reloading() {
  m_.memory.reloading = true;
  NotifyMessage up;
  up.reloading = true;
  up.monotonic_usec = static_cast<std::uint64_t>(now_) * 1000;
  tell(std::move(up));
}

void Reducer::tell_status(std::string text) {
  NotifyMessage m;
  m.status = std::move(text);
  tell(std::move(m));
}

bool Reducer::notify_readiness() const {
  return cfg_.ready == ReadyMode::kNotify || cfg_.notify_fd >= 0;
}

std::optional<Millis> Reducer::watchdog_from_now() const {
  if (cfg_.watchdog_ms <= 0) return std::nullopt;
  return now_ + cfg_.watchdog_ms;
}

Generation* Reducer::serving() {
  if (auto* running = get<state::Running>()) return &running->gen;
  if (auto* stopping = get<state::Stopping>()) return &stopping->gen;
  if (auto* hr = get<state::HotRestart>()) return &hr->old;
  return nullptr;
}

Generation* Reducer::live(int n) {
  if (auto* hr = get<state::HotRestart>()) {
    if (n == 0 || n == hr->old.number) return &hr->old;
    return n == hr->next.number && hr->next.main != 0 ? &hr->next : nullptr;
  }
  Generation* gen = serving();
  return gen != nullptr && names(n, *gen) ? gen : nullptr;
}

void Reducer::become_ready() {
  Generation* gen = serving();
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
void Reducer::stop(state::StopReason reason, int sig, const std::string& why) {
  Generation gen = std::move(*serving());
  log(LogLevel::kInfo, pid_text(gen.main) + " " + why + ": sending " + signal_name(sig));
  note_start_failure(starting_text() + pid_text(gen.main) + " " + why);
  tell_status("stopping " + pid_text(gen.main) + ": " + why);
  emit(action::SignalMain{gen.number, sig});
  emit(action::SignalMain{gen.number, kSigCont});
  m_.state = state::Stopping{std::move(gen), reason, now_ + cfg_.stop_timeout_ms, 0};
}

// A missed --watchdog deadline: a hang, answered with SIGABRT, then the kill signal.
void Reducer::hang() {
  Generation gen = std::move(get<state::Running>()->gen);
  log(LogLevel::kInfo, pid_text(gen.main) + " missed its watchdog deadline: sending SIGABRT");
  note_start_failure(starting_text() + pid_text(gen.main) + " missed its watchdog deadline");
  // Up to systemd too (a transition, SPEC 7): its StatusText would otherwise still say
  // "running" while the hung app is being stopped.
  tell_status("hung: " + pid_text(gen.main) + " missed its watchdog deadline");
  emit(action::SignalMain{gen.number, kSigAbrt});
  m_.state =
      state::Stopping{std::move(gen), state::StopReason::kHung, now_ + cfg_.stop_timeout_ms, 0};
}

void Reducer::request_stop(int forward) {
  if (auto* stopping = get<state::Stopping>();
      stopping != nullptr && stopping->reason == state::StopReason::kRequested) {
    // A second request is forwarded again, but the deadline stays.
    if (forward != 0) emit(action::SignalMain{stopping->gen.number, forward});
    return;
  }
  if (is<state::Done>()) return;
  NotifyMessage up;
  up.stopping = true;
  up.status = "stopping";
  tell(std::move(up));
  if (auto* hr = get<state::HotRestart>()) {
    hot_stop(*hr, forward);
  } else if (Generation* gen = serving()) {
    if (forward != 0) emit(action::SignalMain{gen->number, forward});
    emit(action::SignalMain{gen->number, kSigCont});
    m_.state = state::Stopping{std::move(*gen), state::StopReason::kRequested,
                               now_ + cfg_.stop_timeout_ms, 0};
  } else if (is<state::AwaitingPidfile>()) {
    emit(action::UnwatchPidfile{});
    clean(std::nullopt, now_ + cfg_.stop_timeout_ms, 0);
  } else if (is<state::AwaitingExec>()) {
    clean(std::nullopt, now_ + cfg_.stop_timeout_ms, 0);
  } else if (auto* cleaning = get<state::Cleaning>()) {
    cleaning->restart.reset();
  } else if (is<state::Backoff>()) {
    // The app is not running: end the wait and the supervisor at once.
    done(last_code());
  }
}

// The kill deadline of Stopping or Cleaning passed: the kill signal to everything left, then
// a last grace; after that, give up on what survived.
void Reducer::kill_or_give_up(Millis& kill_at, int& kills) {
  if (send_next_kill(0, "processes of the app", kills, kill_at)) return;
  log(LogLevel::kError, "processes of the app survived SIGKILL");
  done(last_code());
}

bool Reducer::send_next_kill(int generation, const std::string& who, int& kills, Millis& kill_at) {
  if (kills == 0) {
    emit(action::KillAll{cfg_.kill_signal, generation});
  } else if (kills == 1 && cfg_.kill_signal != kSigKill) {
    // A --kill-signal the app can catch or ignore must not leave it running.
    log(LogLevel::kInfo, who + " survived " + signal_name(cfg_.kill_signal) + ": sending SIGKILL");
    emit(action::KillAll{kSigKill, generation});
  } else {
    return false;
  }
  ++kills;
  kill_at = now_ + kLeftoverGraceMs;
  return true;
}

void Reducer::elect_again() {
  const auto& awaiting = std::get<state::AwaitingPidfile>(m_.state);
  emit(action::ElectSuccessor{awaiting.gen.number, awaiting.gen.main, awaiting.gen.predecessors,
                              main_failed(), false, false});
}

void Reducer::stop_waiting() {
  auto* awaiting = get<state::AwaitingPidfile>();
  emit(action::UnwatchPidfile{});
  end_run(awaiting->failed_start, awaiting->gen.healthy_from);
}

// The app ended with no successor and no stop request: ask the restart policy.
void Reducer::end_run(bool failed_start, Millis healthy_from, bool out_of_processes) {
  RunOutcome run{m_.memory.last_status.value_or(ExitStatus{}), healthy_from, now_, false,
                 failed_start, out_of_processes};
  auto d = decide_restart(cfg_.restart, m_.memory.history, run, m_.memory.restarts, now_);
  m_.memory.history = std::move(d.history);
  switch (d.kind) {
    case RestartDecision::Kind::kRestart: {
      m_.memory.restarts = d.restart_number;
      const std::string text = "restarting in " + std::to_string(d.delay_ms / 1000) +
                               " s (restart " + std::to_string(d.restart_number) + ")";
      log(LogLevel::kInfo, text);
      tell_status(text);
      clean(state::Cleaning::Restart{d.delay_ms}, now_ + cfg_.stop_timeout_ms, 0);
      return;
    }
    case RestartDecision::Kind::kGiveUp:
      m_.memory.gave_up = true;
      log(LogLevel::kError, "giving up: " + d.reason);
      break;
    case RestartDecision::Kind::kFinish:
      break;
  }
  clean(std::nullopt, now_ + cfg_.stop_timeout_ms, 0);
}

void Reducer::clean(std::optional<state::Cleaning::Restart> restart, Millis kill_at, int kills) {
  m_.state = state::Cleaning{restart, kill_at, kills};
  emit(action::StopLeftovers{cfg_.stop_signal, 0});
}

void Reducer::restart() {
  // Counted for --max-restarts when it happens, not when it was decided.
  record_restart(cfg_.restart, m_.memory.history, now_);
  spawn();
}

void Reducer::note_start_failure(std::string line) {
  if (cfg_.fork && !m_.memory.ready_sent) m_.memory.start_failure = std::move(line);
}

std::string Reducer::starting_text() const { return "starting " + settings_.program + ": "; }

int Reducer::last_code() const {
  return to_shell_code(m_.memory.last_status.value_or(ExitStatus{}));
}

void Reducer::done(int code) {
  // --fork's foreground process waits for the app to count as started, and otherwise exits
  // with our status: never 0 then, and with the reason once (SPEC 2). A failed first spawn
  // has said why already.
  if (cfg_.fork && !m_.memory.ready_sent) {
    if (!m_.memory.start_failure.empty()) log(LogLevel::kFatal, m_.memory.start_failure);
    if (code == 0) code = kExitFailure;
  }
  m_.state = state::Done{code};
  emit(action::Exit{code});
}

}  // namespace detail

}  // namespace sup::core
