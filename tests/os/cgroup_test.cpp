// The cgroup adapter against the real kernel, as root; each backend skips where it cannot be
// set up. Every cgroup and process a test makes is removed or killed even when it fails. The
// pure discovery helpers are tested on fixtures in cgroup_discovery_test.cpp.
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "core/proc_parse.hpp"
#include "os/cgroup.hpp"
#include "os/cgroup_backends.hpp"

namespace sup::os {
namespace {

using namespace cgroup_detail;
using Clock = std::chrono::steady_clock;
constexpr int kDeadlineMs = 5000;

std::string read_file(const std::string& path) {
  auto text = read_text_at(AT_FDCWD, path);
  return text ? *text : std::string();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string dirname_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// cgroup.events: a change of its values is POLLPRI (it is always readable).
bool wait_changed(int fd, int timeout_ms) {
  pollfd p{fd, POLLPRI, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Makes the test process a subreaper, as the supervisor is, so that double-forked processes
// become our children (the none backend sees them; we reap them) and restores the old setting.
class Subreaper {
 public:
  Subreaper() {
    ::prctl(PR_GET_CHILD_SUBREAPER, &old_);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, old_); }

 private:
  int old_ = 0;
};

// A process we started, held by pidfd; killed and reaped on destruction whatever happened.
struct Child {
  pid_t pid = -1;
  Owner owner;  // pid + start time, to check via /proc that it no longer runs
  UniqueFd pidfd;

  void adopt(pid_t p) {
    pid = p;
    pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, p, 0)));
    if (auto st = owner_of(p)) owner = *st;
  }
  static std::optional<Owner> owner_of(pid_t p) {
    auto text = read_text_at(AT_FDCWD, "/proc/" + std::to_string(p) + "/stat");
    if (!text) return std::nullopt;
    auto st = core::parse_proc_stat(*text);
    if (!st) return std::nullopt;
    return Owner{p, st->start_time, own_pid_ns()};
  }
  // Waits (bounded) for it to exit, reaps it; true if it died of sig.
  bool reap_killed(int sig = SIGKILL) {
    if (pid <= 0) return false;
    if (!wait_readable(pidfd.get(), kDeadlineMs)) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, 0);
    pid = -1;
    return r > 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
  }
  ~Child() {
    if (pid <= 0) return;
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    ::waitpid(pid, nullptr, 0);
  }
};

// The app of the lifecycle test: a child that joins the cgroup (through join_fd, or born in
// it through clone3 into clone_fd), double-forks a grandchild into a new session, and both
// exec sleep. Returns once the grandchild has reported its pid and the middle process is gone.
struct Tree {
  Child child;
  Child grandchild;
};

::testing::AssertionResult start_tree(const AppCgroup& cg, bool use_clone3, Tree& tree) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ::testing::AssertionFailure() << "pipe2";
  UniqueFd rd(p[0]), wr(p[1]);
  int pidfd = -1;
  pid_t pid;
  if (use_clone3) {
    clone_args args{};
    args.flags = CLONE_PIDFD | CLONE_INTO_CGROUP;
    args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(cg.clone_fd());
    pid = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
  } else {
    pid = ::fork();
  }
  if (pid < 0) return ::testing::AssertionFailure() << "fork: " << errno;
  if (pid == 0) {
    if (!use_clone3 && cg.join_fd() >= 0 && ::write(cg.join_fd(), "0", 1) != 1) _exit(90);
    const pid_t mid = ::fork();
    if (mid == 0) {
      ::setsid();
      if (::fork() == 0) {
        const pid_t me = ::getpid();
        if (::write(wr.get(), &me, sizeof me) != sizeof me) _exit(91);
        ::execl("/bin/sleep", "sleep", "1000", nullptr);
        _exit(92);
      }
      _exit(0);
    }
    ::waitpid(mid, nullptr, 0);
    const pid_t done = 0;  // mid is gone: the app is exactly the child and the grandchild
    if (::write(wr.get(), &done, sizeof done) != sizeof done) _exit(93);
    ::execl("/bin/sleep", "sleep", "1000", nullptr);
    _exit(94);
  }
  if (pidfd >= 0) ::close(pidfd);
  tree.child.adopt(pid);
  wr.reset();
  // Two reports, in either order: the grandchild's pid, and the child's 0 once mid is reaped.
  pid_t g = 0;
  for (int i = 0; i < 2; ++i) {
    pid_t got = -1;
    if (!wait_readable(rd.get(), kDeadlineMs) || ::read(rd.get(), &got, sizeof got) != sizeof got) {
      return ::testing::AssertionFailure() << "the tree did not report";
    }
    if (got > 0) g = got;
  }
  if (g <= 0) return ::testing::AssertionFailure() << "no grandchild pid";
  tree.grandchild.adopt(g);
  return ::testing::AssertionSuccess();
}

