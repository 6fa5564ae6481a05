#include "app/supervisor.hpp"

#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>

#include "app/launch.hpp"
#include "core/main_pid.hpp"
#include "core/signal_names.hpp"
#include "core/signal_plan.hpp"
#include "os/pidfile.hpp"
#include "os/proc.hpp"
#include "os/spawn.hpp"
#include "util/log.hpp"

extern char** environ;

namespace sup::app {
namespace {

// After the final kill, how long to wait for the app's processes to vanish before giving up.
constexpr std::int64_t kLeftoverGraceMs = 5000;

// Shell-style exit status for a failed start (SPEC 3): errors that mean "this program cannot
// be run" are 126, a missing one 127; a failure of the supervisor itself (no memory, no more
// processes) is 125.
int spawn_exit_code(const Error& err) {
  switch (err.code) {
    case ENOENT: return core::kExitNotFound;
    case EACCES: case ENOEXEC: case EISDIR: case ETXTBSY: case ELOOP: case ENAMETOOLONG:
    case ENOTDIR: case EPERM: case EINVAL: case E2BIG: case ELIBBAD:
      return core::kExitNotExecutable;
    default: return core::kExitFailure;
  }
}

// "10 s", "0.5 s": a duration given in seconds on the command line, as it was given.
std::string seconds_text(std::int64_t ms) {
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    text += "." + frac;
  }
  return text + " s";
}

}  // namespace

Supervisor::Supervisor(core::Config cfg, std::string program, os::Credentials creds)
    : cfg_(std::move(cfg)),
      program_(std::move(program)),
      creds_(std::move(creds)),
      systemd_(ServiceManager::from_environment()) {}

Supervisor::~Supervisor() {
  if (cgroup_) {
    // Only reached with the app gone, or after a set-up error before it ran; make sure.
    if (auto populated = cgroup_->populated(); populated && *populated) {
      (void)cgroup_->kill_all(SIGKILL);
    }
    while (os::reap_one()) {
    }
    if (auto r = cgroup_->remove(); !r) log::error("removing cgroup: " + r.error().message);
  }
  if (pidfile_written_) os::remove_pidfile_if_ours(cfg_.pidfile, ::getpid());
}

Result<void> Supervisor::set_up() {
  std::vector<int> blocked = core::forwarded_signals();
  blocked.push_back(SIGCHLD);
  auto signals = os::SignalFd::create(blocked);
  if (!signals) return std::move(signals).error();
  signals_.emplace(std::move(*signals));
  if (auto r = os::become_subreaper(); !r) return r;

  auto loop = os::EventLoop::create();
  if (!loop) return std::move(loop).error();
  loop_.emplace(std::move(*loop));
  auto timer = os::Timer::create();
  if (!timer) return std::move(timer).error();
  timer_.emplace(std::move(*timer));

  auto cgroup = os::create_app_cgroup(cfg_.cgroup);
  if (!cgroup) return std::move(cgroup).error();
  cgroup_ = std::move(*cgroup);
  log::debug(std::string("tracking the app with cgroup backend ") + cgroup_->backend() +
             (cgroup_->path().empty() ? "" : " at " + cgroup_->path()));

  if (!cfg_.pidfile.empty()) {
    if (auto r = os::write_pidfile(cfg_.pidfile, ::getpid()); !r) return r;
    pidfile_written_ = true;
  }

  if (auto r = loop_->add(signals_->fd(), kSignalFd); !r) return r;
  if (auto r = loop_->add(timer_->fd(), kTimerFd); !r) return r;
  if (cgroup_->events_fd() >= 0) {
    if (auto r = loop_->add(cgroup_->events_fd(), kCgroupEvents); !r) return r;
  }
  return set_up_notifications();
}

std::vector<std::string> Supervisor::app_environment() const {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!core::is_service_manager_var(*e)) env.emplace_back(*e);
  }
  env.push_back("NOTIFY_SOCKET=" + notify_socket_->address());
  for (auto& entry : os::listen_env(listen_)) env.push_back(std::move(entry));
  if (cfg_.watchdog_ms > 0) {
    env.push_back("WATCHDOG_USEC=" + std::to_string(cfg_.watchdog_ms * 1000));
    env.emplace_back(os::kWatchdogPidPlaceholder);
  }
  return env;
}

