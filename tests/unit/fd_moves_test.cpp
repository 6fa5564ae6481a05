// core/fd_moves: the in-place placement of passed fds, run on a simulated fd table.
#include "core/fd_moves.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>

namespace sup::core {
namespace {

using Pairs = std::vector<std::pair<int, int>>;

// An fd table: number -> (which open file, close-on-exec). Each number given at the start
// holds a file of its own, named by that number, close-on-exec.
struct Table {
  struct Entry {
    int file;
    bool cloexec;
  };
  std::map<int, Entry> fds;
  int spare = -1;
  std::size_t most_open = 0;

  explicit Table(const std::set<int>& open) {
    for (int fd : open) fds[fd] = {fd, true};
    most_open = fds.size();
  }

  // Runs the plan as the child does; false (with a test failure) on a step that is wrong.
  bool run(const std::vector<FdStep>& steps) {
    for (const FdStep& s : steps) {
      switch (s.kind) {
        case FdStep::Kind::kMove:
          if (fds.count(s.from) == 0) return fail("moves a closed fd", s);
          fds[s.to] = {fds[s.from].file, false};
          break;
        case FdStep::Kind::kKeep:
          if (s.from != s.to || fds.count(s.to) == 0) return fail("keeps what is not there", s);
          fds[s.to].cloexec = false;
          break;
        case FdStep::Kind::kSave: {
          if (spare >= 0) return fail("a second spare", s);
          if (fds.count(s.from) == 0) return fail("saves a closed fd", s);
          spare = 3;  // F_DUPFD_CLOEXEC's lowest free number from 3
          while (fds.count(spare) != 0) ++spare;
          fds[spare] = {fds[s.from].file, true};
          break;
        }
        case FdStep::Kind::kFromSpare:
          if (spare < 0) return fail("no spare to read", s);
          fds[s.to] = {fds[spare].file, false};
          break;
        case FdStep::Kind::kDropSpare:
          if (spare < 0) return fail("no spare to drop", s);
          fds.erase(spare);
          spare = -1;
          break;
      }
      most_open = std::max(most_open, fds.size());
    }
    if (spare >= 0) return fail("the spare is left open", {FdStep::Kind::kDropSpare});
    return true;
  }

  static bool fail(const std::string& what, const FdStep& s) {
    ADD_FAILURE() << what << ": step " << static_cast<int>(s.kind) << " from " << s.from << " to "
                  << s.to;
    return false;
  }
};

// Runs the plan for `pairs` on a table where the sources and `others` are open, and checks
// every target: the file of its (last) source, inheritable; no more than one spare used.
void expect_placed(const Pairs& pairs, std::set<int> others = {}) {
  std::map<int, int> want;
  for (const auto& [from, to] : pairs) want[to] = from;
  std::set<int> open = std::move(others);
  for (const auto& [from, to] : pairs) open.insert(from);
  Table table(open);
  const auto steps = plan_fd_moves(pairs);
  if (!table.run(steps)) return;
  for (const auto& [to, from] : want) {
    ASSERT_EQ(table.fds.count(to), 1u) << "target " << to;
    EXPECT_EQ(table.fds[to].file, from) << "target " << to;
    EXPECT_FALSE(table.fds[to].cloexec) << "target " << to;
  }
  // The fds end up at their targets, sources not taken over stay: never more open at once
  // than that and one spare.
  std::set<int> after = open;
  for (const auto& [to, from] : want) after.insert(to);
  EXPECT_LE(table.most_open, after.size() + 1);
}

TEST(PlanFdMoves, NothingToPass) { EXPECT_TRUE(plan_fd_moves({}).empty()); }

// systemd's fds, already at 3, 4, …: nothing moves.
TEST(PlanFdMoves, FdsAtTheirNumbersAreOnlyMadeInheritable) {
  const auto steps = plan_fd_moves({{3, 3}, {4, 4}});
  const std::vector<FdStep> want = {{FdStep::Kind::kKeep, 3, 3}, {FdStep::Kind::kKeep, 4, 4}};
  EXPECT_EQ(steps, want);
}

TEST(PlanFdMoves, ASwapUsesTheSpareOnce) {
  const auto steps = plan_fd_moves({{3, 4}, {4, 3}});
  EXPECT_EQ(std::count_if(steps.begin(), steps.end(),
                          [](const FdStep& s) { return s.kind == FdStep::Kind::kSave; }),
            1);
  expect_placed({{3, 4}, {4, 3}});
}

// A chain needs no spare: each target is written once its fd has been read.
TEST(PlanFdMoves, AChainNeedsNoSpare) {
  const Pairs chain = {{5, 4}, {4, 3}, {6, 5}};
  for (const FdStep& s : plan_fd_moves(chain)) EXPECT_NE(s.kind, FdStep::Kind::kSave);
  expect_placed(chain);
}

// The supervisor's own fds (signalfd, epoll…) sit on target numbers and are overwritten.
TEST(PlanFdMoves, FdsHighUpComeDownOverOthersOnTheTargets) {
  Pairs pairs;
  for (int i = 0; i < 900; ++i) pairs.emplace_back(2000 + i, 3 + i);
  expect_placed(pairs, {3, 4, 10, 500});
}

TEST(PlanFdMoves, CyclesOfEveryLengthAndTheirTrees) {
  for (int length = 1; length <= 6; ++length) {
    Pairs pairs;
    for (int i = 0; i < length; ++i) pairs.emplace_back(3 + (i + 1) % length, 3 + i);
    pairs.emplace_back(3, 20);   // a tree hanging off the cycle
    pairs.emplace_back(20, 21);  // and off that
    SCOPED_TRACE("cycle of " + std::to_string(length));
    expect_placed(pairs);
  }
}

TEST(PlanFdMoves, OneSourceToSeveralTargets) { expect_placed({{7, 3}, {7, 4}, {3, 7}}); }

// --notify-fd=3 beside a socket for fd 3: the later pair wins, as dup2 in order did.
TEST(PlanFdMoves, ATargetNamedTwiceGetsTheLaterSource) {
  Table table({3, 9});
  ASSERT_TRUE(table.run(plan_fd_moves({{3, 3}, {9, 3}})));
  EXPECT_EQ(table.fds[3].file, 9);
}

// Random mixtures of cycles, chains, fan-out and fds in place.
TEST(PlanFdMoves, RandomPermutations) {
  std::mt19937 random(12345);
  for (int round = 0; round < 300; ++round) {
    const int count = 1 + static_cast<int>(random() % 40);
    std::vector<int> targets(static_cast<std::size_t>(count));
    std::iota(targets.begin(), targets.end(), 3);
    Pairs pairs;
    for (int to : targets) {
      const int from = random() % 4 == 0 ? 60 + static_cast<int>(random() % 20)
                                         : 3 + static_cast<int>(random() % (count + 5));
      pairs.emplace_back(from, to);
    }
    SCOPED_TRACE("round " + std::to_string(round));
    expect_placed(pairs, {3 + count + 1});
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace sup::core