bool contains(const std::vector<int>& pids, int pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Whether /proc/PID/cgroup puts pid in the cgroup dir (its last component, in some hierarchy)
// and dir/cgroup.procs lists it.
bool really_in(const std::string& dir, pid_t pid) {
  const std::string own = read_file("/proc/" + std::to_string(pid) + "/cgroup");
  const std::string procs = read_file(dir + "/cgroup.procs");
  return own.find("/" + basename_of(dir) + "\n") != std::string::npos &&
         ("\n" + procs).find("\n" + std::to_string(pid) + "\n") != std::string::npos;
}

// A v1 cgroup in a given hierarchy, bypassing create_v1's preference for freezer, so that the
// kill path without a freezer runs too.
Result<std::unique_ptr<AppCgroup>> open_in_v1_hierarchy(const char* controller) {
  auto h = find_v1_hierarchy(read_file("/proc/self/mountinfo"), read_file("/proc/self/cgroup"),
                             controller);
  if (!h) return std::move(h).error();
  const std::string name = app_cgroup_name(*self_owner());
  if (::mkdir((h->own_dir + "/" + name).c_str(), 0755) != 0) return errno_error("mkdir");
  auto cg = open_v1(*h, name);
  if (!cg) ::rmdir((h->own_dir + "/" + name).c_str());
  return cg;
}

// On a failed test, kills whatever is left in the cgroup and removes it once empty (the
// backends' destructors only rmdir, which an unexpected survivor would block).
struct Emptied {
  explicit Emptied(AppCgroup* c) : cg(c) {}
  Emptied(const Emptied&) = delete;
  Emptied& operator=(const Emptied&) = delete;
  AppCgroup* cg;
  ~Emptied() {
    (void)cg->kill_all(SIGKILL);
    (void)wait_until(
        [this] {
          auto populated = cg->populated();
          return !populated || !*populated;
        },
        kDeadlineMs);
    (void)cg->remove();
  }
};

struct Backend {
  const char* label;
  const char* name;
  std::function<Result<std::unique_ptr<AppCgroup>>()> make;
  bool clone3;
  int sig = SIGKILL;  // what kill_all sends
};

Backend by_mode(const char* label, const char* name, core::CgroupMode mode, bool clone3,
                int sig = SIGKILL) {
  return {label, name, [mode] { return create_app_cgroup(mode); }, clone3, sig};
}

class CgroupLifecycle : public ::testing::TestWithParam<Backend> {
 protected:
  Subreaper subreaper_;
};

TEST_P(CgroupLifecycle, TracksKillsAndRemovesTheWholeApp) {
  const Backend& b = GetParam();
  auto made = b.make();
  if (!made) GTEST_SKIP() << made.error().message;
  std::unique_ptr<AppCgroup> cg = std::move(*made);
  Emptied cleanup{cg.get()};
  EXPECT_STREQ(cg->backend(), b.name);
  const std::string dir = cg->path();
  if (std::string(b.name) != "none") {
    ASSERT_TRUE(exists(dir)) << dir;
    EXPECT_EQ(basename_of(dir), app_cgroup_name(*self_owner()));
  }
  if (b.clone3 && cg->clone_fd() < 0) GTEST_SKIP() << "no clone_fd";

  Tree tree;
  ASSERT_TRUE(start_tree(*cg, b.clone3, tree));
  std::string nested;
  if (!dir.empty()) {
    // The app may make cgroups of its own below ours: its processes there are still the app.
    nested = dir + "/nested";
    ASSERT_EQ(::mkdir(nested.c_str(), 0755), 0);
    ASSERT_TRUE(
        write_text_at(AT_FDCWD, nested + "/cgroup.procs", std::to_string(tree.grandchild.pid)));
  }
  auto pids = cg->pids();
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_TRUE(contains(*pids, tree.child.pid));
  EXPECT_TRUE(contains(*pids, tree.grandchild.pid));  // other session, orphaned: still the app
  EXPECT_FALSE(contains(*pids, ::getpid()));
  if (!dir.empty()) {
    EXPECT_TRUE(really_in(dir, tree.child.pid));
    EXPECT_TRUE(really_in(nested, tree.grandchild.pid));
  }
  auto populated = cg->populated();
  ASSERT_TRUE(populated && *populated);

  cg->drain_events();
  auto killed = cg->kill_all(b.sig);
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_EQ(*killed, 2);
  EXPECT_TRUE(tree.child.reap_killed(b.sig));
  EXPECT_TRUE(tree.grandchild.reap_killed(b.sig));
  EXPECT_FALSE(owner_running(tree.child.owner));
  EXPECT_FALSE(owner_running(tree.grandchild.owner));

  if (cg->events_fd() >= 0) {
    // The cgroup may have emptied before we drain: each wake-up is drain, then re-check.
    const auto deadline = Clock::now() + std::chrono::milliseconds(kDeadlineMs);
    bool empty = false;
    bool woke = false;
    while (!empty && wait_changed(cg->events_fd(), remaining_ms(deadline))) {
      woke = true;
      cg->drain_events();
      auto now_populated = cg->populated();
      empty = now_populated && !*now_populated;
    }
    EXPECT_TRUE(woke);
    EXPECT_TRUE(empty);
  }
  populated = cg->populated();
  ASSERT_TRUE(populated);
  EXPECT_FALSE(*populated);
  EXPECT_EQ(cg->oom_kills(), 0);

  auto removed = cg->remove();
  ASSERT_TRUE(removed) << removed.error().message;
  if (!dir.empty()) {
    EXPECT_FALSE(exists(dir));
  }
  EXPECT_TRUE(cg->remove());  // twice is fine
}

INSTANTIATE_TEST_SUITE_P(
    Backends, CgroupLifecycle,
    ::testing::Values(by_mode("v2_clone3", "v2", core::CgroupMode::kV2, true),
                      by_mode("v2_join", "v2", core::CgroupMode::kV2, false),
                      by_mode("v1", "v1", core::CgroupMode::kV1, false),
                      Backend{"v1_pids", "v1", [] { return open_in_v1_hierarchy("pids"); }, false},
                      Backend{"v1_systemd", "v1",
                              [] { return open_in_v1_hierarchy("name=systemd"); }, false},
                      by_mode("none", "none", core::CgroupMode::kNone, false),
                      // Other signals go to each process through a pidfd.
                      by_mode("v2_sigterm", "v2", core::CgroupMode::kV2, false, SIGTERM),
                      by_mode("v1_sigterm", "v1", core::CgroupMode::kV1, false, SIGTERM),
                      by_mode("none_sigterm", "none", core::CgroupMode::kNone, false, SIGTERM)),
    [](const ::testing::TestParamInfo<Backend>& param) { return param.param.label; });

// The owner of a stale cgroup: a process that ran and has been reaped.
std::optional<Owner> dead_owner() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return std::nullopt;
  const pid_t pid = ::fork();
  if (pid == 0) {
    char c;
    ::close(p[1]);
    _exit(static_cast<int>(::read(p[0], &c, 1)));  // waits for the parent's close
  }
  ::close(p[0]);
  auto owner = Child::owner_of(pid);
  ::close(p[1]);
  ::waitpid(pid, nullptr, 0);
  return owner;
}

