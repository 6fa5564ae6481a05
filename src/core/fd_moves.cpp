#include "core/fd_moves.hpp"

#include <cstddef>
#include <map>

namespace sup::core {

std::vector<FdStep> plan_fd_moves(const std::vector<std::pair<int, int>>& pairs) {
  // One move per target, the last pair's.
  std::map<int, int> source_of;
  for (const auto& [from, to] : pairs) source_of[to] = from;

  std::vector<FdStep> steps;
  std::map<int, int> readers;             // fd -> pending moves that read it
  std::multimap<int, int> moves_reading;  // fd -> targets of the pending moves that read it
  for (const auto& [to, from] : source_of) {
    if (from == to) {
      steps.push_back({FdStep::Kind::kKeep, from, to});
      continue;
    }
    ++readers[from];
    moves_reading.emplace(from, to);
  }

  constexpr int kSpare = -1;   // a pending move's source that is the spare
  std::map<int, int> pending;  // target -> source, for the moves not done yet
  for (const auto& [to, from] : source_of) {
    if (from != to) pending[to] = from;
  }
  int spare_readers = 0;
  std::vector<int> ready;  // targets no pending move reads any more
  for (const auto& [to, from] : pending) {
    if (readers[to] == 0) ready.push_back(to);
  }
  const auto run_ready = [&] {
    while (!ready.empty()) {
      const int to = ready.back();
      ready.pop_back();
      const int from = pending[to];
      pending.erase(to);
      if (from == kSpare) {
        steps.push_back({FdStep::Kind::kFromSpare, -1, to});
        if (--spare_readers == 0) steps.push_back({FdStep::Kind::kDropSpare});
        continue;
      }
      steps.push_back({FdStep::Kind::kMove, from, to});
      // The source is free to be overwritten once nothing pending reads it.
      if (--readers[from] == 0 && pending.count(from) != 0) ready.push_back(from);
    }
  };
  run_ready();
  // What is left are cycles, each target read by the next move round it: one target's fd goes
  // to the spare, and the cycle unwinds as a chain ending at the spare.
  while (!pending.empty()) {
    const int to = pending.begin()->first;
    steps.push_back({FdStep::Kind::kSave, to, -1});
    const auto [first, last] = moves_reading.equal_range(to);
    for (auto it = first; it != last; ++it) {
      const auto move = pending.find(it->second);
      if (move == pending.end() || move->second != to) continue;
      move->second = kSpare;
      ++spare_readers;
    }
    readers[to] = 0;
    ready.push_back(to);
    run_ready();
  }
  return steps;
}

}  // namespace sup::core
