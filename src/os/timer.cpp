#include "os/timer.hpp"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace sup::os {

std::int64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

Result<Timer> Timer::create() {
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return errno_error("timerfd_create");
  return Timer(UniqueFd(fd));
}

Result<void> Timer::arm_at(std::int64_t at_ms) {
  itimerspec spec{};
  // An it_value of zero would disarm; 1 ns in the past fires at once.
  if (at_ms <= 0) at_ms = 1;
  spec.it_value.tv_sec = at_ms / 1000;
  spec.it_value.tv_nsec = (at_ms % 1000) * 1'000'000;
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  if (::timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    return errno_error("timerfd_settime");
  }
  armed_ = true;
  return {};
}

void Timer::disarm() {
  // The loop disarms after every event without a deadline: two system calls each time.
  if (!armed_) return;
  armed_ = false;
  itimerspec spec{};
  ::timerfd_settime(fd_.get(), 0, &spec, nullptr);
  acknowledge();
}

void Timer::acknowledge() {
  std::uint64_t expirations = 0;
  [[maybe_unused]] auto n = ::read(fd_.get(), &expirations, sizeof expirations);
}

}  // namespace sup::os
