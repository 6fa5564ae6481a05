// parse_cli and usage_text (SPEC 2): every option, short and long, bundles, where options end,
// and every error naming the offending option and value.
#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <csignal>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sup::core {
namespace {

using Action = Config::Action;

Result<Config> parse(const std::vector<std::string>& words) {
  std::vector<std::string_view> views(words.begin(), words.end());
  return parse_cli(views);
}

// Parses and expects success; on failure reports the error message.
Config ok(const std::vector<std::string>& words) {
  auto r = parse(words);
  EXPECT_TRUE(r.has_value()) << "unexpected error: " << (r ? std::string() : r.error().message);
  if (!r) return Config{};
  return *std::move(r);
}

// Parses and expects failure; returns the message.
std::string err(const std::vector<std::string>& words) {
  auto r = parse(words);
  EXPECT_FALSE(r.has_value()) << "expected an error";
  if (r) return {};
  return r.error().message;
}

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Defaults (SPEC 2 brackets).

TEST(ConfigDefaults, MatchSpec) {
  const Config c = ok({"--", "/bin/app"});
  EXPECT_EQ(c.action, Action::kRun);
  EXPECT_FALSE(c.fork);
  EXPECT_EQ(c.pidfile, "");
  EXPECT_EQ(c.main_pidfile, "");
  EXPECT_EQ(c.user, "");
  EXPECT_EQ(c.group, "");
  EXPECT_EQ(c.quiet, 0);
  EXPECT_EQ(c.verbose, 0);
  EXPECT_FALSE(c.restart.on_crash);
  EXPECT_FALSE(c.restart.on_error);
  EXPECT_FALSE(c.restart.on_success);
  EXPECT_EQ(c.restart.success_codes, (std::set<int>{0}));
  EXPECT_TRUE(c.restart.success_signals.empty());
  EXPECT_TRUE(c.restart.no_restart_codes.empty());
  EXPECT_TRUE(c.restart.no_restart_signals.empty());
  EXPECT_EQ(c.restart.delay_limit_ms, 80'000);
  EXPECT_EQ(c.restart.healthy_after_ms, 10'000);
  EXPECT_FALSE(c.restart.max_restarts.has_value());
  EXPECT_EQ(c.stop_timeout_ms, 10'000);
  EXPECT_EQ(c.stop_signal, SIGTERM);
  EXPECT_EQ(c.kill_signal, SIGKILL);
  EXPECT_TRUE(c.signal_map.empty());
  EXPECT_EQ(c.cgroup, CgroupMode::kAuto);
  EXPECT_EQ(c.ready, ReadyMode::kExec);
  EXPECT_EQ(c.watchdog_ms, 0);
  EXPECT_EQ(c.notify_fd, -1);
  EXPECT_EQ(c.program, "/bin/app");
  EXPECT_EQ(c.args, (std::vector<std::string>{"/bin/app"}));
}

// ---------------------------------------------------------------------------------------------
// Flags without values, short and long.

struct FlagCase {
  std::vector<std::string> words;  // options only; "-- /bin/app" is appended
  bool fork, on_crash, on_error;
  int quiet, verbose;
};

class ConfigFlags : public ::testing::TestWithParam<FlagCase> {};

TEST_P(ConfigFlags, Apply) {
  const FlagCase& tc = GetParam();
  auto words = tc.words;
  words.push_back("--");
  words.push_back("/bin/app");
  const Config c = ok(words);
  SCOPED_TRACE(joined(words));
  EXPECT_EQ(c.fork, tc.fork);
  EXPECT_EQ(c.restart.on_crash, tc.on_crash);
  EXPECT_EQ(c.restart.on_error, tc.on_error);
  EXPECT_FALSE(c.restart.on_success);
  EXPECT_EQ(c.quiet, tc.quiet);
  EXPECT_EQ(c.verbose, tc.verbose);
  EXPECT_EQ(c.action, Action::kRun);
  EXPECT_EQ(c.program, "/bin/app");
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigFlags,
    ::testing::Values(
        FlagCase{{}, false, false, false, 0, 0},
        FlagCase{{"-f"}, true, false, false, 0, 0},
        FlagCase{{"--fork"}, true, false, false, 0, 0},
        FlagCase{{"-c"}, false, true, false, 0, 0},
        FlagCase{{"--restart-on-crash"}, false, true, false, 0, 0},
        FlagCase{{"-e"}, false, false, true, 0, 0},
        FlagCase{{"--restart-on-error"}, false, false, true, 0, 0},
        FlagCase{{"-c", "-e"}, false, true, true, 0, 0},
        FlagCase{{"-ce"}, false, true, true, 0, 0},
        FlagCase{{"-ec"}, false, true, true, 0, 0},
        FlagCase{{"-q"}, false, false, false, 1, 0},
        FlagCase{{"--quiet"}, false, false, false, 1, 0},
        FlagCase{{"-qq"}, false, false, false, 2, 0},
        FlagCase{{"-q", "-q"}, false, false, false, 2, 0},
        FlagCase{{"-q", "--quiet"}, false, false, false, 2, 0},
        FlagCase{{"--debug"}, false, false, false, 0, 1},
        FlagCase{{"-fceqq"}, true, true, true, 2, 0},
        FlagCase{{"-f", "--restart-on-crash", "-e", "-q", "--debug"}, true, true, true, 1, 1}));

// ---------------------------------------------------------------------------------------------
// Options with string values: -p -P -u -g, in every spelling.

struct StringOptCase {
  std::vector<std::string> words;
  std::string Config::*field;
  std::string expected;
};

class ConfigStringOpts : public ::testing::TestWithParam<StringOptCase> {};

TEST_P(ConfigStringOpts, Apply) {
  const StringOptCase& tc = GetParam();
  auto words = tc.words;
  words.push_back("/bin/app");
  SCOPED_TRACE(joined(words));
  const Config c = ok(words);
  EXPECT_EQ(c.*(tc.field), tc.expected);
  EXPECT_EQ(c.program, "/bin/app");
  EXPECT_EQ(c.args, (std::vector<std::string>{"/bin/app"}));
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigStringOpts,
    ::testing::Values(
        StringOptCase{{"-p", "/run/s.pid"}, &Config::pidfile, "/run/s.pid"},
        StringOptCase{{"-p/run/s.pid"}, &Config::pidfile, "/run/s.pid"},
        StringOptCase{{"--pidfile=/run/s.pid"}, &Config::pidfile, "/run/s.pid"},
        StringOptCase{{"--pidfile", "/run/s.pid"}, &Config::pidfile, "/run/s.pid"},
        StringOptCase{{"--pidfile=a=b"}, &Config::pidfile, "a=b"},
        StringOptCase{{"-P", "/run/app.pid"}, &Config::main_pidfile, "/run/app.pid"},
        StringOptCase{{"-P/run/app.pid"}, &Config::main_pidfile, "/run/app.pid"},
        StringOptCase{{"--main-pidfile=/run/app.pid"}, &Config::main_pidfile, "/run/app.pid"},
        StringOptCase{{"--main-pidfile", "/run/app.pid"}, &Config::main_pidfile, "/run/app.pid"},
        StringOptCase{{"-u", "www-data"}, &Config::user, "www-data"},
        StringOptCase{{"-u33"}, &Config::user, "33"},
        StringOptCase{{"--user=www-data"}, &Config::user, "www-data"},
        StringOptCase{{"--user", "1000"}, &Config::user, "1000"},
        StringOptCase{{"-g", "nogroup"}, &Config::group, "nogroup"},
        StringOptCase{{"-g65534"}, &Config::group, "65534"},
        StringOptCase{{"--group=nogroup"}, &Config::group, "nogroup"},
        StringOptCase{{"--group", "65534"}, &Config::group, "65534"},
        // A value that looks like an option is still the value.
        StringOptCase{{"-p", "-c"}, &Config::pidfile, "-c"},
        StringOptCase{{"--pidfile", "--fork"}, &Config::pidfile, "--fork"},
        // In a bundle the value option takes the rest of the word or the next word.
        StringOptCase{{"-fp", "/x.pid"}, &Config::pidfile, "/x.pid"},
        StringOptCase{{"-fp/x.pid"}, &Config::pidfile, "/x.pid"}));

TEST(ConfigStringOpts, LastOneWins) {
  const Config c = ok({"-p", "/a", "--pidfile=/b", "/bin/app"});
  EXPECT_EQ(c.pidfile, "/b");
}

// ---------------------------------------------------------------------------------------------
// -l / --delay-limit.

struct DelayCase {
  std::vector<std::string> words;
  std::int64_t limit_ms;
  bool on_crash;
};

class ConfigDelayLimit : public ::testing::TestWithParam<DelayCase> {};

TEST_P(ConfigDelayLimit, Apply) {
  const DelayCase& tc = GetParam();
  auto words = tc.words;
  words.push_back("/bin/app");
  SCOPED_TRACE(joined(words));
  const Config c = ok(words);
  EXPECT_EQ(c.restart.delay_limit_ms, tc.limit_ms);
  EXPECT_EQ(c.restart.on_crash, tc.on_crash);
  EXPECT_EQ(c.program, "/bin/app");
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigDelayLimit,
    ::testing::Values(DelayCase{{"-l", "5"}, 5'000, false},
                      DelayCase{{"-l5"}, 5'000, false},
                      DelayCase{{"-l", "0"}, 0, false},
                      DelayCase{{"-l", "80"}, 80'000, false},
                      DelayCase{{"-l", "3600"}, 3'600'000, false},
                      DelayCase{{"--delay-limit=7"}, 7'000, false},
                      DelayCase{{"--delay-limit", "7"}, 7'000, false},
                      DelayCase{{"-cl", "5"}, 5'000, true},
                      DelayCase{{"-cl5"}, 5'000, true},
                      DelayCase{{"-l", "5", "-l", "6"}, 6'000, false}));

// ---------------------------------------------------------------------------------------------
// -s / --success and --no-restart: codes and signal names.

TEST(ConfigSuccess, CodesShortAndLong) {
  const Config c = ok({"-s", "3", "-s4", "--success=5", "--success", "6", "/bin/app"});
  EXPECT_EQ(c.restart.success_codes, (std::set<int>{0, 3, 4, 5, 6}));
  EXPECT_TRUE(c.restart.success_signals.empty());
}

TEST(ConfigSuccess, ZeroAlwaysSuccess) {
  EXPECT_EQ(ok({"-s", "2", "/bin/app"}).restart.success_codes, (std::set<int>{0, 2}));
  EXPECT_EQ(ok({"-s", "0", "/bin/app"}).restart.success_codes, (std::set<int>{0}));
  EXPECT_EQ(ok({"-s", "255", "/bin/app"}).restart.success_codes, (std::set<int>{0, 255}));
}

TEST(ConfigSuccess, SignalNames) {
  const Config c = ok({"-s", "SIGHUP", "--success=TERM", "-s", "usr1", "/bin/app"});
  EXPECT_EQ(c.restart.success_signals, (std::set<int>{SIGHUP, SIGTERM, SIGUSR1}));
  EXPECT_EQ(c.restart.success_codes, (std::set<int>{0}));
}

TEST(ConfigNoRestart, CodesAndSignals) {
  const Config c = ok({"--no-restart=2", "--no-restart", "78", "--no-restart=SIGKILL",
                       "--no-restart=segv", "/bin/app"});
  EXPECT_EQ(c.restart.no_restart_codes, (std::set<int>{2, 78}));
  EXPECT_EQ(c.restart.no_restart_signals, (std::set<int>{SIGKILL, SIGSEGV}));
  // --no-restart does not touch the success sets.
  EXPECT_EQ(c.restart.success_codes, (std::set<int>{0}));
  EXPECT_TRUE(c.restart.success_signals.empty());
}

// ---------------------------------------------------------------------------------------------
// --restart=POLICY and its interplay with -c / -e.

struct RestartCase {
  std::vector<std::string> words;
  bool on_crash, on_error, on_success;
};

class ConfigRestart : public ::testing::TestWithParam<RestartCase> {};

TEST_P(ConfigRestart, Apply) {
  const RestartCase& tc = GetParam();
  auto words = tc.words;
  words.push_back("/bin/app");
  SCOPED_TRACE(joined(words));
  const Config c = ok(words);
  EXPECT_EQ(c.restart.on_crash, tc.on_crash);
  EXPECT_EQ(c.restart.on_error, tc.on_error);
  EXPECT_EQ(c.restart.on_success, tc.on_success);
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigRestart,
    ::testing::Values(RestartCase{{"--restart=never"}, false, false, false},
                      RestartCase{{"--restart=on-crash"}, true, false, false},
                      RestartCase{{"--restart=on-error"}, false, true, false},
                      RestartCase{{"--restart=on-failure"}, true, true, false},
                      RestartCase{{"--restart=always"}, true, true, true},
                      RestartCase{{"--restart", "always"}, true, true, true},
                      // -c = on-crash, -e = on-error, both = on-failure.
                      RestartCase{{"-c"}, true, false, false},
                      RestartCase{{"-e"}, false, true, false},
                      RestartCase{{"-ce"}, true, true, false},
                      // The later option wins.
                      RestartCase{{"-ce", "--restart=never"}, false, false, false},
                      RestartCase{{"--restart=always", "--restart=on-crash"}, true, false, false},
                      RestartCase{{"--restart=on-error", "-c"}, true, true, false},
                      RestartCase{{"--restart=never", "-e"}, false, true, false}));

// ---------------------------------------------------------------------------------------------
// Durations.

TEST(ConfigDurations, HealthyAfter) {
  EXPECT_EQ(ok({"--healthy-after=30", "/bin/app"}).restart.healthy_after_ms, 30'000);
  EXPECT_EQ(ok({"--healthy-after", "2.5", "/bin/app"}).restart.healthy_after_ms, 2'500);
  EXPECT_EQ(ok({"--healthy-after=0", "/bin/app"}).restart.healthy_after_ms, 0);
}

TEST(ConfigDurations, StopTimeout) {
  EXPECT_EQ(ok({"--stop-timeout=3", "/bin/app"}).stop_timeout_ms, 3'000);
  EXPECT_EQ(ok({"--stop-timeout=0.5", "/bin/app"}).stop_timeout_ms, 500);
  EXPECT_EQ(ok({"--stop-timeout", "2.25", "/bin/app"}).stop_timeout_ms, 2'250);
  EXPECT_EQ(ok({"--stop-timeout=0", "/bin/app"}).stop_timeout_ms, 0);
}

TEST(ConfigDurations, Watchdog) {
  EXPECT_EQ(ok({"--watchdog=20", "/bin/app"}).watchdog_ms, 20'000);
  EXPECT_EQ(ok({"--watchdog", "1.5", "/bin/app"}).watchdog_ms, 1'500);
}

TEST(ConfigDurations, StartTimeout) {
  EXPECT_EQ(ok({"--start-timeout=90", "/bin/app"}).start_timeout_ms, 90'000);
  EXPECT_EQ(ok({"--start-timeout", "0.25", "/bin/app"}).start_timeout_ms, 250);
}

// ---------------------------------------------------------------------------------------------
// --max-restarts=N[/SECONDS].

TEST(ConfigMaxRestarts, CountOnly) {
  const Config c = ok({"--max-restarts=5", "/bin/app"});
  ASSERT_TRUE(c.restart.max_restarts.has_value());
  EXPECT_EQ(*c.restart.max_restarts, 5);
  EXPECT_EQ(c.restart.max_restarts_window_ms, 0);
}

TEST(ConfigMaxRestarts, CountAndWindow) {
  const Config c = ok({"--max-restarts", "3/60", "/bin/app"});
  ASSERT_TRUE(c.restart.max_restarts.has_value());
  EXPECT_EQ(*c.restart.max_restarts, 3);
  EXPECT_EQ(c.restart.max_restarts_window_ms, 60'000);
}

TEST(ConfigMaxRestarts, FractionalWindow) {
  const Config c = ok({"--max-restarts=10/2.5", "/bin/app"});
  EXPECT_EQ(*c.restart.max_restarts, 10);
  EXPECT_EQ(c.restart.max_restarts_window_ms, 2'500);
}

TEST(ConfigMaxRestarts, LaterWithoutWindowClearsWindow) {
  const Config c = ok({"--max-restarts=3/60", "--max-restarts=4", "/bin/app"});
  EXPECT_EQ(*c.restart.max_restarts, 4);
  EXPECT_EQ(c.restart.max_restarts_window_ms, 0);
}

// ---------------------------------------------------------------------------------------------
// Signals: --stop-signal, --kill-signal, --map-signal.

TEST(ConfigSignals, StopAndKillSignal) {
  struct Case {
    std::string option;
    int Config::*field;
    int expected;
  };
  const Case cases[] = {
      {"--stop-signal=QUIT", &Config::stop_signal, SIGQUIT},
      {"--stop-signal=SIGINT", &Config::stop_signal, SIGINT},
      {"--stop-signal=winch", &Config::stop_signal, SIGWINCH},
      {"--stop-signal=3", &Config::stop_signal, 3},
      {"--kill-signal=TERM", &Config::kill_signal, SIGTERM},
      {"--kill-signal=SIGKILL", &Config::kill_signal, SIGKILL},
      {"--kill-signal=9", &Config::kill_signal, 9},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.option);
    const Config c = ok({tc.option, "/bin/app"});
    EXPECT_EQ(c.*(tc.field), tc.expected);
  }
  // Separate-word form.
  EXPECT_EQ(ok({"--stop-signal", "HUP", "/bin/app"}).stop_signal, SIGHUP);
  EXPECT_EQ(ok({"--kill-signal", "ABRT", "/bin/app"}).kill_signal, SIGABRT);
  // One does not change the other.
  const Config c = ok({"--stop-signal=QUIT", "/bin/app"});
  EXPECT_EQ(c.kill_signal, SIGKILL);
}

TEST(ConfigSignals, MapSignal) {
  const Config c = ok({"--map-signal=TERM:QUIT", "--map-signal", "SIGHUP:SIGUSR2",
                       "--map-signal=winch:0", "--map-signal=10:12", "/bin/app"});
  const std::map<int, int> expected{
      {SIGTERM, SIGQUIT}, {SIGHUP, SIGUSR2}, {SIGWINCH, 0}, {SIGUSR1, SIGUSR2}};
  EXPECT_EQ(c.signal_map, expected);
}

TEST(ConfigSignals, MapSignalLaterWins) {
  const Config c = ok({"--map-signal=HUP:USR1", "--map-signal=HUP:0", "/bin/app"});
  EXPECT_EQ(c.signal_map, (std::map<int, int>{{SIGHUP, 0}}));
}

// ---------------------------------------------------------------------------------------------
// --cgroup, --ready, --notify-fd.

TEST(ConfigModes, Cgroup) {
  const std::pair<std::string, CgroupMode> cases[] = {{"auto", CgroupMode::kAuto},
                                                      {"v2", CgroupMode::kV2},
                                                      {"v1", CgroupMode::kV1},
                                                      {"none", CgroupMode::kNone}};
  for (const auto& [value, mode] : cases) {
    SCOPED_TRACE(value);
    EXPECT_EQ(ok({"--cgroup=" + value, "/bin/app"}).cgroup, mode);
    EXPECT_EQ(ok({"--cgroup", value, "/bin/app"}).cgroup, mode);
  }
}

TEST(ConfigModes, Ready) {
  EXPECT_EQ(ok({"--ready=exec", "/bin/app"}).ready, ReadyMode::kExec);
  EXPECT_EQ(ok({"--ready=notify", "/bin/app"}).ready, ReadyMode::kNotify);
  EXPECT_EQ(ok({"--ready", "notify", "/bin/app"}).ready, ReadyMode::kNotify);
}

TEST(ConfigModes, NotifyFd) {
  EXPECT_EQ(ok({"--notify-fd=3", "/bin/app"}).notify_fd, 3);
  EXPECT_EQ(ok({"--notify-fd", "9", "/bin/app"}).notify_fd, 9);
}

// SPEC 10: the sockets are the app's fds 3 on; --notify-fd may not take one of them, whichever
// option comes first.
TEST(ConfigModes, NotifyFdAmongTheListeningSocketsIsRefused) {
  EXPECT_EQ(err({"--notify-fd=3", "--listen=127.0.0.1:0", "/bin/app"}),
            "--notify-fd=3: the app gets its 1 listening socket (LISTEN_FDS) at fd 3; use 4 or "
            "above");
  EXPECT_EQ(err({"--listen=127.0.0.1:0", "--listen=[::1]:0", "--notify-fd=4", "/bin/app"}),
            "--notify-fd=4: the app gets its 2 listening sockets (LISTEN_FDS) at fds 3 to 4; use 5 "
            "or above");
  EXPECT_EQ(ok({"--notify-fd=5", "--listen=127.0.0.1:0", "--listen=[::1]:0", "/bin/app"}).notify_fd,
            5);
}

// systemd's sockets are known only at set-up: the same check with the whole count.
TEST(ConfigModes, CheckNotifyFdCountsEverySocket) {
  EXPECT_TRUE(check_notify_fd(-1, 4));
  EXPECT_TRUE(check_notify_fd(3, 0));
  EXPECT_FALSE(check_notify_fd(3, 1));
  EXPECT_FALSE(check_notify_fd(6, 4));
  EXPECT_TRUE(check_notify_fd(7, 4));
}

// The stored fds follow the sockets: the store keeps no more than fit below --notify-fd.
TEST(ConfigModes, FdStoreRoomStopsBelowTheNotifyFd) {
  Config c;
  EXPECT_EQ(fd_store_room(c, 2), 64u) << "no --notify-fd: --fdstore-max";
  c.notify_fd = 3;
  EXPECT_EQ(fd_store_room(c, 0), 0u);
  c.notify_fd = 10;
  EXPECT_EQ(fd_store_room(c, 2), 5u) << "sockets at 3-4, stored fds at 5-9";
  c.fdstore_max = 2;
  EXPECT_EQ(fd_store_room(c, 2), 2u);
  c.notify_fd = 1000;
  c.fdstore_max = 0;
  EXPECT_EQ(fd_store_room(c, 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Where options end: "--" or the first non-option word.

TEST(ConfigProgram, DoubleDashEndsOptions) {
  const Config c = ok({"-c", "--", "/usr/bin/app", "-x", "--fork", "--", "y"});
  EXPECT_TRUE(c.restart.on_crash);
  EXPECT_FALSE(c.fork);
  EXPECT_EQ(c.program, "/usr/bin/app");
  EXPECT_EQ(c.args,
            (std::vector<std::string>{"/usr/bin/app", "-x", "--fork", "--", "y"}));
}

TEST(ConfigProgram, FirstNonOptionWordEndsOptions) {
  const Config c = ok({"-c", "/usr/bin/app", "-x"});
  EXPECT_TRUE(c.restart.on_crash);
  EXPECT_EQ(c.program, "/usr/bin/app");
  EXPECT_EQ(c.args, (std::vector<std::string>{"/usr/bin/app", "-x"}));
}

TEST(ConfigProgram, OptionsAfterProgramBelongToTheApp) {
  // -f, -q, -c after PROGRAM are the app's, not the supervisor's.
  const Config c = ok({"nginx", "-f", "-q", "-c", "/etc/nginx.conf", "--pidfile=/x"});
  EXPECT_FALSE(c.fork);
  EXPECT_EQ(c.quiet, 0);
  EXPECT_FALSE(c.restart.on_crash);
  EXPECT_EQ(c.pidfile, "");
  EXPECT_EQ(c.program, "nginx");
  EXPECT_EQ(c.args, (std::vector<std::string>{"nginx", "-f", "-q", "-c", "/etc/nginx.conf",
                                              "--pidfile=/x"}));
}

TEST(ConfigProgram, HelpAndVersionAfterProgramBelongToTheApp) {
  const Config c = ok({"-c", "/usr/bin/app", "-h", "--version", "-v"});
  EXPECT_EQ(c.action, Action::kRun);
  EXPECT_EQ(c.args, (std::vector<std::string>{"/usr/bin/app", "-h", "--version", "-v"}));
}

TEST(ConfigProgram, UnknownOptionsAfterProgramAreNotErrors) {
  const Config c = ok({"/usr/bin/app", "--bogus", "-x", "--stop-timeout=x"});
  EXPECT_EQ(c.stop_timeout_ms, 10'000);
  EXPECT_EQ(c.args.size(), 4u);
}

TEST(ConfigProgram, RelativeAndBareNamesKeptAsGiven) {
  EXPECT_EQ(ok({"./bin/app"}).program, "./bin/app");
  EXPECT_EQ(ok({"redis-server", "--daemonize", "yes"}).program, "redis-server");
  EXPECT_EQ(ok({"redis-server", "--daemonize", "yes"}).args,
            (std::vector<std::string>{"redis-server", "--daemonize", "yes"}));
}

TEST(ConfigProgram, SeedExamples) {
  const Config a = ok({"-c", "--", "/usr/sbin/x0d"});
  EXPECT_TRUE(a.restart.on_crash);
  EXPECT_EQ(a.args, (std::vector<std::string>{"/usr/sbin/x0d"}));

  const Config b = ok({"-p", "/var/run/xzero/supervisor.pid", "--", "/usr/sbin/x0d",
                       "--no-fork"});
  EXPECT_EQ(b.pidfile, "/var/run/xzero/supervisor.pid");
  EXPECT_EQ(b.args, (std::vector<std::string>{"/usr/sbin/x0d", "--no-fork"}));

  const Config d = ok({"--", "/usr/bin/haproxy", "-f", "/etc/haproxy/haproxy.cfg"});
  EXPECT_EQ(d.program, "/usr/bin/haproxy");
  EXPECT_EQ(d.args,
            (std::vector<std::string>{"/usr/bin/haproxy", "-f", "/etc/haproxy/haproxy.cfg"}));
}

TEST(ConfigProgram, EverythingTogether) {
  const Config c = ok({"-f", "-p", "/run/s.pid", "-P", "/run/n.pid", "-u", "www", "-g", "www",
                       "-l", "30", "-ce", "-s", "3", "-qq", "--healthy-after=5",
                       "--max-restarts=10/60", "--no-restart=78", "--stop-timeout=2.5",
                       "--stop-signal=QUIT", "--kill-signal=KILL", "--map-signal=HUP:USR1",
                       "--cgroup=v2", "--watchdog=30", "--ready=notify", "--notify-fd=5",
                       "--start-timeout=60", "--debug", "--", "/usr/sbin/nginx", "-g",
                       "daemon off;"});
  EXPECT_TRUE(c.fork);
  EXPECT_EQ(c.pidfile, "/run/s.pid");
  EXPECT_EQ(c.main_pidfile, "/run/n.pid");
  EXPECT_EQ(c.user, "www");
  EXPECT_EQ(c.group, "www");
  EXPECT_EQ(c.restart.delay_limit_ms, 30'000);
  EXPECT_TRUE(c.restart.on_crash);
  EXPECT_TRUE(c.restart.on_error);
  EXPECT_EQ(c.restart.success_codes, (std::set<int>{0, 3}));
  EXPECT_EQ(c.quiet, 2);
  EXPECT_EQ(c.restart.healthy_after_ms, 5'000);
  EXPECT_EQ(c.restart.max_restarts, 10);
  EXPECT_EQ(c.restart.max_restarts_window_ms, 60'000);
  EXPECT_EQ(c.restart.no_restart_codes, (std::set<int>{78}));
  EXPECT_EQ(c.stop_timeout_ms, 2'500);
  EXPECT_EQ(c.stop_signal, SIGQUIT);
  EXPECT_EQ(c.kill_signal, SIGKILL);
  EXPECT_EQ(c.signal_map, (std::map<int, int>{{SIGHUP, SIGUSR1}}));
  EXPECT_EQ(c.cgroup, CgroupMode::kV2);
  EXPECT_EQ(c.watchdog_ms, 30'000);
  EXPECT_EQ(c.ready, ReadyMode::kNotify);
  EXPECT_EQ(c.notify_fd, 5);
  EXPECT_EQ(c.start_timeout_ms, 60'000);
  EXPECT_EQ(c.verbose, 1);
  EXPECT_EQ(c.program, "/usr/sbin/nginx");
  EXPECT_EQ(c.args, (std::vector<std::string>{"/usr/sbin/nginx", "-g", "daemon off;"}));
}

// ---------------------------------------------------------------------------------------------
// -h / -v: no PROGRAM needed.

TEST(ConfigActions, HelpAndVersion) {
  const std::pair<std::vector<std::string>, Action> cases[] = {
      {{"-h"}, Action::kHelp},          {{"--help"}, Action::kHelp},
      {{"-v"}, Action::kVersion},       {{"--version"}, Action::kVersion},
      {{"-qh"}, Action::kHelp},         {{"-c", "--help"}, Action::kHelp},
      {{"-h", "/bin/app"}, Action::kHelp}, {{"-v", "--", "/bin/app"}, Action::kVersion},
  };
  for (const auto& [words, action] : cases) {
    SCOPED_TRACE(joined(words));
    EXPECT_EQ(ok(words).action, action);
  }
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the offending option and value.

struct ErrorCase {
  std::vector<std::string> words;
  std::vector<std::string> must_contain;
};

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, Rejected) {
  const ErrorCase& tc = GetParam();
  SCOPED_TRACE(joined(tc.words));
  const std::string message = err(tc.words);
  EXPECT_FALSE(message.empty());
  for (const auto& needle : tc.must_contain) {
    EXPECT_NE(message.find(needle), std::string::npos)
        << "message '" << message << "' does not mention '" << needle << "'";
  }
  // One line, ready to follow "supervisor: ".
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigErrors,
    ::testing::Values(
        // Unknown options.
        ErrorCase{{"-x", "/bin/app"}, {"-x"}},
        ErrorCase{{"-cx", "/bin/app"}, {"-x"}},
        ErrorCase{{"--bogus", "/bin/app"}, {"--bogus"}},
        ErrorCase{{"--bogus=1", "/bin/app"}, {"--bogus"}},
        ErrorCase{{"--pid=/x", "/bin/app"}, {"--pid"}},
        // Missing PROGRAM.
        ErrorCase{{}, {"PROGRAM"}},
        ErrorCase{{"--"}, {"PROGRAM"}},
        ErrorCase{{"-c", "-e"}, {"PROGRAM"}},
        ErrorCase{{"-p", "/x.pid"}, {"PROGRAM"}},
        ErrorCase{{"--", ""}, {"PROGRAM"}},
        // -l / --delay-limit.
        ErrorCase{{"-l", "abc", "/bin/app"}, {"-l", "abc"}},
        ErrorCase{{"-labc", "/bin/app"}, {"-l", "abc"}},
        ErrorCase{{"-l", "-1", "/bin/app"}, {"-l", "-1"}},
        ErrorCase{{"-l", "99999999999", "/bin/app"}, {"-l", "99999999999"}},
        ErrorCase{{"-l", "1.5", "/bin/app"}, {"-l", "1.5"}},
        ErrorCase{{"-l", "", "/bin/app"}, {"-l"}},
        ErrorCase{{"--delay-limit=abc", "/bin/app"}, {"--delay-limit", "abc"}},
        ErrorCase{{"-cl", "x", "/bin/app"}, {"-l", "'x'"}},
        // -s / --success, --no-restart.
        ErrorCase{{"-s", "256", "/bin/app"}, {"-s", "256"}},
        ErrorCase{{"-s", "-1", "/bin/app"}, {"-s", "-1"}},
        ErrorCase{{"-s", "NOSUCHSIG", "/bin/app"}, {"-s", "NOSUCHSIG"}},
        ErrorCase{{"--success=3x", "/bin/app"}, {"--success", "3x"}},
        ErrorCase{{"--no-restart=256", "/bin/app"}, {"--no-restart", "256"}},
        ErrorCase{{"--no-restart=SIGNOPE", "/bin/app"}, {"--no-restart", "SIGNOPE"}},
        ErrorCase{{"--no-restart=", "/bin/app"}, {"--no-restart"}},
        // Durations.
        ErrorCase{{"--stop-timeout=x", "/bin/app"}, {"--stop-timeout", "'x'"}},
        ErrorCase{{"--stop-timeout=-1", "/bin/app"}, {"--stop-timeout", "-1"}},
        ErrorCase{{"--stop-timeout=1s", "/bin/app"}, {"--stop-timeout", "1s"}},
        ErrorCase{{"--stop-timeout=", "/bin/app"}, {"--stop-timeout"}},
        ErrorCase{{"--healthy-after=soon", "/bin/app"}, {"--healthy-after", "soon"}},
        ErrorCase{{"--watchdog=abc", "/bin/app"}, {"--watchdog", "abc"}},
        ErrorCase{{"--start-timeout=1m", "/bin/app"}, {"--start-timeout", "1m"}},
        // --max-restarts.
        ErrorCase{{"--max-restarts=abc", "/bin/app"}, {"--max-restarts", "abc"}},
        ErrorCase{{"--max-restarts=-1", "/bin/app"}, {"--max-restarts", "-1"}},
        ErrorCase{{"--max-restarts=3/", "/bin/app"}, {"--max-restarts", "3/"}},
        ErrorCase{{"--max-restarts=3/0", "/bin/app"}, {"--max-restarts", "3/0"}},
        ErrorCase{{"--max-restarts=3/x", "/bin/app"}, {"--max-restarts", "3/x"}},
        ErrorCase{{"--max-restarts=/60", "/bin/app"}, {"--max-restarts", "/60"}},
        // Signals.
        ErrorCase{{"--stop-signal=NOPE", "/bin/app"}, {"--stop-signal", "NOPE"}},
        ErrorCase{{"--stop-signal=0", "/bin/app"}, {"--stop-signal", "0"}},
        ErrorCase{{"--kill-signal=99", "/bin/app"}, {"--kill-signal", "99"}},
        ErrorCase{{"--map-signal=HUP", "/bin/app"}, {"--map-signal", "HUP"}},
        ErrorCase{{"--map-signal=HUP:", "/bin/app"}, {"--map-signal", "HUP:"}},
        ErrorCase{{"--map-signal=:HUP", "/bin/app"}, {"--map-signal", ":HUP"}},
        ErrorCase{{"--map-signal=NOPE:HUP", "/bin/app"}, {"--map-signal", "NOPE:HUP"}},
        ErrorCase{{"--map-signal=HUP:NOPE", "/bin/app"}, {"--map-signal", "HUP:NOPE"}},
        ErrorCase{{"--map-signal=0:HUP", "/bin/app"}, {"--map-signal", "0:HUP"}},
        ErrorCase{{"--map-signal=KILL:TERM", "/bin/app"}, {"--map-signal", "KILL:TERM", "never forwarded"}},
        ErrorCase{{"--map-signal=CHLD:HUP", "/bin/app"}, {"--map-signal", "CHLD:HUP"}},
        // Modes.
        ErrorCase{{"--restart=sometimes", "/bin/app"}, {"--restart", "sometimes"}},
        ErrorCase{{"--restart=", "/bin/app"}, {"--restart"}},
        ErrorCase{{"--restart=ALWAYS", "/bin/app"}, {"--restart", "ALWAYS"}},
        ErrorCase{{"--cgroup=v3", "/bin/app"}, {"--cgroup", "v3"}},
        ErrorCase{{"--ready=now", "/bin/app"}, {"--ready", "now"}},
        ErrorCase{{"--notify-fd=abc", "/bin/app"}, {"--notify-fd", "abc"}},
        ErrorCase{{"--notify-fd=-1", "/bin/app"}, {"--notify-fd", "-1"}},
        // Option missing its value.
        ErrorCase{{"-p"}, {"-p"}},
        ErrorCase{{"--pidfile"}, {"--pidfile"}},
        ErrorCase{{"-l"}, {"-l"}},
        ErrorCase{{"-cl"}, {"-l"}},
        ErrorCase{{"-s"}, {"-s"}},
        ErrorCase{{"-u"}, {"-u"}},
        ErrorCase{{"-g"}, {"-g"}},
        ErrorCase{{"-P"}, {"-P"}},
        ErrorCase{{"--restart"}, {"--restart"}},
        ErrorCase{{"--stop-timeout"}, {"--stop-timeout"}},
        ErrorCase{{"--map-signal"}, {"--map-signal"}},
        // A flag given a value.
        ErrorCase{{"--fork=1", "/bin/app"}, {"--fork"}},
        ErrorCase{{"--quiet=2", "/bin/app"}, {"--quiet"}},
        ErrorCase{{"--restart-on-crash=yes", "/bin/app"}, {"--restart-on-crash"}},
        ErrorCase{{"--debug=1", "/bin/app"}, {"--debug"}},
        // Empty paths and names.
        ErrorCase{{"-p", "", "/bin/app"}, {"-p", "''"}},
        ErrorCase{{"--pidfile=", "/bin/app"}, {"--pidfile"}},
        ErrorCase{{"-P", "", "/bin/app"}, {"-P"}},
        ErrorCase{{"--main-pidfile=", "/bin/app"}, {"--main-pidfile"}},
        ErrorCase{{"-u", "", "/bin/app"}, {"-u"}},
        ErrorCase{{"--group=", "/bin/app"}, {"--group"}}));

TEST(ConfigErrors, LongSpellingNamedInMessage) {
  // The message names the option as the user typed it.
  EXPECT_NE(err({"--delay-limit", "abc", "/bin/app"}).find("--delay-limit"), std::string::npos);
  EXPECT_NE(err({"--success", "NOSUCHSIG", "/bin/app"}).find("--success"), std::string::npos);
}

TEST(ConfigErrors, UnknownOptionEvenWithHelp) {
  EXPECT_NE(err({"-h", "--bogus"}).find("--bogus"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// usage_text.

TEST(ConfigUsage, MentionsEveryLongOption) {
  const std::string usage = usage_text();
  const char* const kLongOptions[] = {
      "--fork",          "--pidfile",       "--main-pidfile",  "--user",
      "--group",         "--delay-limit",   "--restart-on-error", "--restart-on-crash",
      "--success",       "--quiet",         "--version",       "--help",
      "--restart=",      "--healthy-after", "--max-restarts",  "--no-restart",
      "--stop-timeout",  "--stop-signal",   "--kill-signal",   "--map-signal",
      "--cgroup",        "--watchdog",      "--ready",         "--notify-fd",
      "--start-timeout", "--debug",
  };
  for (const char* name : kLongOptions) {
    EXPECT_NE(usage.find(name), std::string::npos) << "usage lacks " << name;
  }
}

TEST(ConfigUsage, MentionsEveryShortOptionWithItsLongName) {
  const char* const kPairs[] = {
      "-f,--fork",         "-p,--pidfile",          "-P,--main-pidfile",
      "-u,--user",         "-g,--group",            "-l,--delay-limit",
      "-e,--restart-on-error", "-c,--restart-on-crash", "-s,--success",
      "-q,--quiet",        "-v,--version",          "-h,--help",
  };
  for (const char* pair : kPairs) {
    EXPECT_NE(usage_text().find(pair), std::string::npos) << "usage lacks " << pair;
  }
}

TEST(ConfigUsage, EveryOptionInUsageIsAccepted) {
  // The reverse direction: every long option the usage text lists parses (no stale entries).
  // The examples at the end show app options ("x0d --no-fork"), so stop before them.
  const std::string full = usage_text();
  const std::string usage = full.substr(0, full.find("examples:"));
  std::size_t pos = 0;
  int seen = 0;
  while ((pos = usage.find("--", pos)) != std::string::npos) {
    std::size_t end = pos + 2;
    while (end < usage.size() &&
           (std::isalnum(static_cast<unsigned char>(usage[end])) != 0 || usage[end] == '-')) {
      ++end;
    }
    const std::string name = usage.substr(pos, end - pos);
    pos = end;
    if (name == "--") continue;  // "-- /path/to/app"
    ++seen;
    SCOPED_TRACE(name);
    auto r = parse({name, "--", "/bin/app"});
    if (!r) {
      // Options that take a value fail only for the missing/invalid value, never as unknown.
      EXPECT_EQ(r.error().message.find("unknown option"), std::string::npos)
          << r.error().message;
    }
  }
  EXPECT_GE(seen, 26);
}

TEST(ConfigUsage, ShowsDefaults) {
  const std::string usage = usage_text();
  EXPECT_NE(usage.find("never|on-crash|on-error|on-failure|always"), std::string::npos);
  EXPECT_NE(usage.find("auto|v2|v1|none"), std::string::npos);
}

// The line of the usage text that documents an option.
std::string usage_line(const std::string& option) {
  const std::string usage = usage_text();
  const auto at = usage.find(option);
  if (at == std::string::npos) return {};
  const auto begin = usage.rfind('\n', at);
  const auto end = usage.find('\n', at);
  return usage.substr(begin == std::string::npos ? 0 : begin + 1,
                      end == std::string::npos ? std::string::npos : end - begin - 1);
}

TEST(ConfigUsage, DocumentedDefaultsAreTheRealDefaults) {
  // Each "[default]" in --help must be what parse_cli really does without the option.
  const Config c = ok({"/bin/app"});
  ASSERT_NE(usage_line("--delay-limit").find("[80]"), std::string::npos);
  EXPECT_EQ(c.restart.delay_limit_ms, 80'000);
  ASSERT_NE(usage_line("--healthy-after").find("[10]"), std::string::npos);
  EXPECT_EQ(c.restart.healthy_after_ms, 10'000);
  ASSERT_NE(usage_line("--stop-timeout").find("[10]"), std::string::npos);
  EXPECT_EQ(c.stop_timeout_ms, 10'000);
  ASSERT_NE(usage_line("--stop-signal").find("[TERM]"), std::string::npos);
  EXPECT_EQ(c.stop_signal, SIGTERM);
  ASSERT_NE(usage_line("--kill-signal").find("[KILL]"), std::string::npos);
  EXPECT_EQ(c.kill_signal, SIGKILL);
  ASSERT_NE(usage_line("--restart=").find("[never]"), std::string::npos);
  EXPECT_FALSE(c.restart.on_crash || c.restart.on_error || c.restart.on_success);
  ASSERT_NE(usage_line("--cgroup").find("[auto]"), std::string::npos);
  EXPECT_EQ(c.cgroup, CgroupMode::kAuto);
  ASSERT_NE(usage_line("--ready").find("[exec]"), std::string::npos);
  EXPECT_EQ(c.ready, ReadyMode::kExec);
  ASSERT_NE(usage_line("--fdstore-max").find("[64]"), std::string::npos);
  EXPECT_EQ(c.fdstore_max, 64);
  EXPECT_EQ(c.hot_restart_signal, 0);
}

TEST(Config, HotRestartAndFdstoreMax) {
  const Config c = ok({"--hot-restart=HUP", "--fdstore-max=0", "/bin/app"});
  EXPECT_EQ(c.hot_restart_signal, SIGHUP);
  EXPECT_EQ(c.fdstore_max, 0);
  EXPECT_EQ(ok({"--hot-restart", "12", "/bin/app"}).hot_restart_signal, SIGUSR2);
  EXPECT_EQ(ok({"--fdstore-max=4096", "/bin/app"}).fdstore_max, 4096);
  for (const char* bad : {"--fdstore-max=-1", "--fdstore-max=4097", "--fdstore-max=x"}) {
    auto r = parse({bad, "/bin/app"});
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("--fdstore-max"), std::string::npos);
  }
}

TEST(ConfigUsage, ExitStatusesDocumented) {
  const std::string usage = usage_text();
  for (const char* code : {"125", "126", "127", "128"}) {
    EXPECT_NE(usage.find(code), std::string::npos) << code;
  }
}

}  // namespace
}  // namespace sup::core