Result<void> Supervisor::start_app() {
  os::SpawnSpec spec;
  spec.path = program_;
  spec.argv = cfg_.args;
  spec.env = app_environment();
  spec.pass_fds = os::listen_pass_fds(listen_);
  if (auto r = prepare_readiness_channel(spec.pass_fds); !r) return r;
  spec.credentials = creds_;
  spec.cgroup_clone_fd = cgroup_->clone_fd();
  spec.cgroup_join_fd = cgroup_->join_fd();

  auto process = os::spawn(spec);
  notify_fd_writer_.reset();  // the app holds its copy now
  if (!process) return std::move(process).error().with("starting " + program_);
  main_ = std::move(*process);
  main_handled_ = false;
  main_status_.reset();
  predecessors_.clear();
  run_started_ms_ = os::monotonic_ms();
  spawn_failed_ = false;
  phase_ = Phase::kRunning;
  if (auto r = loop_->add(main_.fd(), kMainPidfd); !r) return r;
  if (exe_.empty()) {
    exe_ = os::read_exe(main_.pid());
    if (exe_.empty()) exe_ = program_;  // it already exited; the resolved path will do
  }
  log::info("started " + program_ + " as pid " + std::to_string(main_.pid()));
  after_start();
  return {};
}

int Supervisor::run(UniqueFd ready_fd) {
  ready_fd_ = std::move(ready_fd);
  if (auto r = set_up(); !r) {
    log::fatal(r.error().message);
    return core::kExitFailure;
  }
  if (auto r = start_app(); !r) {
    log::fatal(r.error().message);
    return spawn_exit_code(r.error());
  }
  report_started(ready_fd_);

  while (!exit_code_) {
    auto tokens = loop_->wait();
    if (!tokens) {
      log::error(tokens.error().message);
      continue;
    }
    for (std::uint64_t token : *tokens) {
      switch (token) {
        case kSignalFd: {
          auto received = signals_->read_all();
          if (!received) break;
          for (const auto& s : *received) handle_signal(s.signo);
          break;
        }
        case kMainPidfd: on_main_pidfd(); break;
        case kTimerFd:
          timer_->acknowledge();
          on_timer();
          break;
        case kCgroupEvents:
          cgroup_->drain_events();
          if (phase_ == Phase::kCleaning) check_cleaned();
          break;
        case kPidfileWatch:
          os::drain_watch(pidfile_watch_.get());
          if (phase_ == Phase::kWaitingForPidfile) elect_successor();
          break;
        case kNotifySocket: on_notify_socket(); break;
        case kNotifyFd: on_notify_fd(); break;
        case kWatchdogTimer:
          watchdog_timer_->acknowledge();
          on_app_watchdog();
          break;
        case kKeepaliveTimer:
          keepalive_timer_->acknowledge();
          on_keepalive();
          break;
        default: break;
      }
      if (exit_code_) break;
    }
  }
  return *exit_code_;
}

void Supervisor::handle_signal(int sig) {
  if (sig == SIGCHLD) {
    reap_children();
    return;
  }
  const core::SignalPlan plan = core::plan_signal(cfg_, sig);
  if (plan.stop) {
    log::info("stopping: " + core::signal_name(sig));
    request_stop(plan.forward);
    return;
  }
  if (plan.forward == 0) {
    log::debug("dropping " + core::signal_name(sig));
    return;
  }
  if (phase_ != Phase::kRunning || main_handled_) {
    log::debug("no main process to forward " + core::signal_name(sig) + " to");
    return;
  }
  if (auto r = main_.signal(plan.forward); !r) log::error(r.error().message);
  // Ctrl-Z in a terminal reaches only the supervisor (the app has a process group of its
  // own): suspend ourselves as well, so the shell sees a stopped job; `fg` sends SIGCONT,
  // which is forwarded in turn (dumb-init does the same).
  if ((sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) && os::in_terminal_foreground()) {
    os::stop_self();
  }
}

void Supervisor::request_stop(int forward) {
  if (stop_requested_) {
    // A second request is forwarded again, but the deadline stays.
    if (phase_ == Phase::kRunning && !main_handled_ && forward != 0) (void)main_.signal(forward);
    return;
  }
  stop_requested_ = true;
  kill_at_ms_ = os::monotonic_ms() + cfg_.stop_timeout_ms;
  systemd_.send("STOPPING=1\nSTATUS=stopping");
  switch (phase_) {
    case Phase::kRunning:
      if (forward != 0) (void)main_.signal(forward);
      (void)main_.signal(SIGCONT);  // a stopped app must be able to act on it
      arm(Deadline::kKill, kill_at_ms_);
      break;
    case Phase::kBackoff:
      // The app is not running: end the wait and the supervisor at once.
      finish(core::to_shell_code(last_status_));
      break;
    case Phase::kWaitingForPidfile:
      pidfile_watch_.reset();
      app_ended();
      break;
    case Phase::kCleaning:
      break;  // app_ended() sees stop_requested_ when the cleaning is over
    case Phase::kStarting:
    case Phase::kDone:
      break;
  }
}

