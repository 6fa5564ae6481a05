#include "core/config.hpp"

#include <algorithm>
#include <array>

#include "core/signal_names.hpp"
#include "core/signal_plan.hpp"
#include "util/strings.hpp"

namespace sup::core {
namespace {

constexpr std::int64_t kMaxDelayLimitSeconds = 31'536'000;  // a year
constexpr int kSigInt = 2, kSigTerm = 15;
// More stored fds than this is a mistake, not a configuration (systemd caps FileDescriptorStoreMax
// at 4096 too).
constexpr int kMaxFdstore = 4096;
// The app's first passed fd (sd_listen_fds' SD_LISTEN_FDS_START): sockets, then the fd store.
constexpr std::size_t kFirstPassedFd = 3;

enum class Opt {
  kFork, kPidfile, kMainPidfile, kUser, kGroup, kDelayLimit, kRestartOnError, kRestartOnCrash,
  kSuccess, kQuiet, kVersion, kHelp, kRestart, kHealthyAfter, kMaxRestarts, kNoRestart,
  kStopTimeout, kStopSignal, kKillSignal, kMapSignal, kCgroup, kWatchdog, kReady, kNotifyFd,
  kStartTimeout, kDebug, kHotRestart, kFdstoreMax, kListen, kStatusFile, kProbe,
};

struct OptionSpec {
  char short_name;  // 0: long only
  std::string_view long_name;
  bool takes_value;
  Opt id;
};

constexpr std::array<OptionSpec, 31> kOptions{{
    {'f', "fork", false, Opt::kFork},
    {'p', "pidfile", true, Opt::kPidfile},
    {'P', "main-pidfile", true, Opt::kMainPidfile},
    {'u', "user", true, Opt::kUser},
    {'g', "group", true, Opt::kGroup},
    {'l', "delay-limit", true, Opt::kDelayLimit},
    {'e', "restart-on-error", false, Opt::kRestartOnError},
    {'c', "restart-on-crash", false, Opt::kRestartOnCrash},
    {'s', "success", true, Opt::kSuccess},
    {'q', "quiet", false, Opt::kQuiet},
    {'v', "version", false, Opt::kVersion},
    {'h', "help", false, Opt::kHelp},
    {0, "restart", true, Opt::kRestart},
    {0, "healthy-after", true, Opt::kHealthyAfter},
    {0, "max-restarts", true, Opt::kMaxRestarts},
    {0, "no-restart", true, Opt::kNoRestart},
    {0, "stop-timeout", true, Opt::kStopTimeout},
    {0, "stop-signal", true, Opt::kStopSignal},
    {0, "kill-signal", true, Opt::kKillSignal},
    {0, "map-signal", true, Opt::kMapSignal},
    {0, "cgroup", true, Opt::kCgroup},
    {0, "watchdog", true, Opt::kWatchdog},
    {0, "ready", true, Opt::kReady},
    {0, "notify-fd", true, Opt::kNotifyFd},
    {0, "start-timeout", true, Opt::kStartTimeout},
    {0, "debug", false, Opt::kDebug},
    {0, "hot-restart", true, Opt::kHotRestart},
    {0, "fdstore-max", true, Opt::kFdstoreMax},
    {0, "listen", true, Opt::kListen},
    {0, "status-file", true, Opt::kStatusFile},
    {0, "probe", true, Opt::kProbe},
}};

// The name the user typed, for messages: "-l" or "--delay-limit".
std::string shown(const OptionSpec& spec, bool as_long) {
  if (as_long || spec.short_name == 0) return "--" + std::string(spec.long_name);
  return std::string("-") + spec.short_name;
}

Error bad_value(const std::string& option, std::string_view value, std::string_view expected) {
  return logic_error("invalid value for " + option + ": '" + std::string(value) + "' (" +
                     std::string(expected) + ")");
}

// A positive-or-zero duration in seconds, fractions allowed.
Result<std::int64_t> seconds_ms(const std::string& option, std::string_view value) {
  auto ms = parse_seconds_ms(value);
  if (!ms) return bad_value(option, value, "expected seconds, e.g. 10 or 0.5");
  return *ms;
}

Result<int> signal_value(const std::string& option, std::string_view value) {
  auto sig = parse_signal(value);
  if (!sig) return bad_value(option, value, "expected a signal name or number, e.g. TERM or 15");
  return *sig;
}

// "CODE|SIGNAL": a number is an exit code (0..255), a name is a signal.
Result<void> code_or_signal(const std::string& option, std::string_view value,
                            std::set<int>& codes, std::set<int>& signals) {
  if (!value.empty() && value.front() >= '0' && value.front() <= '9') {
    auto code = parse_int(value, 0, 255);
    if (!code) return bad_value(option, value, "expected an exit code 0-255 or a signal name");
    codes.insert(static_cast<int>(*code));
    return {};
  }
  auto sig = parse_signal(value);
  if (!sig) return bad_value(option, value, "expected an exit code 0-255 or a signal name");
  signals.insert(*sig);
  return {};
}

Result<void> apply(Config& cfg, Opt id, const std::string& option, std::string_view value) {
  RestartPolicy& policy = cfg.restart;
  switch (id) {
    case Opt::kFork: cfg.fork = true; return {};
    case Opt::kPidfile:
    case Opt::kMainPidfile:
    case Opt::kUser:
    case Opt::kGroup:
    case Opt::kStatusFile:
      if (value.empty()) return bad_value(option, value, "must not be empty");
      if (id == Opt::kStatusFile) cfg.status_file = value;
      if (id == Opt::kPidfile) cfg.pidfile = value;
      if (id == Opt::kMainPidfile) cfg.main_pidfile = value;
      if (id == Opt::kUser) cfg.user = value;
      if (id == Opt::kGroup) cfg.group = value;
      return {};
    case Opt::kDelayLimit: {
      auto n = parse_int(value, 0, kMaxDelayLimitSeconds);
      if (!n) return bad_value(option, value, "expected whole seconds, 0 to 31536000");
      policy.delay_limit_ms = *n * 1000;
      return {};
    }
    case Opt::kRestartOnError: policy.on_error = true; return {};
    case Opt::kRestartOnCrash: policy.on_crash = true; return {};
    case Opt::kSuccess:
      return code_or_signal(option, value, policy.success_codes, policy.success_signals);
    case Opt::kNoRestart:
      return code_or_signal(option, value, policy.no_restart_codes, policy.no_restart_signals);
    case Opt::kQuiet: ++cfg.quiet; return {};
    case Opt::kVersion: cfg.action = Config::Action::kVersion; return {};
    case Opt::kHelp: cfg.action = Config::Action::kHelp; return {};
    case Opt::kDebug: ++cfg.verbose; return {};
    case Opt::kRestart:
      if (value == "never") {
        policy.on_crash = policy.on_error = policy.on_success = false;
      } else if (value == "on-crash") {
        policy.on_crash = true; policy.on_error = policy.on_success = false;
      } else if (value == "on-error") {
        policy.on_error = true; policy.on_crash = policy.on_success = false;
      } else if (value == "on-failure") {
        policy.on_crash = policy.on_error = true; policy.on_success = false;
      } else if (value == "always") {
        policy.on_crash = policy.on_error = policy.on_success = true;
      } else {
        return bad_value(option, value, "expected never, on-crash, on-error, on-failure or always");
      }
      return {};
    case Opt::kHealthyAfter: {
      auto ms = seconds_ms(option, value);
      if (!ms) return std::move(ms).error();
      policy.healthy_after_ms = *ms;
      return {};
    }
    case Opt::kMaxRestarts: {
      const auto slash = value.find('/');
      auto n = parse_int(value.substr(0, slash), 0, 1'000'000'000);
      if (!n) return bad_value(option, value, "expected N or N/SECONDS");
      policy.max_restarts = static_cast<int>(*n);
      policy.max_restarts_window_ms = 0;
      if (slash != std::string_view::npos) {
        auto window = parse_seconds_ms(value.substr(slash + 1));
        if (!window || *window == 0) return bad_value(option, value, "expected N or N/SECONDS");
        policy.max_restarts_window_ms = *window;
      }
      return {};
    }
    case Opt::kStopTimeout: {
      auto ms = seconds_ms(option, value);
      if (!ms) return std::move(ms).error();
      cfg.stop_timeout_ms = *ms;
      return {};
    }
    case Opt::kStopSignal:
    case Opt::kKillSignal: {
      auto sig = signal_value(option, value);
      if (!sig) return std::move(sig).error();
      (id == Opt::kStopSignal ? cfg.stop_signal : cfg.kill_signal) = *sig;
      return {};
    }
    case Opt::kMapSignal: {
      const auto colon = value.find(':');
      if (colon == std::string_view::npos) return bad_value(option, value, "expected FROM:TO");
      auto from = parse_signal(value.substr(0, colon));
      const std::string_view to_text = value.substr(colon + 1);
      std::optional<int> to = to_text == "0" ? std::optional<int>(0) : parse_signal(to_text);
      if (!from || !to) return bad_value(option, value, "expected FROM:TO, signals, TO may be 0");
      const auto& forwarded = forwarded_signals();
      if (std::find(forwarded.begin(), forwarded.end(), *from) == forwarded.end()) {
        return bad_value(option, value, signal_name(*from) + " is never forwarded, so cannot be mapped");
      }
      cfg.signal_map[*from] = *to;
      return {};
    }
    case Opt::kCgroup:
      if (value == "auto") cfg.cgroup = CgroupMode::kAuto;
      else if (value == "v2") cfg.cgroup = CgroupMode::kV2;
      else if (value == "v1") cfg.cgroup = CgroupMode::kV1;
      else if (value == "none") cfg.cgroup = CgroupMode::kNone;
      else return bad_value(option, value, "expected auto, v2, v1 or none");
      return {};
    case Opt::kWatchdog:
    case Opt::kStartTimeout: {
      auto ms = seconds_ms(option, value);
      if (!ms) return std::move(ms).error();
      (id == Opt::kWatchdog ? cfg.watchdog_ms : cfg.start_timeout_ms) = *ms;
      return {};
    }
    case Opt::kReady:
      if (value == "exec") cfg.ready = ReadyMode::kExec;
      else if (value == "notify") cfg.ready = ReadyMode::kNotify;
      else return bad_value(option, value, "expected exec or notify");
      return {};
    case Opt::kProbe:
      if (value == "ready") {
        cfg.probe = ProbeKind::kReady;
      } else if (value == "alive") {
        cfg.probe = ProbeKind::kAlive;
      } else {
        return bad_value(option, value, "expected ready or alive");
      }
      cfg.action = Config::Action::kProbe;
      return {};
    case Opt::kHotRestart: {
      auto sig = signal_value(option, value);
      if (!sig) return std::move(sig).error();
      const auto& forwarded = forwarded_signals();
      if (*sig == kSigTerm || *sig == kSigInt ||
          std::find(forwarded.begin(), forwarded.end(), *sig) == forwarded.end()) {
        return bad_value(option, value,
                         "a signal that is forwarded and requests no stop, e.g. HUP or USR2");
      }
      cfg.hot_restart_signal = *sig;
      return {};
    }
    case Opt::kFdstoreMax: {
      auto n = parse_int(value, 0, kMaxFdstore);
      if (!n) return bad_value(option, value, "expected a number, 0 to " + std::to_string(kMaxFdstore));
      cfg.fdstore_max = static_cast<int>(*n);
      return {};
    }
    case Opt::kListen: {
      auto spec = parse_listen(value);
      if (!spec) return std::move(spec).error();
      cfg.listen.push_back(std::move(*spec));
      return {};
    }
    case Opt::kNotifyFd: {
      auto fd = parse_int(value, 3, 1024);
      if (!fd) return bad_value(option, value, "expected a file descriptor number, 3 to 1024");
      cfg.notify_fd = static_cast<int>(*fd);
      return {};
    }
  }
  return {};
}

const OptionSpec* find_long(std::string_view name) {
  for (const auto& spec : kOptions) {
    if (spec.long_name == name) return &spec;
  }
  return nullptr;
}

const OptionSpec* find_short(char c) {
  for (const auto& spec : kOptions) {
    if (spec.short_name == c) return &spec;
  }
  return nullptr;
}

}  // namespace

Result<Config> parse_cli(std::span<const std::string_view> args) {
  Config cfg;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg.front() != '-') break;  // the first non-option word: PROGRAM

