// --status-file and --probe (SPEC 11): the status derived from every lifecycle state, its JSON,
// the parser of a file anyone may have written, and the probe's verdict.
#include "core/status.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <random>
#include <set>
#include <string>

#include "lifecycle_sim.hpp"

namespace sup::core {
namespace {

using sim::kT0;
using sim::on_failure;
using sim::Sim;

const SupervisorId kSelf{4700, 81234};

Status status_of(const Sim& sim) {
  Settings settings;
  settings.program = "/bin/app";
  return derive_status(kSelf, settings, sim.machine());
}

// The fields that change with the state, for compact expectations.
struct Shape {
  Phase phase;
  std::optional<int> main_pid;
  bool ready;
  bool operator==(const Shape&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Shape& s) {
  return out << phase_name(s.phase)
             << " main=" << (s.main_pid ? std::to_string(*s.main_pid) : "null")
             << " ready=" << s.ready;
}
Shape shape(const Sim& sim) {
  const Status s = status_of(sim);
  return {s.phase, s.main_pid, s.ready};
}

void notify_mode(Config& c) { c.ready = ReadyMode::kNotify; }

// ---- derive_status: every state ----

TEST(StatusDerive, StartingBeforeTheSpawnIsAnswered) {
  Sim sim;
  ASSERT_STREQ(sim.state(), "Starting");
  const Status s = status_of(sim);
  EXPECT_EQ(s.supervisor, kSelf);
  EXPECT_EQ(s.program, "/bin/app");
  EXPECT_EQ(shape(sim), (Shape{Phase::kStarting, std::nullopt, false}));
  EXPECT_EQ(s.restarts, 0);
  EXPECT_EQ(s.last_exit, std::nullopt);
}

TEST(StatusDerive, ExecReadinessIsReadyOnceStarted) {
  Sim sim;
  sim.spawned(100);
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 100, true}));
}

TEST(StatusDerive, NotifyReadinessIsStartingUntilReadyEqualsOne) {
  Sim sim(notify_mode);
  sim.spawned(100);
  EXPECT_EQ(shape(sim), (Shape{Phase::kStarting, 100, false}));
  sim.notified("STATUS=warming up", 100);
  EXPECT_EQ(shape(sim), (Shape{Phase::kStarting, 100, false}));
  sim.notified("READY=1", 100);
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 100, true}));
}

TEST(StatusDerive, NotifyFdReadinessCountsToo) {
  Sim sim([](Config& c) { c.notify_fd = 3; });
  sim.spawned(100);
  EXPECT_FALSE(status_of(sim).ready);
  sim.feed(event::ReadyLine{});
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 100, true}));
}

TEST(StatusDerive, MainPidFollowsAHandOver) {
  Sim sim;
  sim.spawned(100);
  sim.notified("MAINPID=101", 100);
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 101, true}));
}

TEST(StatusDerive, AStopRequestIsStoppingAndNotReady) {
  Sim sim;
  sim.spawned(100);
  sim.signal(SIGTERM);
  ASSERT_STREQ(sim.state(), "Stopping");
  EXPECT_EQ(shape(sim), (Shape{Phase::kStopping, 100, false}));
  sim.exits(ExitStatus::exited(0), kT0 + 10);
  ASSERT_STREQ(sim.state(), "Cleaning");
  EXPECT_EQ(shape(sim), (Shape{Phase::kStopping, std::nullopt, false}));
  EXPECT_EQ(status_of(sim).last_exit, 0);
}

