// What a signal received by the supervisor means (SPEC 6): forward it (maybe rewritten), and
// whether it requests a stop.
#pragma once

#include <vector>

#include "core/config.hpp"

namespace sup::core {

// The signals forwarded to the main process: every signal a daemon is steered with.
const std::vector<int>& forwarded_signals();

struct SignalPlan {
  int forward = 0;           // signal to send to the main process; 0: none
  bool stop = false;         // TERM and INT: no restart afterwards, SIGKILL after the timeout
  bool hot_restart = false;  // --hot-restart's signal: handled, never forwarded
};

SignalPlan plan_signal(const Config& cfg, int sig);

}  // namespace sup::core
