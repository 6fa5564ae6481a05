#include "app/service_manager.hpp"

#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "core/notify_message.hpp"
#include "os/notify_socket.hpp"
#include "util/log.hpp"

namespace sup::app {
namespace {

std::optional<std::string_view> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string_view(value);
}

}  // namespace

ServiceManager ServiceManager::from_environment() {
  ServiceManager sm;
  if (auto socket = env("NOTIFY_SOCKET")) sm.socket_ = *socket;
  if (auto usec = core::parse_watchdog_env(env("WATCHDOG_USEC"), env("WATCHDOG_PID"), ::getpid())) {
    sm.keepalive_ms_ = static_cast<std::int64_t>(*usec / 2000);
    if (sm.keepalive_ms_ == 0) sm.keepalive_ms_ = 1;
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  return sm;
}

void ServiceManager::send(const core::NotifyMessage& message) const {
  if (socket_.empty()) return;
  if (auto r = os::notify_systemd(socket_, core::format_notify(message)); !r) {
    log::debug("notifying the service manager: " + r.error().message);
  }
}

}  // namespace sup::app