TEST(StatusDerive, AHungAppIsNotReady) {
  Sim sim([](Config& c) { c.watchdog_ms = 1'000; });
  sim.spawned(100);
  ASSERT_TRUE(status_of(sim).ready);
  sim.tick(kT0 + 1'000);
  ASSERT_TRUE(sim.logged("missed its watchdog deadline"));
  EXPECT_EQ(shape(sim), (Shape{Phase::kStopping, 100, false}));
}

TEST(StatusDerive, AnAppNotReadyInTimeIsStopping) {
  Sim sim([](Config& c) {
    notify_mode(c);
    c.start_timeout_ms = 500;
  });
  sim.spawned(100);
  sim.tick(kT0 + 500);
  EXPECT_EQ(shape(sim), (Shape{Phase::kStopping, 100, false}));
}

TEST(StatusDerive, BackoffCountsRestartsAndKeepsTheLastExit) {
  Sim sim(on_failure);
  sim.spawned(100);
  sim.exits(ExitStatus::killed(SIGSEGV), kT0 + 10);
  ASSERT_STREQ(sim.state(), "Cleaning");
  EXPECT_EQ(shape(sim), (Shape{Phase::kBackoff, std::nullopt, false})) << "waiting to restart";
  EXPECT_EQ(status_of(sim).restarts, 1);
  EXPECT_EQ(status_of(sim).last_exit, 128 + SIGSEGV);
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Starting");
  EXPECT_EQ(shape(sim), (Shape{Phase::kStarting, std::nullopt, false}));
  sim.spawned(101);
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 101, true}));
  sim.exits(ExitStatus::exited(3), kT0 + 20);
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Backoff");
  const Status s = status_of(sim);
  EXPECT_EQ(shape(sim), (Shape{Phase::kBackoff, std::nullopt, false}));
  EXPECT_EQ(s.restarts, 2);
  EXPECT_EQ(s.last_exit, 3);
}

TEST(StatusDerive, MaxRestartsRunningOutIsGivenUp) {
  Sim sim([](Config& c) {
    on_failure(c);
    c.restart.max_restarts = 0;
  });
  sim.spawned(100);
  sim.exits(ExitStatus::killed(SIGKILL), kT0 + 10);
  ASSERT_TRUE(sim.logged("giving up"));
  EXPECT_EQ(shape(sim), (Shape{Phase::kGivenUp, std::nullopt, false}));
  EXPECT_EQ(status_of(sim).last_exit, 137);
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Done");
  EXPECT_EQ(status_of(sim).phase, Phase::kGivenUp);
}

TEST(StatusDerive, AnAppEndingWithoutRestartIsStoppingNotGivenUp) {
  Sim sim;
  sim.spawned(100);
  sim.exits(ExitStatus::exited(1), kT0 + 10);
  EXPECT_EQ(status_of(sim).phase, Phase::kStopping);
  sim.feed(event::AppEmpty{});
  ASSERT_STREQ(sim.state(), "Done");
  EXPECT_EQ(status_of(sim).phase, Phase::kStopping);
}

TEST(StatusDerive, AnHeirBeingSoughtKeepsReadinessWithoutAMainPid) {
  Sim sim([](Config& c) { c.main_pidfile = "/run/app.pid"; });
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::exited(0), 0}, kT0 + 10);
  ASSERT_STREQ(sim.state(), "Electing");
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, std::nullopt, true}));
  sim.feed(event::NoSuccessor{true, true});
  ASSERT_STREQ(sim.state(), "AwaitingPidfile");
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, std::nullopt, true}));
  sim.feed(event::SuccessorFound{200, "pidfile"});
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 200, true}));
}

TEST(StatusDerive, AnHeirAwaitingItsExecKeepsReadiness) {
  Sim sim;
  sim.spawned(100);
  sim.feed(event::MainExited{ExitStatus::exited(0), 0}, kT0 + 10);
  sim.feed(event::NoSuccessor{true, false, 0, true});
  ASSERT_STREQ(sim.state(), "AwaitingExec");
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, std::nullopt, true}));
}

// A ready app under --ready=notify (pid 100), asked for a hot restart.
Sim hot_restarting() {
  Sim sim([](Config& c) {
    notify_mode(c);
    c.hot_restart_signal = SIGHUP;
  });
  sim.spawned(100);
  sim.notified("READY=1", 100);
  sim.signal(SIGHUP);
  return sim;
}

