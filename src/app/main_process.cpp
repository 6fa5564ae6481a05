// The main process (SPEC 5): spawning it, holding its pidfd, noticing its exit, electing a
// successor, and the app's processes as a whole (leftovers, emptiness).
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "app/supervisor.hpp"
#include "core/main_pid.hpp"
#include "core/signal_names.hpp"
#include "os/pidfile.hpp"
#include "os/proc.hpp"
#include "os/reaper.hpp"
#include "os/spawn.hpp"
#include "os/watch.hpp"
#include "util/log.hpp"

namespace sup::app {
namespace {

std::string processes_text(std::size_t count) {
  return std::to_string(count) + " process" + (count == 1 ? "" : "es");
}

// Whether pid, pinned by a pidfd, is still the process the snapshot saw (not one that reused
// the pid since): its start time must match.
bool same_process(const std::vector<core::ProcInfo>& snapshot, int pid) {
  const auto seen = std::find_if(snapshot.begin(), snapshot.end(),
                                 [&](const core::ProcInfo& p) { return p.pid == pid; });
  auto pinned = os::Process::adopt(pid);
  const auto now = os::read_stat(pid);
  return seen != snapshot.end() && pinned && now && now->start_time == seen->start_time;
}

}  // namespace

std::optional<core::Event> Supervisor::spawn() {
  os::SpawnSpec spec;
  spec.path = settings_.program;
  spec.argv = settings_.cfg.args;
  spec.env = app_environment();
  UniqueFd ready_writer;  // --notify-fd's write end: the app holds its copy once spawned
  auto channel = readiness_channel(ready_writer);
  if (!channel) return core::event::SpawnFailed{channel.error().code, channel.error().message};
  spec.pass_fds = std::move(*channel);
  spec.credentials = creds_;
  spec.cgroup_clone_fd = cgroup_->clone_fd();
  spec.cgroup_join_fd = cgroup_->join_fd();

  auto process = os::spawn(spec);
  if (!process) {
    const Error err = std::move(process).error().with("starting " + settings_.program);
    return core::event::SpawnFailed{err.code, err.message};
  }
  const int pid = process->pid();
  set_main(std::move(*process));
  if (exe_.empty()) {
    exe_ = os::read_exe(pid);
    if (exe_.empty()) exe_ = settings_.program;  // it already exited; the resolved path will do
  }
  return core::event::Spawned{pid};
}

// pid was found to be a process of the app a moment ago (elect, accept_main_pid), with nothing
// reaped since: if it is gone now, it exited, and that exit is the main process's.
std::optional<core::Event> Supervisor::follow(int pid) {
  if (main_ && main_.pid() == pid) return std::nullopt;
  auto process = os::Process::adopt(pid);
  if (!process) {
    log::debug(process.error().message);
    set_main({});
    return core::event::MainExited{std::nullopt, 0};
  }
  set_main(std::move(*process));
  return std::nullopt;
}

// The one place the current main process changes.
void Supervisor::set_main(os::Process process) {
  if (main_) loop_->remove(main_.fd());
  main_ = std::move(process);
  if (!main_) return;
  if (auto r = loop_->add(main_.fd(), kMainPidfd); !r) log::error(r.error().message);
}

void Supervisor::on_main_pidfd() {
  if (!main_ || !os::has_exited(main_)) return;  // a stale event of an earlier main
  const int exited = main_.pid();
  reap_children();
  if (!main_ || main_.pid() != exited) return;  // the reaper dealt with it
  // nullopt: not our child (a successor named by a hint whose parent still lives), whose
  // status is not ours to know.
  main_exited(main_.reap_exited());
}

void Supervisor::reap_children() {
  const bool debug = log::enabled(log::Level::kDebug);
  std::optional<core::ExitStatus> main_status;
  while (auto reaped = os::reap_one()) {
    if (main_ && reaped->pid == main_.pid()) {
      main_status = reaped->status;
    } else if (debug) {
      log::debug("reaped pid " + std::to_string(reaped->pid) + " (" +
                 core::describe(reaped->status) + ")");
    }
  }
  if (main_status) main_exited(main_status);
  check_emptied();
}

void Supervisor::main_exited(std::optional<core::ExitStatus> status) {
  set_main({});
  feed(core::event::MainExited{status, cgroup_->oom_kills()});
}

void Supervisor::check_emptied() {
  if (core::awaits_empty(machine_) && app_empty()) feed(core::event::AppEmpty{});
}

bool Supervisor::app_empty() const {
  auto populated = cgroup_->populated();
  if (!populated) {
    log::error("checking for processes of the app: " + populated.error().message);
    return true;  // nothing to wait for that can be seen
  }
  return !*populated;
}

bool Supervisor::in_app(int pid) const {
  if (main_ && pid == main_.pid()) return true;
  if (pid == ::getpid()) return false;
  auto pids = cgroup_->pids();
  return pids && std::find(pids->begin(), pids->end(), pid) != pids->end();
}

std::optional<core::Event> Supervisor::stop_leftovers(int sig) {
  auto pids = cgroup_->pids();
  const std::size_t count = pids ? pids->size() : 0;
  if (count == 0) {
    if (app_empty()) return core::event::AppEmpty{};
    return std::nullopt;
  }
  log::info("killing " + std::to_string(count) + " leftover process" + (count == 1 ? "" : "es"));
  for (int s : {sig, SIGCONT}) {
    if (auto r = cgroup_->kill_all(s); !r) log::error(r.error().message);
  }
  return std::nullopt;
}

void Supervisor::kill_all(int sig) {
  auto pids = cgroup_->pids();
  log::info("timeout: sending " + core::signal_name(sig) + " to " +
            processes_text(pids ? pids->size() : 0));
  if (auto r = cgroup_->kill_all(sig); !r) log::error(r.error().message);
  if (!main_) return;
  if (auto r = main_.signal(sig); !r) log::error(r.error().message);
}

std::optional<core::Event> Supervisor::elect(const core::action::ElectSuccessor& request) {
  const std::string& hint_file = settings_.cfg.main_pidfile;
  auto pids = cgroup_->pids();
  if (!pids) {
    log::error("listing the app's processes: " + pids.error().message);
    return core::event::NoSuccessor{};
  }
  core::ElectionInput in;
  in.app = os::snapshot(*pids);
  // The old main may linger as a zombie or a dying process for a moment: never its own heir.
  std::erase_if(in.app, [&](const core::ProcInfo& p) { return p.pid == request.exited; });
  in.self = ::getpid();
  in.exe = exe_;
  if (!hint_file.empty()) {
    // A pid file naming a process that is simply gone is stale (the daemon that crashed
    // wrote it), not suspicious: only a live outsider is worth an error line.
    if (auto pid = os::read_pidfile(hint_file)) {
      if (os::is_running(*pid)) {
        in.pidfile_pid = *pid;
      } else {
        log::debug(hint_file + " names pid " + std::to_string(*pid) + ", which is gone");
      }
    }
  }
  in.predecessors = request.predecessors;
  in.main_crashed = request.main_crashed;
  const core::Election e = core::elect_main_pid(in);
  for (const auto& refused : e.refused) log::error("ignoring " + refused);
  if (e.kind == core::Election::Kind::kElected && same_process(in.app, e.pid)) {
    return core::event::SuccessorFound{e.pid, e.source};
  }
  if (e.kind == core::Election::Kind::kAmbiguous) {
    std::string list;
    for (int pid : e.candidates) list += " " + std::to_string(pid);
    log::info("no successor: several candidates (pids" + list + ")");
  }

  core::event::NoSuccessor none{!app_empty(), false};
  if (!request.may_wait || !none.app_populated) return none;
  // A launcher often exits before its daemon has written the pid file (SPEC 5, rule 4).
  auto watch = os::watch_directory_of(hint_file);
  if (!watch) {
    log::error("cannot watch " + hint_file + ": " + watch.error().message);
    return none;
  }
  if (auto r = loop_->add(watch->get(), kPidfileWatch); !r) {
    log::error("cannot watch " + hint_file + ": " + r.error().message);
    return none;
  }
  pidfile_watch_ = std::move(*watch);
  none.watching = true;
  return none;
}

void Supervisor::unwatch_pidfile() {
  if (!pidfile_watch_) return;
  loop_->remove(pidfile_watch_.get());
  pidfile_watch_.reset();
}

}  // namespace sup::app