// Removes a directory tree on destruction, so that a failed test leaves no cgroup behind.
struct RemoveTree {
  std::string dir;
  ~RemoveTree() { (void)remove_tree(dir); }
};

class CgroupStale : public ::testing::TestWithParam<core::CgroupMode> {};

TEST_P(CgroupStale, KillsAndRemovesTheCgroupOfADeadSupervisor) {
  auto probe = create_app_cgroup(GetParam());
  if (!probe) GTEST_SKIP() << probe.error().message;
  const std::string parent = dirname_of((*probe)->path());
  ASSERT_TRUE((*probe)->remove());
  probe->reset();

  auto owner = dead_owner();
  ASSERT_TRUE(owner);
  const std::string stale = parent + "/" + app_cgroup_name(*owner);
  ASSERT_EQ(::mkdir(stale.c_str(), 0755), 0) << stale;
  RemoveTree cleanup{stale};
  Child sleeper;  // declared after cleanup: killed before the directory is removed
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sleep", "sleep", "1000", nullptr);
    _exit(127);
  }
  sleeper.adopt(pid);
  ASSERT_TRUE(write_text_at(AT_FDCWD, stale + "/cgroup.procs", std::to_string(pid)));
  ASSERT_TRUE(really_in(stale, pid));

  auto cg = create_app_cgroup(GetParam());
  ASSERT_TRUE(cg) << cg.error().message;
  EXPECT_TRUE(sleeper.reap_killed());
  EXPECT_FALSE(exists(stale));
  EXPECT_TRUE(exists((*cg)->path()));  // ours, live, is not stale
  EXPECT_TRUE((*cg)->remove());
}