// SPEC 11: not ready only in backoff, hung or stopping; the old generation serves meanwhile.
TEST(StatusDerive, AHotRestartIsReadyWhileTheOldGenerationServes) {
  Sim sim = hot_restarting();
  ASSERT_STREQ(sim.state(), "HotRestart");
  EXPECT_EQ(shape(sim), (Shape{Phase::kHotRestart, 100, true}));
  sim.spawned(200);
  EXPECT_EQ(shape(sim), (Shape{Phase::kHotRestart, 100, true})) << "the old one serves";
  sim.notified("READY=1", 200, 2);
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 200, true}));
  EXPECT_EQ(status_of(sim).restarts, 0) << "a hot restart is no restart";
}

TEST(StatusDerive, ARolledBackHotRestartIsReadyWithTheOldGeneration) {
  Sim sim = hot_restarting();
  sim.spawned(200);
  sim.tick(kT0 + kHotRestartTimeoutMs);
  ASSERT_TRUE(sim.logged("hot restart failed"));
  EXPECT_EQ(shape(sim), (Shape{Phase::kRunning, 100, true}));
}

// ---- format_status ----

Status sample() {
  Status s;
  s.supervisor = kSelf;
  s.program = "/usr/sbin/nginx";
  s.phase = Phase::kRunning;
  s.main_pid = 4711;
  s.ready = true;
  s.restarts = 2;
  s.last_exit = 139;
  return s;
}

TEST(StatusFormat, OneJsonObjectOnOneLine) {
  EXPECT_EQ(format_status(sample(), 1764517200),
            R"({"supervisor_pid":4700,"supervisor_start_time":81234,"program":"/usr/sbin/nginx",)"
            R"("state":"running","main_pid":4711,"ready":true,"restarts":2,"last_exit":139,)"
            R"("since":1764517200})"
            "\n");
  Status none = sample();
  none.main_pid.reset();
  none.last_exit.reset();
  none.ready = false;
  const std::string text = format_status(none, 0);
  EXPECT_NE(text.find(R"("main_pid":null,"ready":false)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("last_exit":null)"), std::string::npos) << text;
}

TEST(StatusFormat, EveryPhaseHasItsName) {
  std::set<std::string> names;
  for (Phase p : {Phase::kStarting, Phase::kRunning, Phase::kBackoff, Phase::kHotRestart,
                  Phase::kStopping, Phase::kGivenUp}) {
    names.insert(phase_name(p));
  }
  EXPECT_EQ(names, (std::set<std::string>{"starting", "running", "backoff", "hot-restart",
                                          "stopping", "given-up"}));
}

std::string program_json(const std::string& program) {
  Status s = sample();
  s.program = program;
  const std::string text = format_status(s, 0);
  const auto from = text.find("\"program\":") + 10;
  return text.substr(from, text.find(",\"state\"") - from);
}

TEST(StatusFormat, ProgramIsEscaped) {
  EXPECT_EQ(program_json("/a\"b\\c"), R"("/a\"b\\c")");
  EXPECT_EQ(program_json(std::string("/a\nb\tc\x01") + '\0' + "d"),
            R"("/a\u000ab\u0009c\u0001\u0000d")");
  EXPECT_EQ(program_json("/opt/caf\xc3\xa9/\xf0\x9f\x98\x80"),
            "\"/opt/caf\xc3\xa9/\xf0\x9f\x98\x80\"")
      << "valid UTF-8 passes";
  // Not UTF-8: a lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(program_json("/a\x80"), R"("/a\ufffd")");
  EXPECT_EQ(program_json("/a\xc3"), R"("/a\ufffd")");
  EXPECT_EQ(program_json("/\xc0\xaf"), R"("/\ufffd\ufffd")");
  EXPECT_EQ(program_json("/\xed\xa0\x80"), R"("/\ufffd\ufffd\ufffd")");
}

// ---- parse_status ----

