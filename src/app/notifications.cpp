// The supervisor's side of readiness and sd_notify (SPEC 7): the app's notify socket and
// --notify-fd, MAINPID= hand-overs, the app's --watchdog, and what goes up to systemd.
#include <algorithm>
#include <csignal>

#include "app/supervisor.hpp"
#include "core/signal_names.hpp"
#include "os/pipe.hpp"
#include "util/log.hpp"

namespace sup::app {
namespace {

// STATUS= text from the app may hold anything; keep the log line one printable line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (c >= 0x20 && c != 0x7f) ? c : '?';
  return out;
}

}  // namespace

Result<void> Supervisor::set_up_notifications() {
  auto listen = os::take_listen_fds_from_env();
  if (!listen) return std::move(listen).error().with("socket activation");
  listen_ = std::move(*listen);
  if (!listen_.empty()) {
    log::debug("keeping " + std::to_string(listen_.fds.size()) + " socket(s) from LISTEN_FDS");
  }

  // Any user may connect: an app run with -u, or one that drops privileges itself, must reach
  // it; who may speak is decided per datagram from its credentials.
  auto socket = os::NotifySocket::create(os::SocketAccess::kAnyUser);
  if (!socket) return std::move(socket).error().with("notify socket");
  notify_socket_.emplace(std::move(*socket));
  if (auto r = loop_->add(notify_socket_->fd(), kNotifySocket); !r) return r;

  auto watchdog = os::Timer::create();
  if (!watchdog) return std::move(watchdog).error();
  watchdog_timer_.emplace(std::move(*watchdog));
  if (auto r = loop_->add(watchdog_timer_->fd(), kWatchdogTimer); !r) return r;

  auto keepalive = os::Timer::create();
  if (!keepalive) return std::move(keepalive).error();
  keepalive_timer_.emplace(std::move(*keepalive));
  if (auto r = loop_->add(keepalive_timer_->fd(), kKeepaliveTimer); !r) return r;
  if (systemd_.keepalive_interval_ms() > 0) {
    (void)keepalive_timer_->arm_at(os::monotonic_ms() + systemd_.keepalive_interval_ms());
  }
  systemd_.send("MAINPID=" + std::to_string(::getpid()));
  return {};
}

bool Supervisor::notify_readiness() const {
  return cfg_.ready == core::ReadyMode::kNotify || cfg_.notify_fd >= 0;
}

Result<void> Supervisor::prepare_readiness_channel(std::vector<std::pair<int, int>>& pass_fds) {
  if (cfg_.notify_fd < 0) return {};
  // A fresh pipe per incarnation: leftovers of an earlier one may still hold the old writer.
  if (notify_fd_) loop_->remove(notify_fd_.get());
  auto pipe = os::make_pipe();
  if (!pipe) return std::move(pipe).error().with("--notify-fd");
  notify_fd_ = std::move(pipe->read_end);
  notify_fd_writer_ = std::move(pipe->write_end);
  if (auto r = loop_->add(notify_fd_.get(), kNotifyFd); !r) return r;
  pass_fds.emplace_back(notify_fd_writer_.get(), cfg_.notify_fd);
  return {};
}

void Supervisor::after_start() {
  ready_ = false;
  hung_ = false;
  if (cfg_.watchdog_ms > 0) (void)watchdog_timer_->arm_at(os::monotonic_ms() + cfg_.watchdog_ms);
  if (!notify_readiness()) {
    on_ready();
  } else if (cfg_.start_timeout_ms > 0) {
    arm(Deadline::kStartTimeout, os::monotonic_ms() + cfg_.start_timeout_ms);
  }
}

void Supervisor::on_ready() {
  if (ready_ && !reloading_) return;
  const bool first = !ready_;
  ready_ = true;
  if (notify_readiness() && first) {
    log::info("pid " + std::to_string(main_.pid()) + " is ready");
    run_started_ms_ = os::monotonic_ms();  // --healthy-after counts from readiness
    if (deadline_ == Deadline::kStartTimeout) arm(Deadline::kNone, 0);
  }
  std::string up;
  if (!ready_sent_ || reloading_) up = "READY=1\n";
  ready_sent_ = true;
  reloading_ = false;
  systemd_.send(up + "STATUS=running pid " + std::to_string(main_.pid()));
}

void Supervisor::on_notify_fd() {
  bool newline = false;
  const bool open = os::drain_pipe(notify_fd_.get(), &newline);
  if (newline && phase_ == Phase::kRunning && !main_handled_) on_ready();
  if (!open) {
    loop_->remove(notify_fd_.get());
    notify_fd_.reset();
  }
}

