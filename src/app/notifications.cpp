// What the app hears from the supervisor and says back (SPEC 7): its environment, its notify
// socket and --notify-fd, turned into lifecycle events.
#include <unistd.h>

#include <cerrno>

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

std::vector<std::string> Supervisor::app_environment(
    const std::vector<os::PassedFd>& passed) const {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!core::is_service_manager_var(*e)) env.emplace_back(*e);
  }
  env.push_back("NOTIFY_SOCKET=" + notify_socket_->address());
  for (auto& entry : os::listen_env(passed)) env.push_back(std::move(entry));
  if (settings_.cfg.watchdog_ms > 0) {
    env.push_back("WATCHDOG_USEC=" + std::to_string(settings_.cfg.watchdog_ms * 1000));
    env.emplace_back(os::kWatchdogPidPlaceholder);
  }
  return env;
}

Result<std::optional<std::pair<int, int>>> Supervisor::readiness_channel(int generation,
                                                                          UniqueFd& writer) {
  if (settings_.cfg.notify_fd < 0) return std::optional<std::pair<int, int>>();
  // A pipe per generation: leftovers of an earlier one may still hold its writer.
  UniqueFd& reader = generations_[generation].ready_pipe;
  auto pipe = os::make_pipe();
  if (!pipe) return std::move(pipe).error().with("--notify-fd");
  reader = std::move(pipe->read_end);
  writer = std::move(pipe->write_end);
  if (auto r = loop_->add(reader.get(), token(kNotifyFd, generation)); !r) {
    return std::move(r).error();
  }
  return std::optional(std::pair(writer.get(), settings_.cfg.notify_fd));
}

void Supervisor::on_notify_fd(int generation) {
  const auto it = generations_.find(generation);
  if (it == generations_.end() || !it->second.ready_pipe) return;
  UniqueFd& reader = it->second.ready_pipe;
  bool newline = false;
  const bool open = os::drain_pipe(reader.get(), &newline);
  if (!open) {
    loop_->remove(reader.get());
    reader.reset();
  }
  if (newline) feed(core::event::ReadyLine{generation});
}

Result<void> Supervisor::on_notify_socket() {
  // At most a few per wake-up (the loop is level-triggered): an app that sends without pause
  // must not keep the supervisor from its signals and timers (issue 12). Without cgroups a
  // datagram from a process other than the main one costs a walk of /proc (ms on a busy
  // machine), so the batch is small.
  constexpr int kBatch = 16;
  for (int n = 0; n < kBatch; ++n) {
    auto received = notify_socket_->receive();
    if (!received) return std::move(received).error().with("notify socket");
    if (!*received) return {};
    os::Datagram& dg = **received;
    const std::string from = "notification from pid " + std::to_string(dg.pid);
    if (dg.truncated) {
      log::debug("dropping an oversized " + from);
      continue;
    }
    const auto generation = dg.pid > 0 ? generation_of(dg.pid) : std::nullopt;
    if (!generation) {
      log::debug("dropping a " + from + ": not a process of the app");
      continue;
    }
    auto msg = core::parse_notify(dg.bytes);
    if (!msg) {
      log::debug("dropping a " + from + ": " + msg.error().message);
      continue;
    }
    if (msg->mainpid && !accept_main_pid(*generation, *msg->mainpid)) msg->mainpid.reset();
    if (msg->fdstore || msg->fdstore_remove) store_fds(*msg, std::move(dg.fds));
    feed(core::event::Notified{std::move(*msg), dg.pid, *generation});
  }
  return {};
}

// Which live generation pid belongs to: the one whose main process it is, else the one whose
// cgroup holds it; without cgroups of their own, any process of the app speaks for the one
// serving.
std::optional<int> Supervisor::generation_of(int pid) const {
  const auto live = core::live_generations(machine_);
  for (int generation : live) {
    const auto it = generations_.find(generation);
    if (it != generations_.end() && it->second.main && it->second.main.pid() == pid) {
      return generation;
    }
  }
  for (int generation : live) {
    const auto it = generations_.find(generation);
    if (it != generations_.end() && it->second.cgroup && in_cgroup_of(generation, pid)) {
      return generation;
    }
  }
  if (live.empty()) return std::nullopt;
  const auto serving = generations_.find(live.front());
  if (serving != generations_.end() && !serving->second.cgroup && in_cgroup_of(0, pid)) {
    return live.front();
  }
  return std::nullopt;
}

// MAINPID= names the main process by the same rule as --main-pidfile (SPEC 5).
bool Supervisor::accept_main_pid(int generation, int pid) const {
  const auto it = generations_.find(generation);
  if (it != generations_.end() && it->second.main && it->second.main.pid() == pid) return true;
  core::ElectionInput in;
  if (auto pids = cgroup_of(generation).pids()) in.app = os::snapshot(*pids);
  in.self = ::getpid();
  if (core::suitable_main_pid(in, pid)) return true;
  log::error("ignoring MAINPID=" + std::to_string(pid) + ": not a live process of the app");
  return false;
}

// FDSTORE=1 keeps the datagram's fds, FDSTOREREMOVE=1 drops those stored under FDNAME=
// (SPEC 10, as systemd's sd_pid_notify_with_fds). Fds of any other datagram close with it.
void Supervisor::store_fds(const core::NotifyMessage& msg, std::vector<UniqueFd> fds) {
  const std::string name = msg.fdname.value_or("stored");
  if (msg.fdstore_remove) {
    if (!msg.fdname) {
      log::debug("FDSTOREREMOVE=1 without FDNAME=: nothing dropped");
    } else {
      for (const auto& stored : fd_store_.entries()) {
        if (stored.name == name) loop_->remove(stored.fd.get());
      }
      log::debug("dropped " + std::to_string(fd_store_.remove(name)) + " stored fds named " + name);
    }
  }
  if (!msg.fdstore || fds.empty()) return;
  const std::size_t offered = fds.size();
  const auto kept = fd_store_.add(std::move(fds), name, !msg.fdpoll_off);
  if (kept.size() < offered) {
    const int max = settings_.cfg.fdstore_max;
    const std::string limit =
        fd_store_.max() < static_cast<std::size_t>(max)
            ? "room for " + std::to_string(fd_store_.max()) +
                  " below --notify-fd=" + std::to_string(settings_.cfg.notify_fd)
            : "--fdstore-max=" + std::to_string(max);
    log::error("fd store full (" + limit + "): closing " + std::to_string(offered - kept.size()) +
               " fds named " + name);
  }
  for (std::uint64_t id : kept) {
    const os::FdStore::Entry* stored = fd_store_.find(id);
    log::debug("keeping fd " + std::to_string(stored->fd.get()) + " named " + name);
    if (!stored->poll) continue;
    // A regular file (a memfd) cannot be watched and never hangs up: EPERM is no error.
    if (auto r = loop_->add_hangup_watch(stored->fd.get(), token(kStoredFd, 0) | (id << 8));
        !r && r.error().code != EPERM) {
      log::error("watching a stored fd: " + r.error().message);
    }
  }
}

void Supervisor::drop_stored(std::uint64_t id, const char* why) {
  const os::FdStore::Entry* stored = fd_store_.find(id);
  if (stored == nullptr) return;
  log::debug("dropping stored fd named " + stored->name + ": " + why);
  loop_->remove(stored->fd.get());
  fd_store_.remove_id(id);
}

}  // namespace sup::app