TEST(StatusParse, RoundTrips) {
  for (const std::string& program :
       std::vector<std::string>{"/usr/sbin/nginx", "/a\"b\\c\n\x01", "/caf\xc3\xa9", ""}) {
    Status s = sample();
    s.program = program;
    auto parsed = parse_status(format_status(s, 1764517200));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, (StatusFile{s, 1764517200}));
  }
  Status s = sample();
  for (Phase p :
       {Phase::kStarting, Phase::kBackoff, Phase::kHotRestart, Phase::kStopping, Phase::kGivenUp}) {
    s.phase = p;
    s.main_pid.reset();
    s.last_exit.reset();
    auto parsed = parse_status(format_status(s, 0));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->status, s);
  }
}

TEST(StatusParse, NeedsOnlyTheProbesKeysAndIgnoresOthers) {
  auto parsed = parse_status(
      " {\n \"ready\" : true , \"state\":\"backoff\", \"future\": {\"a\": [1, 2.5e3, null, "
      "{\"b\": \"\\u00e9\"}]}, \"supervisor_start_time\": 0, \"supervisor_pid\": 1 }\n\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->status.supervisor, (SupervisorId{1, 0}));
  EXPECT_EQ(parsed->status.phase, Phase::kBackoff);
  EXPECT_TRUE(parsed->status.ready);
  EXPECT_EQ(parsed->status.main_pid, std::nullopt);
  EXPECT_EQ(parsed->status.restarts, 0);
}

TEST(StatusParse, DecodesEscapes) {
  const std::string head =
      R"({"supervisor_pid":1,"supervisor_start_time":2,"state":"running","ready":true,"program":)";
  auto program = [&](const std::string& json) {
    auto parsed = parse_status(head + json + "}");
    EXPECT_TRUE(parsed) << json << ": " << (parsed ? "" : parsed.error().message);
    return parsed ? parsed->status.program : "";
  };
  EXPECT_EQ(program(R"("\"\\\/\b\f\n\r\t")"), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(program(R"("\u00e9\u20AC")"), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(program(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80") << "a surrogate pair";
  EXPECT_EQ(program(R"("\ud83dx")"), "\xef\xbf\xbdx") << "a lone high surrogate";
  EXPECT_EQ(program(R"("\ude00\ud83d\u0041")"),
            "\xef\xbf\xbd\xef\xbf\xbd"
            "A");
}

// A message naming the problem, never a crash or a wrong success.
void expect_malformed(const std::string& text, const std::string& why = "") {
  auto parsed = parse_status(text);
  ASSERT_FALSE(parsed) << "accepted: " << text;
  EXPECT_EQ(parsed.error().message.rfind("not a status file: ", 0), 0u) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find(why), std::string::npos)
      << parsed.error().message << " (wanted " << why << ")";
}

TEST(StatusParse, RefusesWhatIsNotAJsonObject) {
  for (const std::string& text : std::vector<std::string>{"",
                                                          " ",
                                                          "\n",
                                                          "garbage",
                                                          "[]",
                                                          "null",
                                                          "42",
                                                          "\"text\"",
                                                          "{",
                                                          "}",
                                                          "{\"a\"}",
                                                          "{\"a\":}",
                                                          "{\"a\":1,}",
                                                          "{,}",
                                                          "{\"a\":1 \"b\":2}",
                                                          "{'a':1}",
                                                          "{a:1}",
                                                          "{\"a\":tru}",
                                                          "{\"a\":nul}",
                                                          "{\"a\":01}",
                                                          "{\"a\":-}",
                                                          "{\"a\":1.}",
                                                          "{\"a\":1e}",
                                                          "{\"a\":+1}",
                                                          "{\"a\":\"unterminated}",
                                                          "{\"a\":\"\\x\"}",
                                                          "{\"a\":\"\\u12\"}",
                                                          "{\"a\":[1,]}",
                                                          "{\"a\":[1 2]}",
                                                          "{} {}",
                                                          "{}x",
                                                          std::string("{\"a\":\"\0\"}", 9),
                                                          "{\"a\":\"new\nline\"}"}) {
    SCOPED_TRACE(text);
    expect_malformed(text);
  }
}

