// What the app hears from the supervisor and says back (SPEC 7): its environment, its notify
// socket and --notify-fd, turned into lifecycle events.
#include <unistd.h>

#include "app/supervisor.hpp"
#include "core/main_pid.hpp"
#include "os/pipe.hpp"
#include "os/proc.hpp"
#include "util/log.hpp"

extern char** environ;

namespace sup::app {

Result<void> Supervisor::set_up_notifications() {
  // Any user may connect: an app run with -u, or one that drops privileges itself, must reach
  // it; who may speak is decided per datagram from its credentials.
  auto socket = os::NotifySocket::create(os::SocketAccess::kAnyUser);
  if (!socket) return std::move(socket).error().with("notify socket");
  notify_socket_.emplace(std::move(*socket));
  return loop_->add(notify_socket_->fd(), kNotifySocket);
}

std::vector<std::string> Supervisor::app_environment() const {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!core::is_service_manager_var(*e)) env.emplace_back(*e);
  }
  env.push_back("NOTIFY_SOCKET=" + notify_socket_->address());
  for (auto& entry : os::listen_env(listen_)) env.push_back(std::move(entry));
  if (settings_.cfg.watchdog_ms > 0) {
    env.push_back("WATCHDOG_USEC=" + std::to_string(settings_.cfg.watchdog_ms * 1000));
    env.emplace_back(os::kWatchdogPidPlaceholder);
  }
  return env;
}

Result<std::vector<std::pair<int, int>>> Supervisor::readiness_channel(UniqueFd& writer) {
  auto pass_fds = os::listen_pass_fds(listen_);
  if (settings_.cfg.notify_fd < 0) return pass_fds;
  // A fresh pipe per incarnation: leftovers of an earlier one may still hold the old writer.
  if (notify_fd_) loop_->remove(notify_fd_.get());
  auto pipe = os::make_pipe();
  if (!pipe) return std::move(pipe).error().with("--notify-fd");
  notify_fd_ = std::move(pipe->read_end);
  writer = std::move(pipe->write_end);
  if (auto r = loop_->add(notify_fd_.get(), kNotifyFd); !r) return std::move(r).error();
  pass_fds.emplace_back(writer.get(), settings_.cfg.notify_fd);
  return pass_fds;
}

void Supervisor::on_notify_fd() {
  bool newline = false;
  const bool open = os::drain_pipe(notify_fd_.get(), &newline);
  if (newline) feed(core::event::ReadyLine{});
  if (!open) {
    loop_->remove(notify_fd_.get());
    notify_fd_.reset();
  }
}

Result<void> Supervisor::on_notify_socket() {
  for (;;) {
    auto received = notify_socket_->receive();
    if (!received) return std::move(received).error().with("notify socket");
    if (!*received) return {};
    const os::Datagram& dg = **received;
    const std::string from = "notification from pid " + std::to_string(dg.pid);
    if (dg.truncated) {
      log::debug("dropping an oversized " + from);
      continue;
    }
    if (dg.pid <= 0 || !in_app(dg.pid)) {
      log::debug("dropping a " + from + ": not a process of the app");
      continue;
    }
    auto msg = core::parse_notify(dg.bytes);
    if (!msg) {
      log::debug("dropping a " + from + ": " + msg.error().message);
      continue;
    }
    if (msg->mainpid && !accept_main_pid(*msg->mainpid)) msg->mainpid.reset();
    feed(core::event::Notified{std::move(*msg), dg.pid});
  }
}

// MAINPID= names the main process by the same rule as --main-pidfile (SPEC 5).
bool Supervisor::accept_main_pid(int pid) const {
  if (main_ && pid == main_.pid()) return true;
  core::ElectionInput in;
  if (auto pids = cgroup_->pids()) in.app = os::snapshot(*pids);
  in.self = ::getpid();
  if (core::suitable_main_pid(in, pid)) return true;
  log::error("ignoring MAINPID=" + std::to_string(pid) + ": not a live process of the app");
  return false;
}

}  // namespace sup::app
