// What a signal received by the supervisor means (SPEC 6): forward it (maybe rewritten), and
// whether it requests a stop.
#pragma once

#include <vector>

#include "core/config.hpp"

namespace sup::core {

// The signals forwarded to the main process: every signal a daemon is steered with.
const std::vector<int>& forwarded_signals();

// Signals the app is not steered with whose default action would end the supervisor and leave
// the app running (SIGSTKFLT, SIGXCPU, SIGXFSZ, the real-time ones, 32 and 33 included): caught,
// logged and ignored. Never the synchronous faults: a real fault must still end us (the kernel
// forces those through a mask), and SIGABRT's core dump is what systemd's watchdog asks for.
const std::vector<int>& absorbed_signals();

struct SignalPlan {
  int forward = 0;           // signal to send to the main process; 0: none
  bool absorbed = false;     // one of absorbed_signals(): not forwarded, said so
  bool stop = false;         // TERM and INT: no restart afterwards, SIGKILL after the timeout
  bool hot_restart = false;  // --hot-restart's signal: handled, never forwarded
};

SignalPlan plan_signal(const Config& cfg, int sig);

}  // namespace sup::core