TEST_P(CgroupStale, LeavesTheCgroupOfASupervisorInAnotherPidNamespaceAlone) {
  auto probe = create_app_cgroup(GetParam());
  if (!probe) GTEST_SKIP() << probe.error().message;
  const std::string parent = dirname_of((*probe)->path());
  ASSERT_TRUE((*probe)->remove());
  probe->reset();

  // Its pid means nothing in our namespace (a container's PID 1, say): dead-looking here is
  // no evidence that its supervisor is gone.
  auto owner = dead_owner();
  ASSERT_TRUE(owner);
  owner->pid_ns += 1;
  const std::string foreign = parent + "/" + app_cgroup_name(*owner);
  ASSERT_EQ(::mkdir(foreign.c_str(), 0755), 0) << foreign;
  RemoveTree cleanup{foreign};

  auto cg = create_app_cgroup(GetParam());
  ASSERT_TRUE(cg) << cg.error().message;
  EXPECT_TRUE(exists(foreign));
  EXPECT_TRUE((*cg)->remove());
}

INSTANTIATE_TEST_SUITE_P(Backends, CgroupStale,
                         ::testing::Values(core::CgroupMode::kV2, core::CgroupMode::kV1),
                         [](const ::testing::TestParamInfo<core::CgroupMode>& param) {
                           return param.param == core::CgroupMode::kV2 ? "v2" : "v1";
                         });

// A v2 app cgroup (the test is skipped where there is none) with a Tree in it, emptied and
// removed at the end whatever happened.
class CgroupV2Tree : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = create_app_cgroup(core::CgroupMode::kV2);
    if (!made) GTEST_SKIP() << made.error().message;
    made_ = std::move(*made);
    cleanup_.emplace(made_.get());
    ASSERT_TRUE(start_tree(*made_, true, tree));
  }
  AppCgroup& cg() { return *made_; }

  // In this order, so that tree goes first: its processes are killed and reaped before the
  // clean-up.
  Subreaper subreaper_;
  std::unique_ptr<AppCgroup> made_;
  std::optional<Emptied> cleanup_;
  Tree tree;
};

TEST_F(CgroupV2Tree, KillByFreezingWhereCgroupKillIsMissing) {
  AppCgroup& cg = this->cg();
  auto killed = v2_kill_by_freezing(cg, SIGKILL);
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_EQ(*killed, 2);
  EXPECT_TRUE(tree.child.reap_killed());
  EXPECT_TRUE(tree.grandchild.reap_killed());
  EXPECT_EQ(read_file(cg.path() + "/cgroup.freeze"), "0\n");  // thawed
  EXPECT_TRUE(cg.remove());
}

// Waiting for a v2 cgroup to empty (stale clean-up, freezing) sleeps until cgroup.events
// announces a change: the condition is checked at the start and at each announcement, not
// every few milliseconds.
TEST_F(CgroupV2Tree, WaitUntilWakesOnTheCgroupsEvents) {
  AppCgroup& cg = this->cg();
  const pid_t killer = ::fork();  // the app dies 200 ms from now
  ASSERT_GE(killer, 0);
  if (killer == 0) {
    ::usleep(200 * 1000);
    ::kill(tree.child.pid, SIGKILL);
    ::kill(tree.grandchild.pid, SIGKILL);
    ::_exit(0);
  }
  int checks = 0;
  const auto start = Clock::now();
  const bool emptied = wait_until(
      [&] {
        ++checks;
        auto populated = cg.populated();
        return !populated || !*populated;
      },
      kDeadlineMs, cg.events_fd());
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  ::waitpid(killer, nullptr, 0);
  EXPECT_TRUE(emptied);
  EXPECT_GE(waited.count(), 150);
  // Sleeping 1, 2, 4, ... 20 ms between checks would have made some 15 in 200 ms.
  EXPECT_LE(checks, 4) << "in " << waited.count() << " ms";
  EXPECT_TRUE(tree.child.reap_killed());
  EXPECT_TRUE(tree.grandchild.reap_killed());
}

