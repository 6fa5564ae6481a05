// --hot-restart (SPEC 10): a new generation starts beside the serving one, takes over once it
// is ready, and is rolled back if it exits or is not ready in time. A replaced (or rolled back)
// generation retires: stop signal now, kill signal at its own deadline, forgotten once empty.
#include <algorithm>

#include "core/reducer.hpp"
#include "core/signal_names.hpp"

namespace sup::core::detail {
namespace {

constexpr int kSigCont = 18;

}  // namespace

Millis Reducer::hot_restart_timeout() const {
  return cfg_.start_timeout_ms > 0 ? cfg_.start_timeout_ms : kHotRestartTimeoutMs;
}

void Reducer::hot_restart_requested(int signo) {
  const std::string name = signal_name(signo);
  if (is<state::HotRestart>()) {
    log(LogLevel::kInfo, "hot restart already in progress: ignoring " + name);
  } else if (is<state::Running>()) {
    log(LogLevel::kInfo, "hot restart: " + name);
    begin_hot_restart();
  } else if (is<state::Backoff>()) {
    // No app runs to keep serving: start it now, and tell systemd the reload ends when it is up.
    log(LogLevel::kInfo, "hot restart: " + name + " during the backoff: starting at once");
    tell_reloading();
    spawn();
  } else {
    log(LogLevel::kInfo, "no app to hot-restart now: ignoring " + name);
  }
}

void Reducer::begin_hot_restart() {
  auto* running = get<state::Running>();
  Generation next;
  next.number = ++m_.memory.generations;
  tell_reloading();
  // The old generation's --watchdog rests while it is being replaced: the new one's starts
  // when it takes over.
  m_.state = state::HotRestart{std::move(running->gen), std::move(next), now_ + hot_restart_timeout(), {}};
  emit(action::Spawn{std::get<state::HotRestart>(m_.state).next.number});
}

void Reducer::hot_spawned(state::HotRestart& hr, int pid) {
  if (hr.next.main != 0) return;
  hr.next.main = pid;
  hr.next.healthy_from = now_;
  log(LogLevel::kInfo, "started " + settings_.program + " as " + pid_text(pid));
  if (!notify_readiness()) promote();
}

void Reducer::hot_main_exited(state::HotRestart& hr, const event::MainExited& e) {
  Generation* gen = live(e.generation);
  if (gen == nullptr) return;
  log_exit(gen->main, e);
  const ExitStatus status = e.status.value_or(ExitStatus::exited(0));
  if (gen == &hr.old) {
    m_.memory.last_status = status;
  } else {
    hr.next_status = status;
  }
  // Successors are followed inside each generation (a daemonizing new version, say).
  // A same-executable child that has not exec'd is passed over here: no wait for its exec.
  const bool failed = status.is_signal() || !cfg_.restart.success_codes.contains(status.value);
  emit(action::ElectSuccessor{gen->number, gen->main, gen->predecessors, failed, false, false});
}

void Reducer::hot_successor(state::HotRestart& hr, const event::SuccessorFound& e) {
  Generation* gen = live(e.generation);
  if (gen == nullptr) return;
  log(LogLevel::kInfo, "main pid " + std::to_string(gen->main) + " -> " + std::to_string(e.pid) +
                           " (" + (e.source == "child" ? "successor" : e.source) + ")");
  std::erase(gen->predecessors, e.pid);
  gen->main = e.pid;
  if (gen == &hr.next) hr.next_status.reset();
  emit(action::Follow{gen->number, e.pid});
}

void Reducer::hot_no_successor(state::HotRestart& hr, const event::NoSuccessor& e) {
  if (e.generation == hr.next.number) {
    roll_back(pid_text(hr.next.main) + " " + describe(hr.next_status.value_or(ExitStatus{})));
    return;
  }
  if (e.generation != hr.old.number && e.generation != 0) return;
  // The old generation ended on its own: the new one takes over as it is, ready or not.
  log(LogLevel::kInfo, "hot restart: pid " + std::to_string(hr.next.main) + " takes over");
  const int old = hr.old.number;
  const Millis ready_by = hr.ready_by;
  Generation next = std::move(hr.next);
  const bool ready = next.ready;
  m_.state = state::Running{std::move(next), ready ? std::nullopt : std::optional(ready_by),
                            watchdog_from_now()};
  retire(old, now_ + cfg_.stop_timeout_ms);
  emit(action::StopLeftovers{cfg_.stop_signal, old});
}

void Reducer::hot_notified(state::HotRestart& hr, const event::Notified& e) {
  Generation* gen = live(e.generation);
  if (gen == nullptr) return;
  take_mainpid(*gen, e.message);
  if (e.message.ready && gen == &hr.next) promote();
}

// TERM or INT during a hot restart stops both generations: the old one as any stop, the new
// one as a retiring generation on the same deadline.
void Reducer::hot_stop(state::HotRestart& hr, int forward) {
  const Millis kill_at = now_ + cfg_.stop_timeout_ms;
  if (hr.next.main != 0) {
    retire(hr.next.number, kill_at);
    emit(action::StopLeftovers{cfg_.stop_signal, hr.next.number});
  }
  m_.memory.reloading = false;
  Generation old = std::move(hr.old);
  if (forward != 0) emit(action::SignalMain{old.number, forward});
  emit(action::SignalMain{old.number, kSigCont});
  m_.state = state::Stopping{std::move(old), state::StopReason::kRequested, kill_at, 0};
}

// The new generation is ready: it serves from now on; the old one gets the stop signal.
void Reducer::promote() {
  auto& hr = std::get<state::HotRestart>(m_.state);
  const Generation old = std::move(hr.old);
  m_.state = state::Running{std::move(hr.next), std::nullopt, watchdog_from_now()};
  become_ready();  // "pid N is ready", and READY=1 up: the reload is over
  const Generation& next = std::get<state::Running>(m_.state).gen;
  log(LogLevel::kInfo, "hot restart: pid " + std::to_string(next.main) +
                           " takes over; stopping pid " + std::to_string(old.main));
  emit(action::SignalMain{old.number, cfg_.stop_signal});
  emit(action::SignalMain{old.number, kSigCont});
  retire(old.number, now_ + cfg_.stop_timeout_ms);
}

void Reducer::roll_back(const std::string& why) {
  auto& hr = std::get<state::HotRestart>(m_.state);
  log(LogLevel::kError, "hot restart failed: " + why + "; keeping pid " +
                            std::to_string(hr.old.main));
  if (hr.next.main != 0) {
    retire(hr.next.number, now_ + cfg_.stop_timeout_ms);
    emit(action::StopLeftovers{cfg_.stop_signal, hr.next.number});
  }
  Generation old = std::move(hr.old);
  m_.state = state::Running{std::move(old), std::nullopt, watchdog_from_now()};
  become_ready();  // READY=1 up: the reload is over, with the old generation
}

void Reducer::retire(int generation, Millis kill_at) {
  m_.memory.retiring.push_back({generation, kill_at, 0});
}

void Reducer::on(const event::GenerationEmpty& e) {
  auto& retiring = m_.memory.retiring;
  const auto it = std::find_if(retiring.begin(), retiring.end(),
                               [&](const Retiring& r) { return r.generation == e.generation; });
  if (it == retiring.end()) return;
  retiring.erase(it);
  emit(action::ForgetGeneration{e.generation});
}

void Reducer::tick_retiring() {
  auto& retiring = m_.memory.retiring;
  for (auto it = retiring.begin(); it != retiring.end();) {
    if (now_ < it->kill_at) {
      ++it;
    } else if (const std::string who = "processes of generation " + std::to_string(it->generation);
               send_next_kill(it->generation, who, it->kills, it->kill_at)) {
      ++it;
    } else {
      // Given up on: the processes are killed with the rest of the app when the supervisor ends.
      log(LogLevel::kError, who + " survived SIGKILL");
      it = retiring.erase(it);
    }
  }
}

}  // namespace sup::core::detail
