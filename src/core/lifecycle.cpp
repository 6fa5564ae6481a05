#include "core/lifecycle.hpp"

#include "core/reducer.hpp"
#include "util/overloaded.hpp"

namespace sup::core {

Step start(const Settings& settings, Millis now) {
  Machine machine{state::Starting{}, Memory{}};
  if (settings.keepalive_interval_ms > 0) {
    machine.memory.keepalive_at = now + settings.keepalive_interval_ms;
  }
  detail::Reducer r(settings, std::move(machine), now);
  r.spawn();
  return std::move(r).finish();
}

Step step(const Settings& settings, Machine machine, const Event& event, Millis now) {
  detail::Reducer r(settings, std::move(machine), now);
  std::visit([&](const auto& e) { r.on(e); }, event);
  return std::move(r).finish();
}

std::optional<Millis> deadline(const Machine& machine) {
  std::optional<Millis> at = machine.memory.keepalive_at;
  auto consider = [&](std::optional<Millis> t) {
    if (t && (!at || *t < *at)) at = t;
  };
  for (const auto& r : machine.memory.retiring) consider(r.kill_at);
  std::visit(Overloaded{
                 [&](const state::Running& s) {
                   consider(s.start_deadline);
                   consider(s.watchdog_deadline);
                 },
                 [&](const state::Stopping& s) { consider(s.kill_at); },
                 [&](const state::AwaitingExec& s) { consider(s.next_check); },
                 [&](const state::AwaitingPidfile& s) { consider(s.until); },
                 [&](const state::Cleaning& s) { consider(s.kill_at); },
                 [&](const state::Backoff& s) { consider(s.until); },
                 [&](const state::HotRestart& s) { consider(s.ready_by); },
                 [](const auto&) {},
             },
             machine.state);
  return at;
}

bool awaits_empty(const Machine& machine) {
  return std::holds_alternative<state::Cleaning>(machine.state) ||
         std::holds_alternative<state::AwaitingExec>(machine.state) ||
         std::holds_alternative<state::AwaitingPidfile>(machine.state);
}

std::vector<int> live_generations(const Machine& machine) {
  return std::visit(Overloaded{
                        [](const state::Running& s) { return std::vector<int>{s.gen.number}; },
                        [](const state::Stopping& s) { return std::vector<int>{s.gen.number}; },
                        [](const state::HotRestart& s) {
                          return std::vector<int>{s.old.number, s.next.number};
                        },
                        [](const auto&) { return std::vector<int>{}; },
                    },
                    machine.state);
}

const char* state_name(const State& state) {
  return std::visit(Overloaded{
                        [](const state::Starting&) { return "Starting"; },
                        [](const state::Running&) { return "Running"; },
                        [](const state::Stopping&) { return "Stopping"; },
                        [](const state::Electing&) { return "Electing"; },
                        [](const state::AwaitingExec&) { return "AwaitingExec"; },
                        [](const state::AwaitingPidfile&) { return "AwaitingPidfile"; },
                        [](const state::Cleaning&) { return "Cleaning"; },
                        [](const state::Backoff&) { return "Backoff"; },
                        [](const state::HotRestart&) { return "HotRestart"; },
                        [](const state::Done&) { return "Done"; },
                    },
                    state);
}

const char* event_name(const Event& event) {
  return std::visit(Overloaded{
                        [](const event::Spawned&) { return "Spawned"; },
                        [](const event::SpawnFailed&) { return "SpawnFailed"; },
                        [](const event::MainExited&) { return "MainExited"; },
                        [](const event::SuccessorFound&) { return "SuccessorFound"; },
                        [](const event::NoSuccessor&) { return "NoSuccessor"; },
                        [](const event::PidfileChanged&) { return "PidfileChanged"; },
                        [](const event::AppEmpty&) { return "AppEmpty"; },
                        [](const event::GenerationEmpty&) { return "GenerationEmpty"; },
                        [](const event::Signal&) { return "Signal"; },
                        [](const event::Notified&) { return "Notified"; },
                        [](const event::ReadyLine&) { return "ReadyLine"; },
                        [](const event::Tick&) { return "Tick"; },
                    },
                    event);
}

}  // namespace sup::core
