// The command line, turned into a Config (SPEC 2). Pure: no environment, no filesystem;
// resolving PROGRAM in PATH and user/group names is the shell's job.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/listen_address.hpp"
#include "util/result.hpp"

namespace sup::core {

enum class CgroupMode { kAuto, kV2, kV1, kNone };
enum class ReadyMode { kExec, kNotify };
enum class ProbeKind { kReady, kAlive };  // --probe (SPEC 11)

struct RestartPolicy {
  bool on_crash = false;    // killed by a signal
  bool on_error = false;    // exited with a code that is not a success code
  bool on_success = false;  // --restart=always: also after a clean exit
  std::set<int> success_codes{0};
  std::set<int> success_signals;     // -s SIGHUP: death by this signal counts as success
  std::set<int> no_restart_codes;    // --no-restart=CODE
  std::set<int> no_restart_signals;  // --no-restart=SIGNAL
  std::int64_t delay_limit_ms = 80'000;
  std::int64_t healthy_after_ms = 10'000;
  std::optional<int> max_restarts;   // give up after this many restarts …
  std::int64_t max_restarts_window_ms = 0;  // … within this window (0: ever)
};

struct Config {
  enum class Action { kRun, kHelp, kVersion, kProbe };
  Action action = Action::kRun;

  bool fork = false;
  std::string pidfile;
  std::string main_pidfile;
  std::string user;   // name or numeric id, resolved by the shell
  std::string group;
  int quiet = 0;      // -q: 1, -qq: 2
  int verbose = 0;    // --debug

  RestartPolicy restart;
  std::int64_t stop_timeout_ms = 10'000;
  int stop_signal = 15;  // SIGTERM
  int kill_signal = 9;   // SIGKILL
  std::map<int, int> signal_map;  // FROM -> TO; TO == 0 drops

  CgroupMode cgroup = CgroupMode::kAuto;
  std::int64_t watchdog_ms = 0;
  ReadyMode ready = ReadyMode::kExec;
  int notify_fd = -1;
  std::int64_t start_timeout_ms = 0;
  int hot_restart_signal = 0;  // --hot-restart: 0 for none
  int fdstore_max = 64;
  std::vector<ListenSpec> listen;  // --listen, in the order given
  std::string status_file;         // --status-file: "" for none
  ProbeKind probe = ProbeKind::kReady;  // with Action::kProbe

  std::string program;            // as given; resolved against PATH later (none for a probe)
  std::vector<std::string> args;  // argv[0] of the app first
};

// Parses argv without argv[0]. An Error's message names the bad option or value, ready to be
// printed after "supervisor: ".
Result<Config> parse_cli(std::span<const std::string_view> args);

// --notify-fd's number against the fds the app gets from 3 on (SPEC 7, 10): `sockets` of them,
// systemd's (LISTEN_FDS) and --listen's. One of those numbers would replace a socket that
// LISTEN_FDS still counts: an Error naming the option, ready to be printed after "supervisor: ".
Result<void> check_notify_fd(int notify_fd, std::size_t sockets);

// How many fds the fd store may keep: --fdstore-max, less where the stored fds, passed right
// after the `sockets`, would reach --notify-fd's number (check_notify_fd passed).
std::size_t fd_store_room(const Config& cfg, std::size_t sockets);

// The --help text, in the seed's layout.
std::string usage_text();

}  // namespace sup::core