// A status file with one key's JSON value replaced, or the key left out (nullopt).
std::string file_with(const std::string& key, const std::optional<std::string>& json) {
  const std::vector<std::pair<std::string, std::string>> fields{{"supervisor_pid", "4700"},
                                                                {"supervisor_start_time", "81234"},
                                                                {"program", "\"/bin/app\""},
                                                                {"state", "\"running\""},
                                                                {"main_pid", "4711"},
                                                                {"ready", "true"},
                                                                {"restarts", "0"},
                                                                {"last_exit", "null"},
                                                                {"since", "0"}};
  std::string out = "{";
  for (const auto& [k, v] : fields) {
    if (k == key && !json) continue;
    if (out.size() > 1) out += ",";
    out += "\"" + k + "\":" + (k == key ? *json : v);
  }
  return out + "}";
}

TEST(StatusParse, RefusesMissingOrMistypedKeys) {
  ASSERT_TRUE(parse_status(file_with("", std::nullopt)));
  for (const char* key : {"supervisor_pid", "supervisor_start_time", "state", "ready"}) {
    expect_malformed(file_with(key, std::nullopt), std::string("\"") + key + "\" is missing");
  }
  for (const char* key : {"program", "main_pid", "restarts", "last_exit", "since"}) {
    EXPECT_TRUE(parse_status(file_with(key, std::nullopt))) << key << " is optional";
  }
  const std::vector<std::pair<std::string, std::string>> bad{
      {"supervisor_pid", "0"},
      {"supervisor_pid", "-5"},
      {"supervisor_pid", "2147483648"},
      {"supervisor_pid", "99999999999999999999"},
      {"supervisor_pid", "1.5"},
      {"supervisor_pid", "\"4700\""},
      {"supervisor_pid", "null"},
      {"supervisor_start_time", "-1"},
      {"state", "1"},
      {"ready", "1"},
      {"ready", "\"true\""},
      {"main_pid", "0"},
      {"restarts", "null"},
      {"last_exit", "-1"},
      {"program", "[]"},
      {"since", "{}"}};
  for (const auto& [key, json] : bad) {
    SCOPED_TRACE(key + "=" + json);
    expect_malformed(file_with(key, json), "\"" + key + "\" is not");
  }
  expect_malformed(file_with("state", "\"sleeping\""), "unknown state \"sleeping\"");
  expect_malformed(file_with("main_pid", "0"), "\"main_pid\" is not null or a whole number");
  expect_malformed(file_with("ready", "true,\"ready\":false"), "duplicate key");
}

TEST(StatusParse, RefusesEveryTruncationOfAValidFile) {
  const std::string valid = format_status(sample(), 1764517200);
  const std::size_t object_end = valid.rfind('}');
  for (std::size_t n = 0; n <= object_end; ++n) {
    SCOPED_TRACE(n);
    expect_malformed(valid.substr(0, n));
  }
}

