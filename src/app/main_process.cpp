// Generations of the app (SPEC 5, 10): spawning one, holding its main process's pidfd, noticing
// that process's exit, electing a successor, and the app's processes as a whole (leftovers,
// emptiness). With --hot-restart each generation has a cgroup of its own below the app's.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <string_view>

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

std::optional<core::Event> Supervisor::spawn(int generation) {
  // Generations that neither live nor retire are over: their handles go.
  const auto live = core::live_generations(machine_);
  std::vector<int> over;
  for (const auto& [number, incarnation] : generations_) {
    const bool retiring = std::any_of(machine_.memory.retiring.begin(),
                                      machine_.memory.retiring.end(),
                                      [&](const core::Retiring& r) { return r.generation == number; });
    if (!retiring && std::find(live.begin(), live.end(), number) == live.end()) {
      over.push_back(number);
    }
  }
  for (int number : over) forget_generation(number);
  if (auto r = add_generation(generation); !r) {
    return core::event::SpawnFailed{r.error().code, r.error().message, true};
  }
  // The listening sockets, then the fd store (SPEC 10).
  std::vector<os::PassedFd> passed = os::passed_fds(listen_);
  for (const auto& stored : fd_store_.entries()) passed.push_back({stored.fd.get(), stored.name});
  os::SpawnSpec spec;
  spec.path = settings_.program;
  spec.argv = settings_.cfg.args;
  spec.env = app_environment(passed);
  spec.pass_fds = os::listen_pass_fds(passed);
  UniqueFd ready_writer;  // --notify-fd's write end: the app holds its copy once spawned
  auto channel = readiness_channel(generation, ready_writer);
  if (!channel) {
    return core::event::SpawnFailed{channel.error().code, channel.error().message, true};
  }
  if (*channel) spec.pass_fds.push_back(**channel);
  spec.credentials = creds_;
  spec.fd_soft_limit = app_fd_soft_limit_;
  spec.ignored_signals = ignored_signals_;
  const os::AppCgroup& cgroup = cgroup_of(generation);
  spec.cgroup_clone_fd = cgroup.clone_fd();
  spec.cgroup_join_fd = cgroup.join_fd();

  bool exec_failed = false;
  auto process = os::spawn(spec, &exec_failed);
  if (!process) {
    forget_generation(generation);
    const Error err = std::move(process).error().with("starting " + settings_.program);
    return core::event::SpawnFailed{err.code, err.message, !exec_failed};
  }
  const int pid = process->pid();
  if (!cgroup_fallback_.empty()) {
    log::info(cgroup_fallback_);
    cgroup_fallback_.clear();
  }
  set_main(generation, std::move(*process));
  if (exe_.empty()) {
    exe_ = os::read_exe(pid);
    // It already exited (a launcher that forks and exits at once can): what its exe was, from
    // the file. PROGRAM itself would not do when it is a symlink or a script, whose successors
    // run the link's target or the interpreter.
    if (exe_.empty()) exe_ = os::executable_of(settings_.program);
  }
  return core::event::Spawned{pid};
}

// A generation's handles; with --hot-restart (and a cgroup to tell generations apart with),
// its own cgroup below the app's.
Result<void> Supervisor::add_generation(int generation) {
  Incarnation& incarnation = generations_[generation];
  if (settings_.cfg.hot_restart_signal == 0 || incarnation.cgroup) return {};
  auto child = cgroup_->make_child("generation-" + std::to_string(generation));
  if (!child) return std::move(child).error().with("cgroup of generation " +
                                                   std::to_string(generation));
  incarnation.cgroup = std::move(*child);
  if (!incarnation.cgroup || incarnation.cgroup->events_fd() < 0) return {};
  return loop_->add_priority_watch(incarnation.cgroup->events_fd(),
                                   token(kGenerationEvents, generation));
}

void Supervisor::forget_generation(int generation) {
  auto it = generations_.find(generation);
  if (it == generations_.end()) return;
  Incarnation& incarnation = it->second;
  set_main(generation, {});
  if (incarnation.ready_pipe) loop_->remove(incarnation.ready_pipe.get());
  if (incarnation.cgroup) {
    if (incarnation.cgroup->events_fd() >= 0) loop_->remove(incarnation.cgroup->events_fd());
    if (auto r = incarnation.cgroup->remove(); !r) {
      log::error("removing cgroup: " + r.error().message);
    }
  }
  generations_.erase(it);
}

