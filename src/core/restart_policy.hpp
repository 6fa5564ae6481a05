// What to do when the app has ended for good (no successor): restart, and after what delay, or
// finish. A pure function of the policy, the run that just ended, the history and the time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/exit_status.hpp"

namespace sup::core {

using Millis = std::int64_t;  // milliseconds on a monotonic clock

struct RunOutcome {
  ExitStatus status;
  Millis started_ms = 0;     // when the run began (or became ready, if it reports readiness)
  Millis ended_ms = 0;
  bool stop_requested = false;  // TERM/INT to the supervisor: never restart
  bool spawn_failed = false;    // the exec itself failed (status is 126/127)
  bool out_of_processes = false;  // fork/clone3 said EAGAIN (RLIMIT_NPROC, pids.max): retried
                                  // under any policy, never the end of the supervisor
};

// What the policy remembers between runs.
struct RestartHistory {
  int consecutive = 0;              // restarts since the last healthy run
  // For --max-restarts within a window; at most N entries. A vector: libstdc++'s deque allocates
  // when moved from, and the machine holding it is moved at every event.
  std::vector<Millis> restarts_at;
};

struct RestartDecision {
  enum class Kind { kRestart, kFinish, kGiveUp };
  Kind kind = Kind::kFinish;
  Millis delay_ms = 0;   // for kRestart
  int restart_number = 0;  // 1 for the first restart since start
  RestartHistory history;  // the history to keep for the next decision
  std::string reason;      // for the log: why we finish or give up
};

// The delay before the Nth consecutive restart (N from 1): 0, 1, 2, 4 … s, capped at limit.
Millis backoff_delay(int consecutive, Millis limit_ms);

// Whether the policy wants a restart for this status, ignoring backoff and limits.
bool wants_restart(const RestartPolicy& policy, const ExitStatus& status);

// The decision at the end of a run. The restart it may decide is not in the history yet: it
// happens later, after the leftovers are gone and the delay has passed.
RestartDecision decide_restart(const RestartPolicy& policy, const RestartHistory& history,
                               const RunOutcome& run, int total_restarts, Millis now_ms);

// A restart takes place now: it counts for --max-restarts within the window from this moment.
void record_restart(const RestartPolicy& policy, RestartHistory& history, Millis now_ms);

}  // namespace sup::core
