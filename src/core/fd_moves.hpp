// Placing the fds a child is given at the numbers it is to have them (os::SpawnSpec::pass_fds),
// planned before the clone, since the child may not allocate. The plan is a permutation done in
// place: it needs one spare fd number at most, whatever the count, where copying every fd out
// of the way first needed as many spare numbers as there are fds, more than a soft fd limit of
// 1024 leaves beside a few hundred sockets (SPEC 7).
#pragma once

#include <utility>
#include <vector>

namespace sup::core {

struct FdStep {
  enum class Kind {
    kMove,       // dup2(from, to): `to` gets the fd, without close-on-exec
    kKeep,       // the fd is at its number already (from == to): clear its close-on-exec
    kSave,       // copy `from` to the spare (close-on-exec, a free number, none of the targets)
    kFromSpare,  // dup2(spare, to)
    kDropSpare,  // close the spare: it has served
  };
  Kind kind;
  int from = -1;  // kMove, kKeep, kSave
  int to = -1;    // kMove, kKeep, kFromSpare
  bool operator==(const FdStep&) const = default;
};

// The steps that give every pair's target (.second) the fd open at its source (.first), each
// source read before any step overwrites it. A target named twice gets the later pair's
// source. Sources may be targets of other pairs, and one source may go to several targets.
// At most one spare is in use at a time; only a cycle of moves (3 -> 4 -> 3) needs it, and by
// then every target number is taken, so the spare is never one of them.
std::vector<FdStep> plan_fd_moves(const std::vector<std::pair<int, int>>& pairs);

}  // namespace sup::core
