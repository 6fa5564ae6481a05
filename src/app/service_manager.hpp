// Talking up to systemd (SPEC 7) when the supervisor itself runs as a Type=notify service:
// MAINPID, READY, STATUS, STOPPING and watchdog keep-alives on the NOTIFY_SOCKET it was given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/notify_message.hpp"

namespace sup::app {

class ServiceManager {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, then unsets them: they describe the
  // supervisor's relation to systemd and must never reach the app.
  static ServiceManager from_environment();

  bool enabled() const { return !socket_.empty(); }
  // How often to send WATCHDOG=1 (half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises);
  // 0 when systemd expects no keep-alives from us.
  std::int64_t keepalive_interval_ms() const { return keepalive_ms_; }

  // Sends one datagram; a failure is logged at debug level, never fatal (systemd may be gone).
  void send(const core::NotifyMessage& message) const;

 private:
  std::string socket_;
  std::int64_t keepalive_ms_ = 0;
};

}  // namespace sup::app