    if (starts_with(arg, "--")) {
      const std::string_view body = arg.substr(2);
      const auto eq = body.find('=');
      const OptionSpec* spec = find_long(body.substr(0, eq));
      if (spec == nullptr) {
        return logic_error("--" + std::string(body.substr(0, eq)) +
                           ": unknown option (see --help)");
      }
      const std::string name = shown(*spec, true);
      std::string_view value;
      if (spec->takes_value) {
        if (eq != std::string_view::npos) {
          value = body.substr(eq + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return logic_error(name + ": requires a value");
        }
      } else if (eq != std::string_view::npos) {
        return logic_error(name + ": takes no value");
      }
      if (auto r = apply(cfg, spec->id, name, value); !r) return std::move(r).error();
      continue;
    }

    // A bundle of short options: "-qq", "-ce", "-l5", "-cl 5".
    for (std::size_t k = 1; k < arg.size(); ++k) {
      const OptionSpec* spec = find_short(arg[k]);
      if (spec == nullptr) {
        return logic_error("-" + std::string(1, arg[k]) + ": unknown option (see --help)");
      }
      const std::string name = shown(*spec, false);
      std::string_view value;
      if (spec->takes_value) {
        if (k + 1 < arg.size()) {
          value = arg.substr(k + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return logic_error(name + ": requires a value");
        }
        k = arg.size();
      }
      if (auto r = apply(cfg, spec->id, name, value); !r) return std::move(r).error();
    }
  }

  if (cfg.action == Config::Action::kProbe) {
    // A probe reads the file a running supervisor keeps; it starts nothing.
    if (cfg.status_file.empty()) return logic_error("--probe: requires --status-file=PATH");
    if (i < args.size()) return logic_error("--probe: starts nothing, so takes no PROGRAM");
    return cfg;
  }
  if (cfg.action != Config::Action::kRun) return cfg;
  if (i >= args.size()) {
    return logic_error("PROGRAM: missing (usage: supervisor [options] -- PROGRAM [ARGS...])");
  }
  if (args[i].empty()) return logic_error("PROGRAM: must not be empty");
  // --listen's share now, before anything runs; systemd's sockets are counted at set-up.
  if (auto r = check_notify_fd(cfg.notify_fd, cfg.listen.size()); !r) return std::move(r).error();
  cfg.program = args[i];
  for (; i < args.size(); ++i) cfg.args.emplace_back(args[i]);
  return cfg;
}

Result<void> check_notify_fd(int notify_fd, std::size_t sockets) {
  const auto last = static_cast<int>(kFirstPassedFd + sockets) - 1;
  if (notify_fd < static_cast<int>(kFirstPassedFd) || notify_fd > last) return {};
  const std::string fds = sockets == 1 ? "fd 3" : "fds 3 to " + std::to_string(last);
  return logic_error("--notify-fd=" + std::to_string(notify_fd) + ": the app gets its " +
                     std::to_string(sockets) + " listening socket" + (sockets == 1 ? "" : "s") +
                     " (LISTEN_FDS) at " + fds + "; use " + std::to_string(last + 1) + " or above");
}

std::size_t fd_store_room(const Config& cfg, std::size_t sockets) {
  const auto max = static_cast<std::size_t>(cfg.fdstore_max);
  const auto first_stored = kFirstPassedFd + sockets;
  if (cfg.notify_fd < 0 || static_cast<std::size_t>(cfg.notify_fd) < first_stored) return max;
  return std::min(max, static_cast<std::size_t>(cfg.notify_fd) - first_stored);
}

std::string usage_text() {
  return R"(supervisor: a process supervising tool
usage:
  supervisor [supervisor options] -- /path/to/app [app options ...]

options:
  -f,--fork                  fork supervisor into background
  -p,--pidfile=PATH          location to store the current supervisor PID
  -P,--main-pidfile=PATH     file in which the app writes its own main PID,
                             read as a hint when the main process exits
  -u,--user=NAME|UID         drops application user-privileges
  -g,--group=NAME|GID        drops application group-privileges
  -l,--delay-limit=N         maximum delay to sleep between restarts [80]
  -e,--restart-on-error      restart the application also on normal
                             termination but with an exit code != 0
  -c,--restart-on-crash      restart application on crash (killed by a signal)
  -s,--success=CODE|SIGNAL   treat this exit code or signal as success too
                             (repeatable; 0 always is)
  -q,--quiet                 decreases verbosity level,
                             use -qq to void runtime errors too
  -v,--version               prints program version number and exits
  -h,--help                  prints this help and exits

  --restart=POLICY           never|on-crash|on-error|on-failure|always [never]
  --healthy-after=SECONDS    a run this long resets the restart delay [10]
  --max-restarts=N[/SECONDS] give up after N restarts (within SECONDS)
  --no-restart=CODE|SIGNAL   never restart on this exit code or signal
  --stop-timeout=SECONDS     grace between the stop signal and SIGKILL [10]
  --stop-signal=SIG          what a stop sends first [TERM]
  --kill-signal=SIG          what a stop sends last [KILL]
  --map-signal=FROM:TO       forward FROM as TO, or drop it with TO=0
  --cgroup=MODE              process tracking: auto|v2|v1|none [auto]
  --watchdog=SECONDS         the app must send WATCHDOG=1 this often
  --ready=exec|notify        when the app counts as started [exec]
  --notify-fd=N              the app writes a newline to fd N when ready
  --start-timeout=SECONDS    an app not ready by then failed to start
  --listen=[NAME=]ADDRESS    bind ADDRESS before privileges are dropped and pass
                             it to every incarnation of the app with LISTEN_FDS
                             (repeatable): HOST:PORT, [IPV6]:PORT,
                             udp:HOST:PORT, unix:PATH, unix:@NAME; NAME is its
                             LISTEN_FDNAMES entry [listen]
  --hot-restart=SIGNAL       on SIGNAL, replace the app without downtime
  --fdstore-max=N            how many fds the app may keep in the supervisor [64]
  --status-file=PATH         keep the supervisor's state in PATH (JSON), rewritten
                             at every transition, removed on exit
  --probe=ready|alive        with --status-file: exit 0 if that supervisor is
                             alive and its app ready (alive: not given up),
                             else 1 with the reason; starts nothing
  --debug                    more messages

exit status:
  the app's exit code, or 128+N if it was killed by signal N;
  125 if the supervisor failed, 126 if PROGRAM cannot be executed,
  127 if PROGRAM was not found.

examples:
  supervisor -c -- /usr/sbin/x0d
  supervisor -p /var/run/xzero/supervisor.pid -- /usr/sbin/x0d --no-fork
)";
}

}  // namespace sup::core
