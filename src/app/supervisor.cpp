#include "app/supervisor.hpp"

#include <unistd.h>

#include <csignal>
#include <vector>

#include "app/launch.hpp"
#include "core/config.hpp"
#include "core/signal_names.hpp"
#include "core/signal_plan.hpp"
#include "os/fd_limit.hpp"
#include "os/listen_sockets.hpp"
#include "os/pidfile.hpp"
#include "os/reaper.hpp"
#include "os/watch.hpp"
#include "util/log.hpp"
#include "util/overloaded.hpp"

namespace sup::app {
namespace {

void write_log(const core::action::Log& entry) {
  switch (entry.level) {
    case core::LogLevel::kFatal: log::fatal(entry.text); break;
    case core::LogLevel::kError: log::error(entry.text); break;
    case core::LogLevel::kInfo: log::info(entry.text); break;
    case core::LogLevel::kDebug: log::debug(entry.text); break;
  }
}

}  // namespace

Supervisor::Supervisor(core::Config cfg, std::string program, os::Credentials creds)
    : settings_{std::move(cfg), std::move(program), 0},
      creds_(std::move(creds)),
      machine_{core::state::Starting{}, {}},
      systemd_(ServiceManager::from_environment()),
      fd_store_(static_cast<std::size_t>(settings_.cfg.fdstore_max)) {
  settings_.keepalive_interval_ms = systemd_.keepalive_interval_ms();
}

Supervisor::~Supervisor() {
  // First close what the clean-up does not need: at the lowest fd limits (RLIMIT_NOFILE),
  // reading the cgroup and removing it take fds of their own (issue 12).
  pidfile_watch_.reset();
  notify_socket_.reset();
  listen_.fds.clear();
  fd_store_ = os::FdStore(fd_store_.max());
  timer_.reset();
  for (auto& [number, incarnation] : generations_) incarnation.ready_pipe.reset();
  loop_.reset();
  if (cgroup_) {
    // Only reached with the app gone, or after a failure of set-up or of the loop; make sure.
    if (!empty(0)) {
      if (auto r = cgroup_->kill_all(SIGKILL); !r) log::error(r.error().message);
    }
    while (os::reap_one()) {
    }
    for (auto& [number, incarnation] : generations_) {
      if (!incarnation.cgroup) continue;
      if (auto r = incarnation.cgroup->remove(); !r) {
        log::error("removing cgroup: " + r.error().message);
      }
    }
    generations_.clear();
    if (auto r = cgroup_->remove(); !r) log::error("removing cgroup: " + r.error().message);
  }
  if (pidfile_written_) os::remove_pidfile_if_ours(settings_.cfg.pidfile, ::getpid());
  remove_status_file();
}

Result<void> Supervisor::set_up() {
  // Room for every socket and stored fd first (os/fd_limit.hpp). Without it the supervisor
  // still works, within the limit it has.
  if (auto soft = os::raise_fd_limit()) {
    app_fd_soft_limit_ = *soft;
  } else {
    log::debug(soft.error().message);
  }
  std::vector<int> blocked = core::forwarded_signals();
  blocked.push_back(SIGCHLD);  // --hot-restart's signal is one of the forwarded ones
  const auto& absorbed = core::absorbed_signals();
  blocked.insert(blocked.end(), absorbed.begin(), absorbed.end());
  auto signals = os::SignalFd::create(blocked);
  if (!signals) return std::move(signals).error();
  signals_.emplace(std::move(*signals));
  if (auto r = os::become_subreaper(); !r) return r;
  // Read once: nothing changes our dispositions after main() (SIGPIPE) and those we were
  // started with.
  ignored_signals_ = os::ignored_signals();

  auto loop = os::EventLoop::create();
  if (!loop) return std::move(loop).error();
  loop_.emplace(std::move(*loop));
  auto timer = os::Timer::create();
  if (!timer) return std::move(timer).error();
  timer_.emplace(std::move(*timer));

  // The sockets, systemd's then --listen's (SPEC 10), before anything a failure would leave
  // behind: an address in use is the user's mistake, and must leave no cgroup or pidfile.
  auto listen = os::open_listen_sockets(settings_.cfg.listen, creds_);
  if (!listen) return std::move(listen).error();
  listen_ = std::move(*listen);
  if (!listen_.empty()) {
    log::debug("passing " + std::to_string(listen_.fds.size()) + " socket(s) to the app");
  }
  // Only now are systemd's sockets counted; the fd store passes its fds right after them.
  if (auto r = core::check_notify_fd(settings_.cfg.notify_fd, listen_.fds.size()); !r) return r;
  fd_store_ = os::FdStore(core::fd_store_room(settings_.cfg, listen_.fds.size()));

  auto cgroup = os::create_app_cgroup(settings_.cfg.cgroup, &cgroup_fallback_);
  if (!cgroup) return std::move(cgroup).error();
  cgroup_ = std::move(*cgroup);
  log::debug(std::string("tracking the app with cgroup backend ") + cgroup_->backend() +
             (cgroup_->path().empty() ? "" : " at " + cgroup_->path()));

  if (!settings_.cfg.pidfile.empty()) {
    if (auto r = os::write_pidfile(settings_.cfg.pidfile, ::getpid()); !r) return r;
    pidfile_written_ = true;
  }
  if (auto r = set_up_status_file(); !r) return r;

  if (auto r = loop_->add(signals_->fd(), kSignalFd); !r) return r;
  if (auto r = loop_->add(timer_->fd(), kTimerFd); !r) return r;
  if (cgroup_->events_fd() >= 0) {
    if (auto r = loop_->add_priority_watch(cgroup_->events_fd(), kCgroupEvents); !r) return r;
  }
  return set_up_notifications();
}

int Supervisor::run(UniqueFd ready_fd) {
  if (auto r = set_up(); !r) {
    log::fatal(r.error().message);
    return core::kExitFailure;
  }
  core::NotifyMessage hello;
  hello.mainpid = ::getpid();
  systemd_.send(hello);
  apply(core::start(settings_, os::monotonic_ms()));
  // Once the app is on its way, off the start-up path: the socket files of supervisors killed
  // by SIGKILL (nothing else removes them from /run/supervisor until a reboot).
  if (notify_socket_) {
    if (int n = notify_socket_->remove_stale_neighbours(); n > 0) {
      log::debug("removed " + std::to_string(n) + " notify socket(s) of dead supervisors");
    }
  }
  // --fork's foreground is told once the app counts as started (SPEC 2, 7): exec'd, or ready
  // with --ready=notify and --notify-fd; not while its first spawn is retried (EAGAIN) nor
  // through restarts before that. If it never starts, the foreground reports the
  // supervisor's exit status instead, which the machine keeps non-zero then.
  const auto report_once_started = [&] {
    if (ready_fd && machine_.memory.ready_sent) report_started(ready_fd);
  };
  report_once_started();

  while (!std::holds_alternative<core::state::Done>(machine_.state)) {
    if (auto at = core::deadline(machine_)) {
      if (auto r = timer_->arm_at(*at); !r) log::error(r.error().message);
    } else {
      timer_->disarm();
    }
    auto tokens = loop_->wait();
    if (!tokens) {
      log::error(tokens.error().message + ": cannot go on");
      return core::kExitFailure;
    }
    for (std::uint64_t token : *tokens) {
      if (auto r = handle(token); !r) {
        log::error(r.error().message + ": cannot go on");
        return core::kExitFailure;
      }
      if (std::holds_alternative<core::state::Done>(machine_.state)) break;
    }
    report_once_started();
  }
  return std::get<core::state::Done>(machine_.state).code;
}

Result<void> Supervisor::handle(std::uint64_t token) {
  const int generation = static_cast<int>(token >> 8);
  switch (static_cast<Token>(token & 0xff)) {
    case kSignalFd: {
      auto received = signals_->read_all();
      if (!received) return std::move(received).error();
      for (int sig : *received) {
        if (sig == SIGCHLD) {
          reap_children();
        } else {
          // Only job control needs to know whether we are the terminal's foreground job: the
          // ioctls stay off the path of every other forwarded signal (issue 11).
          feed(core::event::Signal{sig, core::is_job_control(sig) && os::in_terminal_foreground()});
        }
      }
      return {};
    }
    case kMainPidfd: on_main_pidfd(generation); return {};
    case kTimerFd:
      timer_->acknowledge();
      feed(core::event::Tick{});
      return {};
    case kCgroupEvents:
      cgroup_->drain_events();
      check_emptied();
      return {};
    case kGenerationEvents:
      if (auto it = generations_.find(generation); it != generations_.end() && it->second.cgroup) {
        it->second.cgroup->drain_events();
      }
      check_emptied();
      return {};
    case kPidfileWatch:
      os::drain_watch(pidfile_watch_.get());
      feed(core::event::PidfileChanged{});
      return {};
    case kNotifySocket: return on_notify_socket();
    case kNotifyFd: on_notify_fd(generation); return {};
    case kStoredFd: drop_stored(token >> 8, "it hung up"); return {};
  }
  return {};
}

void Supervisor::feed(const core::Event& event) {
  apply(core::step(settings_, std::move(machine_), event, os::monotonic_ms()));
}

void Supervisor::apply(core::Step step) {
  // A vector read front to back, not a deque: an empty vector allocates nothing, and most
  // events (a forwarded signal) have no answer.
  std::vector<core::Event> answers;
  for (std::size_t next = 0;; ++next) {
    machine_ = std::move(step.machine);
    for (const auto& a : step.actions) {
      if (auto answer = perform(a)) answers.push_back(std::move(*answer));
    }
    if (next == answers.size()) break;
    step = core::step(settings_, std::move(machine_), answers[next], os::monotonic_ms());
  }
  // Once the machine has settled: the states it only passed through are not worth a write.
  update_status_file();
}

std::optional<core::Event> Supervisor::perform(const core::Action& action) {
  namespace act = core::action;
  return std::visit(
      Overloaded{
          [&](const act::Spawn& a) { return spawn(a.generation); },
          [&](const act::Follow& a) { return follow(a.generation, a.pid); },
          [&](const act::SignalMain& a) -> std::optional<core::Event> {
            signal_main(a.generation, a.signo);
            return std::nullopt;
          },
          [&](const act::StopLeftovers& a) { return stop_leftovers(a.signo, a.generation); },
          [&](const act::KillAll& a) -> std::optional<core::Event> {
            kill_all(a.signo, a.generation);
            return std::nullopt;
          },
          [&](const act::ForgetGeneration& a) -> std::optional<core::Event> {
            forget_generation(a.generation);
            return std::nullopt;
          },
          [&](const act::ElectSuccessor& a) { return elect(a); },
          [&](const act::UnwatchPidfile&) -> std::optional<core::Event> {
            unwatch_pidfile();
            return std::nullopt;
          },
          [&](const act::TellSystemd& a) -> std::optional<core::Event> {
            systemd_.send(a.message);
            return std::nullopt;
          },
          [&](const act::Log& a) -> std::optional<core::Event> {
            write_log(a);
            return std::nullopt;
          },
          [&](const act::SuspendSelf&) -> std::optional<core::Event> {
            os::stop_self();
            return std::nullopt;
          },
          [&](const act::Exit&) -> std::optional<core::Event> { return std::nullopt; },
      },
      action);
}

}  // namespace sup::app
