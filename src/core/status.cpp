#include "core/status.hpp"

#include <array>
#include <limits>
#include <variant>

#include "core/json.hpp"
#include "util/overloaded.hpp"

namespace sup::core {
namespace {

constexpr std::array kPhases{Phase::kStarting,   Phase::kRunning,  Phase::kBackoff,
                             Phase::kHotRestart, Phase::kStopping, Phase::kGivenUp};
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

std::string number_or_null(std::optional<int> n) { return n ? std::to_string(*n) : "null"; }

// The known keys of a parsed object, each checked for its type and range.
class Fields {
 public:
  explicit Fields(const json::Object& members) : m_(members) {}

  // An integer in [min, max]; absent is an error if required, else nullopt; null likewise
  // unless nullable.
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max,
                                      bool required, bool nullable = false) {
    const json::Value* v = find(key, required);
    if (v == nullptr || (nullable && std::holds_alternative<std::nullptr_t>(*v))) {
      return std::nullopt;
    }
    const auto* n = std::get_if<std::int64_t>(v);
    if (n == nullptr || *n < min || *n > max) {
      problem(key, "is not " + std::string(nullable ? "null or " : "") + "a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return *n;
  }
  // A value of type T (what: its name for the message); nullptr if absent (an error if
  // required) or of another type (an error).
  template <class T>
  const T* get(const std::string& key, bool required, const char* what) {
    const json::Value* v = find(key, required);
    if (v == nullptr) return nullptr;
    const T* t = std::get_if<T>(v);
    if (t == nullptr) problem(key, std::string("is not ") + what);
    return t;
  }
  const std::string& error() const { return error_; }

 private:
  const json::Value* find(const std::string& key, bool required) {
    const auto it = m_.find(key);
    if (it != m_.end()) return &it->second;
    if (required) problem(key, "is missing");
    return nullptr;
  }
  void problem(const std::string& key, const std::string& what) {
    if (error_.empty()) error_ = "\"" + key + "\" " + what;
  }

  const json::Object& m_;
  std::string error_;
};

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kStarting:
      return "starting";
    case Phase::kRunning:
      return "running";
    case Phase::kBackoff:
      return "backoff";
    case Phase::kHotRestart:
      return "hot-restart";
    case Phase::kStopping:
      return "stopping";
    case Phase::kGivenUp:
      return "given-up";
  }
  return "?";
}

Status derive_status(const SupervisorId& self, const Settings& settings, const Machine& machine) {
  Status s;
  s.supervisor = self;
  s.program = settings.program;
  s.restarts = machine.memory.restarts;
  if (machine.memory.last_status) s.last_exit = to_shell_code(*machine.memory.last_status);
  const Phase ending = machine.memory.gave_up ? Phase::kGivenUp : Phase::kStopping;
  // The serving generation: its main process is unknown while its heir is sought.
  auto serving = [&](const Generation& gen, bool main_known) {
    s.phase = gen.ready ? Phase::kRunning : Phase::kStarting;
    s.ready = gen.ready;
    if (main_known) s.main_pid = gen.main;
  };
  std::visit(Overloaded{
                 [&](const state::Starting&) { s.phase = Phase::kStarting; },
                 [&](const state::Running& r) { serving(r.gen, true); },
                 [&](const state::Electing& e) { serving(e.gen, false); },
                 [&](const state::AwaitingExec& a) { serving(a.gen, false); },
                 [&](const state::AwaitingPidfile& a) { serving(a.gen, false); },
                 [&](const state::Stopping& st) {
                   s.phase = Phase::kStopping;
                   s.main_pid = st.gen.main;
                 },
                 [&](const state::Cleaning& c) { s.phase = c.restart ? Phase::kBackoff : ending; },
                 [&](const state::Backoff&) { s.phase = Phase::kBackoff; },
                 [&](const state::HotRestart& hr) {
                   s.phase = Phase::kHotRestart;
                   // The old generation serves, and gets the signals, until replaced: a probe
                   // that failed now would take a zero-downtime replacement out of service.
                   s.main_pid = hr.old.main;
                   s.ready = hr.old.ready;
                 },
                 [&](const state::Done&) { s.phase = ending; },
             },
             machine.state);
  return s;
}

std::string format_status(const Status& s, std::int64_t since) {
  std::string out = "{\"supervisor_pid\":" + std::to_string(s.supervisor.pid) +
                    ",\"supervisor_start_time\":" + std::to_string(s.supervisor.start_time) +
                    ",\"program\":";
  json::append_string(out, s.program);
  out += ",\"state\":\"" + std::string(phase_name(s.phase)) +
         "\",\"main_pid\":" + number_or_null(s.main_pid) +
         ",\"ready\":" + (s.ready ? "true" : "false") +
         ",\"restarts\":" + std::to_string(s.restarts) +
         ",\"last_exit\":" + number_or_null(s.last_exit) + ",\"since\":" + std::to_string(since) +
         "}\n";
  return out;
}

Result<StatusFile> parse_status(std::string_view text) {
  auto members = json::parse_object(text);
  if (!members) return logic_error("not a status file: " + members.error().message);
  Fields f(*members);
  StatusFile file;
  Status& s = file.status;
  s.supervisor.pid = static_cast<int>(f.integer("supervisor_pid", 1, kMaxInt, true).value_or(0));
  s.supervisor.start_time = static_cast<std::uint64_t>(
      f.integer("supervisor_start_time", 0, kMaxInt64, true).value_or(0));
  if (const auto* state = f.get<std::string>("state", true, "a string")) {
    bool known = false;
    for (Phase p : kPhases) {
      if (*state == phase_name(p)) s.phase = p, known = true;
    }
    if (!known) return logic_error("not a status file: unknown state \"" + *state + "\"");
  }
  if (const bool* ready = f.get<bool>("ready", true, "true or false")) s.ready = *ready;
  if (auto main = f.integer("main_pid", 1, kMaxInt, false, true))
    s.main_pid = static_cast<int>(*main);
  s.restarts = static_cast<int>(f.integer("restarts", 0, kMaxInt, false).value_or(0));
  if (auto last = f.integer("last_exit", 0, kMaxInt, false, true))
    s.last_exit = static_cast<int>(*last);
  file.since = f.integer("since", 0, kMaxInt64, false).value_or(0);
  if (const auto* program = f.get<std::string>("program", false, "a string")) s.program = *program;
  if (!f.error().empty()) return logic_error("not a status file: " + f.error());
  return file;
}

ProbeVerdict judge_probe(ProbeKind kind, const Status& status,
                         std::optional<std::uint64_t> live_start_time) {
  const std::string pid = "pid " + std::to_string(status.supervisor.pid);
  if (!live_start_time) return {1, "no supervisor: " + pid + " is gone"};
  if (*live_start_time != status.supervisor.start_time) {
    return {1, "no supervisor: " + pid + " is another process now (start time " +
                   std::to_string(*live_start_time) + ", not " +
                   std::to_string(status.supervisor.start_time) + ")"};
  }
  const bool ready_probe = kind == ProbeKind::kReady;
  if (status.phase == Phase::kGivenUp || (ready_probe && !status.ready)) {
    return {1, std::string(ready_probe ? "not ready: " : "not alive: ") + phase_name(status.phase)};
  }
  return {0, {}};
}

}  // namespace sup::core
