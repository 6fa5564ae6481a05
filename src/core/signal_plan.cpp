#include "core/signal_plan.hpp"

#include <algorithm>

namespace sup::core {
namespace {
constexpr int kHup = 1, kInt = 2, kQuit = 3, kUsr1 = 10, kUsr2 = 12, kAlrm = 14, kTerm = 15,
              kCont = 18, kTstp = 20, kTtin = 21, kTtou = 22, kUrg = 23, kVtalrm = 26,
              kProf = 27, kWinch = 28, kIo = 29, kPwr = 30;
constexpr int kStkflt = 16, kXcpu = 24, kXfsz = 25;
constexpr int kFirstRealTime = 32, kLastSignal = 64;  // the kernel's, not glibc's SIGRTMIN
}  // namespace

const std::vector<int>& forwarded_signals() {
  static const std::vector<int> kSignals{kHup,  kInt,  kQuit,   kTerm, kUsr1,  kUsr2,
                                         kCont, kTstp, kTtin,   kTtou, kWinch, kAlrm,
                                         kPwr,  kVtalrm, kProf, kUrg,  kIo};
  return kSignals;
}

const std::vector<int>& absorbed_signals() {
  static const std::vector<int> kSignals = [] {
    std::vector<int> s{kStkflt, kXcpu, kXfsz};
    for (int rt = kFirstRealTime; rt <= kLastSignal; ++rt) s.push_back(rt);
    return s;
  }();
  return kSignals;
}

SignalPlan plan_signal(const Config& cfg, int sig) {
  const auto& fwd = forwarded_signals();
  if (std::find(fwd.begin(), fwd.end(), sig) == fwd.end()) {
    const auto& absorbed = absorbed_signals();
    SignalPlan plan;
    plan.absorbed = std::find(absorbed.begin(), absorbed.end(), sig) != absorbed.end();
    return plan;
  }
  SignalPlan plan;
  if (sig == cfg.hot_restart_signal) {
    plan.hot_restart = true;
    return plan;
  }
  const auto mapped = cfg.signal_map.find(sig);
  if (mapped != cfg.signal_map.end()) {
    if (mapped->second == 0) return {};  // dropped: neither forwarded nor a stop request
    plan.forward = mapped->second;
  } else {
    plan.forward = sig == kTerm ? cfg.stop_signal : sig;
  }
  plan.stop = sig == kTerm || sig == kInt;
  return plan;
}

}  // namespace sup::core