void Supervisor::app_ended() {
  pending_restart_ = false;
  if (!stop_requested_) {
    const std::int64_t now = os::monotonic_ms();
    core::RunOutcome run{last_status_, run_started_ms_, now, false, spawn_failed_};
    const auto d = core::decide_restart(cfg_.restart, history_, run, restarts_, now);
    history_ = d.history;
    if (d.kind == core::RestartDecision::Kind::kRestart) {
      pending_restart_ = true;
      restart_delay_ms_ = d.delay_ms;
      restarts_ = d.restart_number;
      const std::string text = "restarting in " + std::to_string(d.delay_ms / 1000) +
                               " s (restart " + std::to_string(d.restart_number) + ")";
      log::info(text);
      systemd_.send("STATUS=" + text);
    } else if (d.kind == core::RestartDecision::Kind::kGiveUp) {
      log::error("giving up: " + d.reason);
    }
  }
  begin_cleaning();
}

void Supervisor::begin_cleaning() {
  phase_ = Phase::kCleaning;
  auto pids = cgroup_->pids();
  const std::size_t count = pids ? pids->size() : 0;
  if (count == 0) {
    check_cleaned();
    return;
  }
  log::info("killing " + std::to_string(count) + " leftover process" + (count == 1 ? "" : "es"));
  (void)cgroup_->kill_all(cfg_.stop_signal);
  (void)cgroup_->kill_all(SIGCONT);
  arm(Deadline::kKill, stop_requested_ ? kill_at_ms_ : os::monotonic_ms() + cfg_.stop_timeout_ms);
}

void Supervisor::check_cleaned() {
  auto populated = cgroup_->populated();
  if (populated && *populated) return;
  arm(Deadline::kNone, 0);
  if (stop_requested_ || !pending_restart_) {
    finish(core::to_shell_code(last_status_));
    return;
  }
  if (restart_delay_ms_ == 0) {
    on_timer_restart();
    return;
  }
  phase_ = Phase::kBackoff;
  arm(Deadline::kRestart, os::monotonic_ms() + restart_delay_ms_);
}

void Supervisor::on_timer_restart() {
  pending_restart_ = false;
  if (auto r = start_app(); !r) {
    log::error(r.error().message);
    last_status_ = core::ExitStatus::exited(spawn_exit_code(r.error()));
    spawn_failed_ = true;
    run_started_ms_ = os::monotonic_ms();
    app_ended();
  }
}

void Supervisor::on_timer() {
  const Deadline what = deadline_;
  deadline_ = Deadline::kNone;
  switch (what) {
    case Deadline::kRestart:
      on_timer_restart();
      break;
    case Deadline::kKill: {
      auto pids = cgroup_->pids();
      const std::size_t count = pids ? pids->size() : 0;
      log::info("timeout: sending " + core::signal_name(cfg_.kill_signal) + " to " +
                std::to_string(count) + " process" + (count == 1 ? "" : "es"));
      (void)cgroup_->kill_all(cfg_.kill_signal);
      if (!main_handled_) (void)main_.signal(cfg_.kill_signal);
      arm(Deadline::kGiveUpOnLeftovers, os::monotonic_ms() + kLeftoverGraceMs);
      break;
    }
    case Deadline::kPidfileWait:
      log::info(cfg_.main_pidfile + " named no live process of the app in time");
      loop_->remove(pidfile_watch_.get());
      pidfile_watch_.reset();
      app_ended();
      break;
    case Deadline::kStartTimeout:
      spawn_failed_ = true;  // a start that never became ready failed, whatever the app does now
      stop_app(cfg_.stop_signal, "not ready after " + seconds_text(cfg_.start_timeout_ms));
      break;
    case Deadline::kGiveUpOnLeftovers:
      log::error("processes of the app survived " + core::signal_name(cfg_.kill_signal));
      finish(core::to_shell_code(last_status_));
      break;
    case Deadline::kNone:
      break;
  }
}

void Supervisor::arm(Deadline what, std::int64_t at_ms) {
  deadline_ = what;
  if (what == Deadline::kNone) {
    timer_->disarm();
    return;
  }
  if (auto r = timer_->arm_at(at_ms); !r) log::error(r.error().message);
}

void Supervisor::finish(int code) {
  phase_ = Phase::kDone;
  exit_code_ = code;
}

}  // namespace sup::app
