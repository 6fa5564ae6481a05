#include "core/restart_policy.hpp"

#include "core/signal_names.hpp"

namespace sup::core {

Millis backoff_delay(int consecutive, Millis limit_ms) {
  if (consecutive <= 1) return 0;
  Millis delay = 1000;
  for (int i = 2; i < consecutive && delay < limit_ms; ++i) delay *= 2;
  return delay < limit_ms ? delay : limit_ms;
}

bool wants_restart(const RestartPolicy& policy, const ExitStatus& status) {
  if (status.is_signal()) {
    if (policy.no_restart_signals.count(status.value) != 0) return false;
    if (policy.success_signals.count(status.value) != 0) return policy.on_success;
    return policy.on_crash;
  }
  if (policy.no_restart_codes.count(status.value) != 0) return false;
  if (policy.success_codes.count(status.value) != 0) return policy.on_success;
  return policy.on_error;
}

RestartDecision decide_restart(const RestartPolicy& policy, const RestartHistory& history,
                               const RunOutcome& run, int total_restarts, Millis now_ms) {
  RestartDecision d;
  d.history = history;
  if (run.stop_requested) {
    d.reason = "stop requested";
    return d;
  }
  // A failed exec on a restart (the binary vanished mid-upgrade) is a failed run: retried with
  // backoff under any restart policy, so a later fix is picked up; never a silent tight loop.
  const bool any_restart = policy.on_crash || policy.on_error || policy.on_success;
  const bool restart =
      run.out_of_processes || (run.spawn_failed ? any_restart : wants_restart(policy, run.status));
  if (!restart) {
    d.reason = "no restart for this status";
    return d;
  }

  const bool healthy = !run.spawn_failed && run.ended_ms - run.started_ms >= policy.healthy_after_ms;
  if (healthy) d.history.consecutive = 0;

  if (policy.max_restarts) {
    if (policy.max_restarts_window_ms > 0) {
      auto& at = d.history.restarts_at;
      while (!at.empty() && now_ms - at.front() >= policy.max_restarts_window_ms) {
        at.erase(at.begin());
      }
    }
    if (static_cast<int>(d.history.restarts_at.size()) >= *policy.max_restarts) {
      d.kind = RestartDecision::Kind::kGiveUp;
      d.reason = "restarted " + std::to_string(d.history.restarts_at.size()) + " times";
      if (policy.max_restarts_window_ms > 0) {
        d.reason += " within " + std::to_string(policy.max_restarts_window_ms / 1000) + " s";
      }
      return d;
    }
  }

  d.kind = RestartDecision::Kind::kRestart;
  d.history.consecutive += 1;
  d.delay_ms = backoff_delay(d.history.consecutive, policy.delay_limit_ms);
  d.restart_number = total_restarts + 1;
  return d;
}

void record_restart(const RestartPolicy& policy, RestartHistory& history, Millis now_ms) {
  if (!policy.max_restarts) return;
  history.restarts_at.push_back(now_ms);
  // Only the last max_restarts entries can ever matter.
  while (static_cast<int>(history.restarts_at.size()) > *policy.max_restarts) {
    history.restarts_at.erase(history.restarts_at.begin());
  }
}

}  // namespace sup::core