void Supervisor::on_notify_socket() {
  for (;;) {
    auto received = notify_socket_->receive();
    if (!received) {
      log::error("notify socket: " + received.error().message);
      return;
    }
    if (!*received) return;
    const os::Datagram& dg = **received;
    if (dg.truncated) {
      log::debug("dropping an oversized notification from pid " + std::to_string(dg.pid));
      continue;
    }
    if (dg.pid <= 0 || !sender_in_app(dg.pid)) {
      log::debug("dropping a notification from pid " + std::to_string(dg.pid) +
                 ": not a process of the app");
      continue;
    }
    auto msg = core::parse_notify(dg.bytes);
    if (!msg) {
      log::debug("dropping a notification from pid " + std::to_string(dg.pid) + ": " +
                 msg.error().message);
      continue;
    }
    apply_notification(*msg, dg.pid);
  }
}

bool Supervisor::sender_in_app(pid_t pid) const {
  if (!main_handled_ && pid == main_.pid()) return true;
  if (pid == ::getpid()) return false;
  auto pids = cgroup_->pids();
  return pids && std::find(pids->begin(), pids->end(), pid) != pids->end();
}

void Supervisor::apply_notification(const core::NotifyMessage& msg, pid_t sender) {
  if (phase_ != Phase::kRunning || main_handled_) return;  // a late word from a dying app
  if (msg.status) log::debug("pid " + std::to_string(sender) + " status: " + printable(*msg.status));
  if (msg.mainpid) switch_main(*msg.mainpid);
  if (msg.reloading) {
    reloading_ = true;
    systemd_.send("RELOADING=1");
  }
  if (msg.ready) on_ready();
  if (msg.stopping) log::debug("pid " + std::to_string(sender) + " is stopping");
  if (msg.watchdog_ping && cfg_.watchdog_ms > 0 && !hung_) {
    (void)watchdog_timer_->arm_at(os::monotonic_ms() + cfg_.watchdog_ms);
  }
  if (msg.watchdog_trigger) on_app_watchdog();
  if (msg.extend_timeout_usec) {
    const std::int64_t at =
        os::monotonic_ms() + static_cast<std::int64_t>(*msg.extend_timeout_usec / 1000);
    if (deadline_ == Deadline::kStartTimeout || deadline_ == Deadline::kKill) {
      if (deadline_ == Deadline::kKill) kill_at_ms_ = at;
      arm(deadline_, at);
    }
    systemd_.send("EXTEND_TIMEOUT_USEC=" + std::to_string(*msg.extend_timeout_usec));
  }
}

void Supervisor::switch_main(pid_t pid) {
  if (pid == main_.pid()) return;
  if (pid == ::getpid() || !sender_in_app(pid)) {
    log::error("ignoring MAINPID=" + std::to_string(pid) + ": not a process of the app");
    return;
  }
  auto process = os::Process::adopt(pid);
  if (!process) {
    log::error("ignoring MAINPID=" + std::to_string(pid) + ": " + process.error().message);
    return;
  }
  log::info("main pid " + std::to_string(main_.pid()) + " -> " + std::to_string(pid) + " (MAINPID)");
  // The old main lives on for now; should the new one die first, it takes over again.
  predecessors_.push_back(main_.pid());
  loop_->remove(main_.fd());
  main_ = std::move(*process);
  main_status_.reset();
  if (auto r = loop_->add(main_.fd(), kMainPidfd); !r) log::error(r.error().message);
  systemd_.send("STATUS=running pid " + std::to_string(pid));
}

void Supervisor::on_app_watchdog() {
  if (phase_ != Phase::kRunning || main_handled_ || hung_ || stop_requested_) return;
  hung_ = true;
  log::info("pid " + std::to_string(main_.pid()) + " missed its watchdog deadline: sending SIGABRT");
  (void)main_.signal(SIGABRT);
  arm(Deadline::kKill, os::monotonic_ms() + cfg_.stop_timeout_ms);
}

void Supervisor::on_keepalive() {
  if (!hung_) systemd_.send("WATCHDOG=1");
  (void)keepalive_timer_->arm_at(os::monotonic_ms() + systemd_.keepalive_interval_ms());
}

void Supervisor::stop_app(int sig, const std::string& why) {
  if (main_handled_) return;
  log::info("pid " + std::to_string(main_.pid()) + " " + why + ": sending " + core::signal_name(sig));
  (void)main_.signal(sig);
  (void)main_.signal(SIGCONT);
  arm(Deadline::kKill, os::monotonic_ms() + cfg_.stop_timeout_ms);
}

}  // namespace sup::app