// pid was found to be a process of the app a moment ago (elect, accept_main_pid), with nothing
// reaped since: if it is gone now, it exited, and that exit is the main process's.
std::optional<core::Event> Supervisor::follow(int generation, int pid) {
  os::Process& main = generations_[generation].main;
  if (main && main.pid() == pid) return std::nullopt;
  auto process = os::Process::adopt(pid);
  if (!process) {
    log::debug(process.error().message);
    set_main(generation, {});
    return core::event::MainExited{std::nullopt, 0, generation};
  }
  set_main(generation, std::move(*process));
  return std::nullopt;
}

// The one place a generation's main process changes.
void Supervisor::set_main(int generation, os::Process process) {
  os::Process& main = generations_[generation].main;
  if (main) loop_->remove(main.fd());
  main = std::move(process);
  if (!main) return;
  if (auto r = loop_->add(main.fd(), token(kMainPidfd, generation)); !r) {
    log::error(r.error().message);
  }
}

void Supervisor::on_main_pidfd(int generation) {
  auto it = generations_.find(generation);
  if (it == generations_.end()) return;
  const os::Process& main = it->second.main;
  if (!main || !os::has_exited(main)) return;  // a stale event of an earlier main
  const int exited = main.pid();
  reap_children();
  it = generations_.find(generation);
  if (it == generations_.end() || !it->second.main || it->second.main.pid() != exited) return;
  // nullopt: not our child (a successor named by a hint whose parent still lives), whose
  // status is not ours to know.
  main_exited(generation, it->second.main.reap_exited());
}

void Supervisor::reap_children() {
  const bool debug = log::enabled(log::Level::kDebug);
  std::vector<std::pair<int, core::ExitStatus>> mains;
  while (auto reaped = os::reap_one()) {
    const auto it = std::find_if(generations_.begin(), generations_.end(), [&](const auto& g) {
      return g.second.main && g.second.main.pid() == reaped->pid;
    });
    if (reaped->stopped_by != 0) {
      // The app has a process group of its own: reading the terminal, or writing to it under
      // `stty tostop`, stops it. Said once per stop, not left a silent hang.
      const int sig = reaped->stopped_by;
      if (it != generations_.end() && (sig == SIGTTIN || sig == SIGTTOU)) {
        log::error("pid " + std::to_string(reaped->pid) + " stopped by " + core::signal_name(sig) +
                   ": the terminal belongs to the supervisor's process group, not the app's");
      }
    } else if (it != generations_.end()) {
      mains.emplace_back(it->first, reaped->status);
    } else if (debug) {
      log::debug("reaped pid " + std::to_string(reaped->pid) + " (" +
                 core::describe(reaped->status) + ")");
    }
  }
  for (const auto& [generation, status] : mains) main_exited(generation, status);
  check_emptied();
}

void Supervisor::main_exited(int generation, std::optional<core::ExitStatus> status) {
  set_main(generation, {});
  feed(core::event::MainExited{status, cgroup_->oom_kills(), generation});
}

// Reports what emptied: a retiring generation, the whole app.
void Supervisor::check_emptied() {
  for (const auto& retiring : machine_.memory.retiring) {
    if (empty(retiring.generation)) feed(core::event::GenerationEmpty{retiring.generation});
  }
  if (core::awaits_empty(machine_) && empty(0)) feed(core::event::AppEmpty{});
}

os::AppCgroup& Supervisor::cgroup_of(int generation) const {
  const auto it = generations_.find(generation);
  return it != generations_.end() && it->second.cgroup ? *it->second.cgroup : *cgroup_;
}

bool Supervisor::empty(int generation) const {
  const auto it = generations_.find(generation);
  if (generation != 0 && (it == generations_.end() || !it->second.cgroup)) {
    // No cgroup of its own: a generation is gone with its main process.
    return it == generations_.end() || !it->second.main;
  }
  auto populated = cgroup_of(generation).populated();
  if (!populated) {
    log::error("checking for processes of the app: " + populated.error().message);
    return true;  // nothing to wait for that can be seen
  }
  return !*populated;
}

bool Supervisor::in_cgroup_of(int generation, int pid) const {
  if (pid == ::getpid()) return false;
  auto pids = cgroup_of(generation).pids();
  return pids && std::find(pids->begin(), pids->end(), pid) != pids->end();
}

void Supervisor::signal_main(int generation, int sig) {
  const auto it = generations_.find(generation);
  if (it == generations_.end() || !it->second.main) return;
  if (auto r = it->second.main.signal(sig); !r) log::error(r.error().message);
}

