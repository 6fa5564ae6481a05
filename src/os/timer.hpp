// A monotonic one-shot timerfd, and the monotonic clock the core's Millis are read from.
#pragma once

#include <cstdint>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

// Milliseconds on CLOCK_MONOTONIC.
std::int64_t monotonic_ms();

class Timer {
 public:
  static Result<Timer> create();

  int fd() const noexcept { return fd_.get(); }
  // Fires once at the absolute monotonic time at_ms (at once if it has passed).
  Result<void> arm_at(std::int64_t at_ms);
  // Stops it and clears a pending expiry; nothing to do (no system call) if it was not armed.
  void disarm();
  // Clears the readable state after it fired.
  void acknowledge();

 private:
  explicit Timer(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  bool armed_ = false;  // since the last arm_at, not disarmed
};

}  // namespace sup::os
