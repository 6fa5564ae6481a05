// The imperative shell: owns the kernel handles, runs the one epoll loop over the signalfd,
// the main process's pidfd, a timerfd, cgroup events and the -P pidfile watch, and carries out
// what the pure core decides (restart policy, successor election, signal plan).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/service_manager.hpp"
#include "core/config.hpp"
#include "core/notify_message.hpp"
#include "core/exit_status.hpp"
#include "core/restart_policy.hpp"
#include "os/cgroup.hpp"
#include "os/event_loop.hpp"
#include "os/listen_fds.hpp"
#include "os/notify_socket.hpp"
#include "os/privileges.hpp"
#include "os/process.hpp"
#include "os/signals.hpp"
#include "os/timer.hpp"
#include "util/unique_fd.hpp"

namespace sup::app {

class Supervisor {
 public:
  // program: the resolved absolute path; creds: the resolved -u/-g.
  Supervisor(core::Config cfg, std::string program, os::Credentials creds);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Runs until the app has ended for good and nothing of it remains; returns the exit status
  // (SPEC 3). ready_fd (from --fork) gets its byte once the app has started.
  int run(UniqueFd ready_fd);

 private:
  // What an epoll event is about.
  enum Token : std::uint64_t {
    kSignalFd = 1, kMainPidfd, kTimerFd, kCgroupEvents, kPidfileWatch,
    kNotifySocket, kNotifyFd, kWatchdogTimer, kKeepaliveTimer,
  };
  // What the single timer is armed for.
  enum class Deadline { kNone, kRestart, kKill, kPidfileWait, kGiveUpOnLeftovers, kStartTimeout };
  enum class Phase { kStarting, kRunning, kBackoff, kWaitingForPidfile, kCleaning, kDone };

  Result<void> set_up();
  Result<void> start_app();
  void handle_signal(int sig);
  void reap_children();
  void on_main_pidfd();
  void on_main_exit(std::optional<core::ExitStatus> status);
  bool elect_successor();
  void app_ended();
  void begin_cleaning();
  void check_cleaned();
  void on_timer();
  void on_timer_restart();
  void request_stop(int forward);
  void arm(Deadline what, std::int64_t at_ms);
  void finish(int code);
  std::vector<std::string> app_environment() const;

  // Readiness, sd_notify and watchdogs (notifications.cpp).
  Result<void> set_up_notifications();
  Result<void> prepare_readiness_channel(std::vector<std::pair<int, int>>& pass_fds);
  void after_start();
  bool notify_readiness() const;
  void on_ready();
  void on_notify_socket();
  void on_notify_fd();
  void apply_notification(const core::NotifyMessage& msg, pid_t sender);
  bool sender_in_app(pid_t pid) const;
  void switch_main(pid_t pid);
  void on_app_watchdog();
  void on_keepalive();
  void stop_app(int sig, const std::string& why);

  core::Config cfg_;
  std::string program_;
  std::string exe_;  // /proc/PID/exe of the first incarnation, for "same executable"
  os::Credentials creds_;

  std::optional<os::EventLoop> loop_;
  std::optional<os::SignalFd> signals_;
  std::optional<os::Timer> timer_;
  std::unique_ptr<os::AppCgroup> cgroup_;
  UniqueFd pidfile_watch_;  // inotify on the -P file's directory, while waiting for it
  UniqueFd ready_fd_;
  bool pidfile_written_ = false;

  Phase phase_ = Phase::kStarting;
  Deadline deadline_ = Deadline::kNone;
  os::Process main_;
  bool main_handled_ = true;                 // the current main's exit was dealt with
  std::optional<core::ExitStatus> main_status_;  // collected by the reaper
  core::ExitStatus last_status_;
  std::vector<int> predecessors_;
  int oom_kills_seen_ = 0;

  core::RestartHistory history_;
  int restarts_ = 0;
  std::int64_t run_started_ms_ = 0;
  bool spawn_failed_ = false;
  bool stop_requested_ = false;
  bool pending_restart_ = false;
  std::int64_t restart_delay_ms_ = 0;
  std::int64_t kill_at_ms_ = 0;
  std::optional<int> exit_code_;

  ServiceManager systemd_;
  std::optional<os::NotifySocket> notify_socket_;
  os::ListenFds listen_;
  std::optional<os::Timer> watchdog_timer_;   // the app's --watchdog deadline
  std::optional<os::Timer> keepalive_timer_;  // our WATCHDOG=1 to systemd
  UniqueFd notify_fd_;                        // --notify-fd: read end for this incarnation
  UniqueFd notify_fd_writer_;                 // its write end, until the app holds it
  bool ready_ = false;                        // this incarnation is ready
  bool ready_sent_ = false;                   // READY=1 went up to systemd
  bool reloading_ = false;                    // the app said RELOADING=1: relay its READY=1
  bool hung_ = false;                         // the app missed its watchdog deadline
};

}  // namespace sup::app