TEST(StatusParse, DeepNestingIsRefusedWithoutExhaustingTheStack) {
  expect_malformed("{\"a\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}",
                   "nested too deeply");
  expect_malformed("{\"a\":" + std::string(100'000, '['), "nested too deeply");
  std::string objects = "{\"a\":";
  for (int i = 0; i < 50'000; ++i) objects += "{\"a\":";
  expect_malformed(objects, "nested too deeply");
}

// Random corruptions of a valid file: each is parsed or refused, never a crash (the sanitizer
// build turns any out-of-bounds read into a failure).
TEST(StatusParse, SurvivesRandomCorruption) {
  const std::string valid = format_status(sample(), 1764517200);
  std::mt19937 random(20261130);
  const std::string alphabet = "{}[]\":,\\u0123456789abcdeftrunl-+.eE \n\x80\xff";
  int refused = 0;
  for (int round = 0; round < 20'000; ++round) {
    std::string text = valid;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = random() % text.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1 + random() % 8);
          break;
      }
      if (text.empty()) text = "{";
    }
    if (!parse_status(text)) ++refused;
  }
  EXPECT_GT(refused, 10'000) << "most corruptions break the file";
}

// ---- judge_probe ----

TEST(Probe, ReadyNeedsTheSameSupervisorAndReadiness) {
  const Status s = sample();
  EXPECT_EQ(judge_probe(ProbeKind::kReady, s, kSelf.start_time).exit_code, 0);
  EXPECT_EQ(judge_probe(ProbeKind::kReady, s, kSelf.start_time).message, "");
  EXPECT_EQ(judge_probe(ProbeKind::kAlive, s, kSelf.start_time).exit_code, 0);

  const ProbeVerdict gone = judge_probe(ProbeKind::kReady, s, std::nullopt);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.message, "no supervisor: pid 4700 is gone");
  EXPECT_EQ(judge_probe(ProbeKind::kAlive, s, std::nullopt).message, gone.message);

  const ProbeVerdict recycled = judge_probe(ProbeKind::kAlive, s, kSelf.start_time + 1);
  EXPECT_EQ(recycled.exit_code, 1);
  EXPECT_EQ(recycled.message,
            "no supervisor: pid 4700 is another process now (start time 81235, not 81234)");
}

TEST(Probe, NotReadyNamesTheState) {
  Status s = sample();
  s.ready = false;
  for (Phase p : {Phase::kStarting, Phase::kBackoff, Phase::kHotRestart, Phase::kStopping}) {
    s.phase = p;
    const ProbeVerdict ready = judge_probe(ProbeKind::kReady, s, kSelf.start_time);
    EXPECT_EQ(ready.exit_code, 1);
    EXPECT_EQ(ready.message, std::string("not ready: ") + phase_name(p));
    EXPECT_EQ(judge_probe(ProbeKind::kAlive, s, kSelf.start_time).exit_code, 0)
        << "alive while " << phase_name(p);
  }
}

TEST(Probe, GivenUpIsNeitherReadyNorAlive) {
  Status s = sample();
  s.phase = Phase::kGivenUp;
  s.ready = true;  // as a hand-written file might say
  EXPECT_EQ(judge_probe(ProbeKind::kReady, s, kSelf.start_time).message, "not ready: given-up");
  const ProbeVerdict alive = judge_probe(ProbeKind::kAlive, s, kSelf.start_time);
  EXPECT_EQ(alive.exit_code, 1);
  EXPECT_EQ(alive.message, "not alive: given-up");
}

// ---- the options ----

Result<Config> parse(const std::vector<std::string>& words) {
  std::vector<std::string_view> views(words.begin(), words.end());
  return parse_cli(views);
}

TEST(StatusOptions, StatusFileAndProbeParse) {
  auto run = parse({"--status-file=/run/s.json", "--", "/bin/app"});
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status_file, "/run/s.json");
  EXPECT_EQ(run->action, Config::Action::kRun);
  auto ready = parse({"--probe=ready", "--status-file", "/run/s.json"});
  ASSERT_TRUE(ready) << ready.error().message;
  EXPECT_EQ(ready->action, Config::Action::kProbe);
  EXPECT_EQ(ready->probe, ProbeKind::kReady);
  auto alive = parse({"--status-file=/run/s.json", "--probe", "alive"});
  ASSERT_TRUE(alive) << alive.error().message;
  EXPECT_EQ(alive->probe, ProbeKind::kAlive);
}

TEST(StatusOptions, BadValuesAreRefused) {
  auto message = [](const std::vector<std::string>& words) {
    auto r = parse(words);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(message({"--status-file=", "/bin/app"}),
            "invalid value for --status-file: '' (must not be empty)");
  EXPECT_EQ(message({"--probe=healthy", "--status-file=/s"}),
            "invalid value for --probe: 'healthy' (expected ready or alive)");
  EXPECT_EQ(message({"--probe=ready"}), "--probe: requires --status-file=PATH");
  EXPECT_EQ(message({"--probe=ready", "--status-file=/s", "--", "/bin/app"}),
            "--probe: starts nothing, so takes no PROGRAM");
}

}  // namespace
}  // namespace sup::core
