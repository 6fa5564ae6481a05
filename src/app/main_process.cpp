// Following the main process (SPEC 5): reaping, noticing the main process's exit through its
// pidfd, and electing a successor among the app's processes.
#include <unistd.h>

#include <algorithm>

#include "app/supervisor.hpp"
#include "core/main_pid.hpp"
#include "os/pidfile.hpp"
#include "os/proc.hpp"
#include "util/log.hpp"

namespace sup::app {

void Supervisor::reap_children() {
  const bool debug = log::enabled(log::Level::kDebug);
  while (auto reaped = os::reap_one()) {
    if (!main_handled_ && reaped->pid == main_.pid()) {
      main_status_ = reaped->status;
    } else if (debug) {
      log::debug("reaped pid " + std::to_string(reaped->pid) + " (" + core::describe(reaped->status) + ")");
    }
  }
  if (!main_handled_ && main_status_) on_main_exit(main_status_);
  if (phase_ == Phase::kCleaning) {
    check_cleaned();
  } else if (phase_ == Phase::kWaitingForPidfile) {
    if (auto populated = cgroup_->populated(); populated && !*populated) {
      pidfile_watch_.reset();
      app_ended();
    }
  }
}

void Supervisor::on_main_pidfd() {
  if (main_handled_ || !os::has_exited(main_)) return;  // a stale event of an earlier main
  const pid_t exited = main_.pid();
  reap_children();
  if (main_handled_ || main_.pid() != exited) return;  // the reaper dealt with it
  // nullopt: not our child (a successor named by a hint whose parent still lives), whose
  // status is not ours to know.
  on_main_exit(main_.reap_exited());
}

void Supervisor::on_main_exit(std::optional<core::ExitStatus> status) {
  main_handled_ = true;
  hung_ = false;  // whatever hung is gone: systemd's keep-alives resume during the backoff
  loop_->remove(main_.fd());
  watchdog_timer_->disarm();
  if (deadline_ == Deadline::kStartTimeout) arm(Deadline::kNone, 0);
  const std::string who = "pid " + std::to_string(main_.pid());
  if (status) {
    std::string text = who + " " + core::describe(*status);
    const int oom = cgroup_->oom_kills();
    if (oom > oom_kills_seen_) {
      oom_kills_seen_ = oom;
      text += " (out of memory)";
    }
    log::info(text);
    last_status_ = *status;
  } else {
    log::info(who + " exited (not our child: status unknown)");
    last_status_ = core::ExitStatus::exited(0);
  }

  if (stop_requested_) {
    app_ended();
    return;
  }
  if (elect_successor()) return;
  if (!cfg_.main_pidfile.empty()) {
    // A launcher often exits before its daemon has written the pid file (SPEC 5, rule 4).
    if (auto populated = cgroup_->populated(); populated && *populated) {
      auto watch = os::watch_pidfile(cfg_.main_pidfile);
      if (watch) {
        pidfile_watch_ = std::move(*watch);
        if (loop_->add(pidfile_watch_.get(), kPidfileWatch)) {
          phase_ = Phase::kWaitingForPidfile;
          arm(Deadline::kPidfileWait, os::monotonic_ms() + cfg_.stop_timeout_ms);
          log::debug("waiting for " + cfg_.main_pidfile);
          elect_successor();  // it may have been written before the watch existed
          return;
        }
      }
      log::error("cannot watch " + cfg_.main_pidfile);
    }
  }
  app_ended();
}

bool Supervisor::elect_successor() {
  auto pids = cgroup_->pids();
  if (!pids) {
    log::error("listing the app's processes: " + pids.error().message);
    return false;
  }
  core::ElectionInput in;
  in.app = os::snapshot(*pids);
  // The old main may linger as a zombie or a dying process for a moment: never its own heir.
  std::erase_if(in.app, [&](const core::ProcInfo& p) { return p.pid == main_.pid(); });
  in.self = ::getpid();
  in.exe = exe_;
  if (!cfg_.main_pidfile.empty()) {
    // A pid file naming a process that is simply gone is stale (the daemon that crashed
    // wrote it), not suspicious: only a live outsider is worth an error line.
    if (auto contents = os::read_pidfile(cfg_.main_pidfile)) {
      if (os::is_running(contents->pid)) {
        in.pidfile_pid = contents->pid;
      } else {
        log::debug(cfg_.main_pidfile + " names pid " + std::to_string(contents->pid) + ", which is gone");
      }
    }
  }
  in.predecessors = predecessors_;
  in.main_crashed = last_status_.is_signal();
  const core::Election e = core::elect_main_pid(in);
  for (const auto& refused : e.refused) log::error("ignoring " + refused);
  if (e.kind == core::Election::Kind::kAmbiguous) {
    std::string list;
    for (int pid : e.candidates) list += " " + std::to_string(pid);
    log::info("no successor: several candidates (pids" + list + ")");
    return false;
  }
  if (e.kind != core::Election::Kind::kElected) return false;

  auto process = os::Process::adopt(e.pid);
  // The pid could have been recycled between the snapshot and pidfd_open: the start time
  // read again through the now-pinned pid must match.
  const auto it = std::find_if(in.app.begin(), in.app.end(),
                               [&](const core::ProcInfo& p) { return p.pid == e.pid; });
  const auto again = os::read_stat(e.pid);
  if (!process || !again || again->start_time != it->start_time) return false;

  const char* why = e.source == "child"         ? "successor"
                    : e.source == "predecessor" ? "rolled back"
                                                : e.source.c_str();
  log::info("main pid " + std::to_string(main_.pid()) + " -> " + std::to_string(e.pid) + " (" + why + ")");
  main_ = std::move(*process);
  main_handled_ = false;
  main_status_.reset();
  if (auto r = loop_->add(main_.fd(), kMainPidfd); !r) log::error(r.error().message);
  if (phase_ == Phase::kWaitingForPidfile) {
    loop_->remove(pidfile_watch_.get());
    pidfile_watch_.reset();
    arm(Deadline::kNone, 0);
  }
  phase_ = Phase::kRunning;
  systemd_.send("STATUS=running pid " + std::to_string(main_.pid()));
  // A successor that already died is handled by the pidfd event it triggers at once.
  return true;
}

}  // namespace sup::app
