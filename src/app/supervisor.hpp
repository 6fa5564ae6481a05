// The imperative shell around core/lifecycle: it owns the kernel handles, turns ready fds into
// lifecycle events, and carries out the actions the lifecycle returns. It holds no lifecycle
// state of its own: the machine does.
//
// Errors the shell cannot act on (a signal to a process that may be gone, a kill, a message to
// systemd) are logged as one line and the loop goes on: every such step has a lifecycle deadline
// behind it (a process that missed its stop signal is killed when the stop timeout passes). A
// failure of the loop itself (epoll_wait, the signalfd) blinds the supervisor: it kills the app
// and exits 125. A --status-file that cannot be written at start is a set-up failure (125); one
// that cannot be rewritten later is logged and removed, so that no probe takes a state that is
// over for the current one, and the next change writes it again.
#pragma once

#include <signal.h>
#include <sys/resource.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/service_manager.hpp"
#include "core/lifecycle.hpp"
#include "core/status.hpp"
#include "os/cgroup.hpp"
#include "os/event_loop.hpp"
#include "os/fd_store.hpp"
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
  // What an epoll event is about: the low byte; the rest is the generation, for the kinds that
  // belong to one.
  enum Token : std::uint64_t {
    kSignalFd = 1, kTimerFd, kCgroupEvents, kPidfileWatch, kNotifySocket,
    kMainPidfd, kNotifyFd, kGenerationEvents, kStoredFd,
  };
  static std::uint64_t token(Token kind, int generation) {
    return kind | (static_cast<std::uint64_t>(generation) << 8);
  }

  // What the shell holds for one generation of the app.
  struct Incarnation {
    os::Process main;                       // its main process, while it lives
    std::unique_ptr<os::AppCgroup> cgroup;  // its own (--hot-restart), or null: the app's
    UniqueFd ready_pipe;                    // --notify-fd: the read end
  };

  Result<void> set_up();
  Result<void> handle(std::uint64_t token);

  // Steps the machine with event, then with every event its actions answer with.
  void feed(const core::Event& event);
  void apply(core::Step step);
  std::optional<core::Event> perform(const core::Action& action);

  // Generations, their main processes and cgroups (main_process.cpp).
  std::optional<core::Event> spawn(int generation);
  Result<void> add_generation(int generation);
  void forget_generation(int generation);
  std::optional<core::Event> follow(int generation, int pid);
  std::optional<core::Event> elect(const core::action::ElectSuccessor& request);
  void set_main(int generation, os::Process process);
  void on_main_pidfd(int generation);
  void reap_children();
  void main_exited(int generation, std::optional<core::ExitStatus> status);
  std::optional<core::Event> stop_leftovers(int sig, int generation);
  void kill_all(int sig, int generation);
  void signal_main(int generation, int sig);
  os::AppCgroup& cgroup_of(int generation) const;
  bool empty(int generation) const;  // 0: the whole app
  bool in_cgroup_of(int generation, int pid) const;
  void check_emptied();
  void unwatch_pidfile();

  // The app's notify socket and --notify-fd (notifications.cpp).
  Result<void> set_up_notifications();
  Result<std::optional<std::pair<int, int>>> readiness_channel(int generation, UniqueFd& writer);
  std::vector<std::string> app_environment(const std::vector<os::PassedFd>& passed) const;
  Result<void> on_notify_socket();
  void store_fds(const core::NotifyMessage& msg, std::vector<UniqueFd> fds);
  void drop_stored(std::uint64_t id, const char* why);
  void on_notify_fd(int generation);
  std::optional<int> generation_of(int pid) const;
  bool accept_main_pid(int generation, int pid) const;

  // --status-file (status_file.cpp).
  Result<void> set_up_status_file();
  Result<void> write_status(core::Status status);
  void update_status_file();
  void remove_status_file();

  core::Settings settings_;
  os::Credentials creds_;
  sigset_t ignored_signals_{};  // ours, which the app must not inherit (set_up)
  std::optional<rlim_t> app_fd_soft_limit_;  // ours as we started, if set_up raised it
  std::string exe_;  // /proc/PID/exe of the first incarnation, for "same executable"
  core::Machine machine_;

  std::optional<os::EventLoop> loop_;
  std::optional<os::SignalFd> signals_;
  std::optional<os::Timer> timer_;  // the machine's one deadline
  std::unique_ptr<os::AppCgroup> cgroup_;  // the whole app: every generation is in it
  // Why --cgroup=auto did not get v2, logged once the app first starts (a start-up failure
  // stays one line), then cleared.
  std::string cgroup_fallback_;
  std::map<int, Incarnation> generations_;
  UniqueFd pidfile_watch_;   // inotify on the -P file's directory, while waiting for it
  ServiceManager systemd_;
  std::optional<os::NotifySocket> notify_socket_;
  os::ListenFds listen_;
  os::FdStore fd_store_;
  bool pidfile_written_ = false;
  core::SupervisorId self_;             // for --status-file
  std::optional<core::Status> status_;  // what --status-file says, once written
};

}  // namespace sup::app
