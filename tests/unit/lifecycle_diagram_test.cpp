// The state diagram in docs/architecture.md is generated from the reducer: this test steps a
// sample machine of every state with every kind of event and renders each change of state. If
// the diagram in the document differs, it fails and prints the one to paste.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/lifecycle.hpp"

namespace sup::core {
namespace {

constexpr Millis kT0 = 1'000'000;

Settings sample_settings() {
  Settings s;
  s.cfg.args = {"/bin/app"};
  s.cfg.restart.on_crash = s.cfg.restart.on_error = true;
  s.cfg.ready = ReadyMode::kNotify;
  s.cfg.start_timeout_ms = 60'000;
  s.cfg.watchdog_ms = 5'000;
  s.cfg.main_pidfile = "/run/app.pid";
  s.cfg.hot_restart_signal = SIGHUP;
  s.program = "/bin/app";
  return s;
}

Machine after(const Settings& s, Machine m, std::vector<Event> events, Millis at = kT0) {
  for (const auto& e : events) m = step(s, std::move(m), e, at).machine;
  return m;
}

struct Sample {
  std::string note;  // which variant of the state, when it matters
  Machine machine;
};

std::vector<Sample> samples(const Settings& s) {
  const Machine starting = start(s, kT0).machine;
  const Machine running = after(s, starting, {event::Spawned{100}});
  const event::MainExited crashed{ExitStatus::killed(SIGSEGV), 0};
  const event::MainExited exited_ok{ExitStatus::exited(0), 0};
  Settings no_restart = s;
  no_restart.cfg.restart = RestartPolicy{};
  const Machine backoff = after(s, running,
                                {crashed, event::NoSuccessor{}, event::AppEmpty{},
                                 event::Spawned{101}, crashed, event::NoSuccessor{}},
                                kT0 + 10);
  const Machine stopping = after(s, running, {event::Signal{SIGTERM, false}});
  const Machine hot = after(s, running, {event::Signal{SIGHUP, false}, event::Spawned{200}});
  return {
      {"first start", starting},
      {"restart", after(s, running, {crashed, event::NoSuccessor{}, event::AppEmpty{}})},
      {"", running},
      {"requested", stopping},
      {"hung", after(s, running, {event::Tick{}}, kT0 + 5'000)},
      {"killed", after(s, stopping, {event::Tick{}}, *deadline(stopping))},
      {"", after(s, running, {crashed})},
      {"", after(s, running, {exited_ok, event::NoSuccessor{true, true}})},
      {"", after(s, running, {exited_ok, event::NoSuccessor{true, false, 0, true}})},
      {"restart now", after(s, running, {crashed, event::NoSuccessor{}})},
      {"restart later", backoff},
      {"finish", after(no_restart, running, {exited_ok, event::NoSuccessor{}})},
      {"", after(s, backoff, {event::AppEmpty{}}, kT0 + 10)},
      {"", hot},
      {"", after(s, hot, {event::MainExited{ExitStatus::exited(1), 0, 2}})},
  };
}

struct LabelledEvent {
  std::string label;
  Event event;
};

std::vector<LabelledEvent> events() {
  NotifyMessage ready;
  ready.ready = true;
  return {
      {"Spawned", event::Spawned{200}},
      {"SpawnFailed", event::SpawnFailed{2, "no such file"}},
      {"MainExited", event::MainExited{ExitStatus::exited(1), 0}},
      {"SuccessorFound", event::SuccessorFound{300, "child"}},
      {"NoSuccessor", event::NoSuccessor{true, false}},
      {"NoSuccessor (watching)", event::NoSuccessor{true, true}},
      {"NoSuccessor (app empty)", event::NoSuccessor{false, false}},
      {"NoSuccessor (exec pending)", event::NoSuccessor{true, false, 0, true}},
      {"PidfileChanged", event::PidfileChanged{}},
      {"AppEmpty", event::AppEmpty{}},
      {"TERM", event::Signal{SIGTERM, false}},
      {"HUP (hot restart)", event::Signal{SIGHUP, false}},
      {"USR1", event::Signal{SIGUSR1, false}},
      {"READY=1", event::Notified{ready, 100}},
      {"ReadyLine", event::ReadyLine{}},
      {"Tick", event::Tick{}},
      {"READY=1 (new)", event::Notified{ready, 200, 2}},
      {"NoSuccessor (new)", event::NoSuccessor{false, false, 2}},
  };
}

std::string render(const Settings& s) {
  // (from, to) -> labels, in a stable order.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> edges;
  for (const auto& sample : samples(s)) {
    const std::string from = state_name(sample.machine.state);
    for (const auto& [label, e] : events()) {
      // A Tick comes at the machine's deadline; without one, there is none.
      const auto at = std::holds_alternative<event::Tick>(e) ? deadline(sample.machine) : kT0;
      if (!at) continue;
      Settings used = s;
      if (sample.note == "finish") used.cfg.restart = RestartPolicy{};
      const std::string to = state_name(step(used, sample.machine, e, *at).machine.state);
      if (to == from) continue;
      std::string edge = label;
      if (!sample.note.empty()) edge += " [" + sample.note + "]";
      edges[{from, to}].insert(edge);
    }
  }
  std::ostringstream out;
  out << "stateDiagram-v2\n    [*] --> Starting\n";
  for (const auto& [ends, labels] : edges) {
    out << "    " << ends.first << " --> " << ends.second << ": ";
    bool first = true;
    for (const auto& l : labels) {
      out << (first ? "" : ", ") << l;
      first = false;
    }
    out << "\n";
  }
  out << "    Done --> [*]\n";
  return out.str();
}

std::string diagram_in_doc() {
  std::ifstream in(std::string(SOURCE_DIR) + "/docs/architecture.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "```mermaid\n";
  const auto start = doc.find(begin);
  if (start == std::string::npos) return "";
  const auto end = doc.find("```", start + begin.size());
  return doc.substr(start + begin.size(), end - start - begin.size());
}

TEST(LifecycleDiagram, DocumentMatchesTheReducer) {
  const std::string generated = render(sample_settings());
  EXPECT_EQ(diagram_in_doc(), generated)
      << "docs/architecture.md's diagram is stale; the reducer's is:\n"
      << generated;
}

TEST(LifecycleDiagram, EveryStateIsReached) {
  const std::string generated = render(sample_settings());
  for (const char* s : {"Starting", "Running", "Stopping", "Electing", "AwaitingPidfile",
                        "Cleaning", "Backoff", "HotRestart", "Done"}) {
    EXPECT_NE(generated.find(std::string("--> ") + s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace sup::core