// Moves this process into a cgroup for the test and back (and removes it) afterwards.
struct MoveBack {
  std::string home;
  std::string dir;
  ~MoveBack() {
    (void)write_text_at(AT_FDCWD, home + "/cgroup.procs", "0");
    (void)remove_tree(dir);
  }
};

std::string own_v2_path() {
  for (const auto& e : core::parse_proc_cgroup(read_file("/proc/self/cgroup"))) {
    if (e.hierarchy == 0) return e.path;
  }
  return "";
}

TEST(CgroupV2, DelegatedCgroupPutsTheSupervisorInALeaf) {
  auto h = find_v2_hierarchy(read_file("/proc/self/mountinfo"), read_file("/proc/self/cgroup"));
  if (!h) GTEST_SKIP() << h.error().message;
  const std::string name = "suptest-delegated." + std::to_string(::getpid());
  const std::string delegated = h->own_dir + "/" + name;
  if (::mkdir(delegated.c_str(), 0755) != 0) GTEST_SKIP() << "cannot create " << delegated;
  MoveBack restore{h->own_dir, delegated};
  if (::setxattr(delegated.c_str(), "trusted.delegate", "1", 1, 0) != 0) {
    GTEST_SKIP() << "no trusted xattrs on cgroupfs";
  }
  ASSERT_TRUE(write_text_at(AT_FDCWD, delegated + "/cgroup.procs", "0"));
  const std::string delegated_path = child_path(h->own_path, name);
  ASSERT_EQ(own_v2_path(), delegated_path);

  auto cg = create_app_cgroup(core::CgroupMode::kV2);
  ASSERT_TRUE(cg) << cg.error().message;
  Emptied cleanup{cg->get()};
  EXPECT_EQ(dirname_of((*cg)->path()), delegated);
  EXPECT_EQ(own_v2_path(), delegated_path + "/supervisor");
  {
    Subreaper subreaper;
    Tree tree;
    ASSERT_TRUE(start_tree(**cg, true, tree));
    EXPECT_TRUE(really_in((*cg)->path(), tree.child.pid));
    ASSERT_TRUE((*cg)->kill_all(SIGKILL));
    EXPECT_TRUE(tree.child.reap_killed());
    EXPECT_TRUE(tree.grandchild.reap_killed());
  }
  EXPECT_TRUE((*cg)->remove());
  EXPECT_EQ(own_v2_path(), delegated_path);
  EXPECT_FALSE(exists(delegated + "/supervisor"));
  EXPECT_FALSE(exists((*cg)->path()));
}

TEST(CgroupAuto, PrefersV2ThenV1ThenNone) {
  std::string expected = "none";
  for (auto [mode, name] :
       {std::pair{core::CgroupMode::kV2, "v2"}, {core::CgroupMode::kV1, "v1"}}) {
    auto probe = create_app_cgroup(mode);
    if (!probe) continue;
    EXPECT_TRUE((*probe)->remove());
    expected = name;
    break;
  }
  auto cg = create_app_cgroup(core::CgroupMode::kAuto);
  ASSERT_TRUE(cg) << cg.error().message;
  EXPECT_EQ((*cg)->backend(), expected);
  EXPECT_TRUE((*cg)->remove());
}

TEST(CgroupErrors, ExplicitModeSaysWhatFailed) {
  auto v2 = find_v2_hierarchy(std::vector<core::MountEntry>{}, "0::/\n");
  ASSERT_FALSE(v2);
  EXPECT_EQ(v2.error().message, "no cgroup2 mount");
  auto v1 = create_v1("", "");
  ASSERT_FALSE(v1);
  EXPECT_EQ(v1.error().message.rfind("cgroup v1: freezer: no cgroup freezer mount", 0), 0u)
      << v1.error().message;
}

}  // namespace
}  // namespace sup::os