std::optional<core::Event> Supervisor::stop_leftovers(int sig, int generation) {
  const auto it = generations_.find(generation);
  if (generation != 0 && (it == generations_.end() || !it->second.cgroup)) {
    // Without a cgroup of its own, only its main process can be told from the others.
    if (empty(generation)) return core::event::GenerationEmpty{generation};
    signal_main(generation, sig);
    signal_main(generation, SIGCONT);
    return std::nullopt;
  }
  // Emptiness first: one read of cgroup.events where listing reads cgroup.procs and the
  // directory below (issue 11).
  if (empty(generation)) {
    if (generation != 0) return core::event::GenerationEmpty{generation};
    return core::event::AppEmpty{};
  }
  os::AppCgroup& cgroup = cgroup_of(generation);
  auto pids = cgroup.pids();
  const std::size_t count = pids ? pids->size() : 0;
  if (count == 0) return std::nullopt;
  log::info("killing " + std::to_string(count) + " leftover process" + (count == 1 ? "" : "es"));
  for (int s : {sig, SIGCONT}) {
    if (auto r = cgroup.kill_all(s); !r) log::error(r.error().message);
  }
  return std::nullopt;
}

void Supervisor::kill_all(int sig, int generation) {
  const auto it = generations_.find(generation);
  const bool whole = generation == 0;
  if (whole || (it != generations_.end() && it->second.cgroup)) {
    os::AppCgroup& cgroup = cgroup_of(generation);
    auto pids = cgroup.pids();
    const std::size_t count = pids ? pids->size() : 0;
    log::info("timeout: sending " + core::signal_name(sig) + " to " + std::to_string(count) +
              " process" + (count == 1 ? "" : "es"));
    if (auto r = cgroup.kill_all(sig); !r) log::error(r.error().message);
  }
  for (const auto& [number, incarnation] : generations_) {
    if (whole || number == generation) signal_main(number, sig);
  }
}

std::optional<core::Event> Supervisor::elect(const core::action::ElectSuccessor& request) {
  const std::string& hint_file = settings_.cfg.main_pidfile;
  const int generation = request.generation;
  const bool own = generations_.count(generation) != 0 && generations_[generation].cgroup;
  // An app that is gone has no successor, and listing it (cgroup.procs and the directory
  // below) costs more than the populated flag (issue 11): the common restart path.
  const bool populated = !empty(own ? generation : 0);
  core::ElectionInput in;
  if (populated) {
    auto pids = cgroup_of(generation).pids();
    if (!pids) {
      log::error("listing the app's processes: " + pids.error().message);
      return core::event::NoSuccessor{false, false, generation};
    }
    in.app = os::snapshot(*pids);
  }
  // The old main may linger as a zombie or a dying process for a moment: never its own heir;
  // nor is the main process of another generation (--cgroup=none cannot tell them apart).
  std::erase_if(in.app, [&](const core::ProcInfo& p) {
    if (p.pid == request.exited) return true;
    return std::any_of(generations_.begin(), generations_.end(), [&](const auto& g) {
      return g.first != generation && g.second.main && g.second.main.pid() == p.pid;
    });
  });
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
  // As PID 1, every orphan of the namespace becomes our child; without a cgroup, nothing else
  // tells the app's from those of a `podman exec`.
  in.adopts_strangers = in.self == 1 && std::string_view(cgroup_of(generation).backend()) == "none";
  if (in.adopts_strangers) in.self_session = ::getsid(0);
  in.exited = request.exited;
  in.main_failed = request.main_failed;
  in.await_exec = request.await_exec;
  in.exec_wait_over = request.exec_wait_over;
  const core::Election e = core::elect_main_pid(in);
  for (const auto& refused : e.refused) log::error("ignoring " + refused);
  if (e.kind == core::Election::Kind::kElected && same_process(in.app, e.pid)) {
    return core::event::SuccessorFound{e.pid, e.source, generation};
  }
  if (e.kind == core::Election::Kind::kPending) {
    // The machine elects again shortly; the --main-pidfile watch waits for its last word.
    return core::event::NoSuccessor{true, false, generation, true};
  }
  if (e.kind == core::Election::Kind::kAmbiguous) {
    std::string list;
    for (int pid : e.candidates) list += " " + std::to_string(pid);
    log::info("no successor: several candidates (pids" + list + ")");
  }

  core::event::NoSuccessor none{populated, false, generation};
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
