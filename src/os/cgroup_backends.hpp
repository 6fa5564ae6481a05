// Internals of the cgroup adapter (os/cgroup.hpp), shared by cgroup.cpp, cgroup_v2.cpp and
// cgroup_v1.cpp and visible to tests. Not for use elsewhere: the rest of the program sees only
// AppCgroup and create_app_cgroup.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/proc_parse.hpp"
#include "os/cgroup.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os::cgroup_detail {

// ---- Pure helpers (no I/O), unit-tested on string fixtures. ----

// Where one hierarchy is mounted and where our own cgroup sits in it.
struct Hierarchy {
  int id = 0;               // hierarchy id in /proc/self/cgroup; 0 for cgroup2
  std::string controller;   // "" for cgroup2; "freezer", "pids", "name=systemd", …
  std::string mount_point;  // e.g. /sys/fs/cgroup/unified
  std::string own_path;     // our cgroup as /proc/self/cgroup names it: "/" or "/a/b"
  std::string own_dir;      // the directory of our cgroup: mount_point + own_path - mount root
};

// The cgroup2 hierarchy, from the cgroup2 mounts (os/mount_table.hpp) and the text of
// /proc/self/cgroup. Errors say what is missing ("no cgroup2 mount").
Result<Hierarchy> find_v2_hierarchy(const std::vector<core::MountEntry>& mounts,
                                    std::string_view proc_cgroup);
// The same from the text of /proc/self/mountinfo.
Result<Hierarchy> find_v2_hierarchy(std::string_view mountinfo, std::string_view proc_cgroup);
// The v1 hierarchy holding controller ("freezer", "memory", "name=systemd", …).
Result<Hierarchy> find_v1_hierarchy(std::string_view mountinfo, std::string_view proc_cgroup,
                                    std::string_view controller);

// The path of a child cgroup as /proc/PID/cgroup would name it: "/" + "x" → "/x".
std::string child_path(std::string_view parent, std::string_view name);
// Whether a /proc/PID/cgroup path is base or beneath it (component-wise).
bool path_within(std::string_view path, std::string_view base);

// The app cgroup's name, "supervisor.<pid>.<starttime>", and its inverse. The pair names one
// supervisor process for the life of the boot, so a directory whose pair no longer runs is
// recognisably stale.
// Who made an app cgroup: a supervisor is (pid, start time) within its pid namespace (the
// inode of /proc/self/ns/pid). A supervisor in another pid namespace (a container without a
// cgroup namespace of its own) may share our parent cgroup; its pid means nothing here.
struct Owner {
  int pid = 0;
  std::uint64_t start_time = 0;
  std::uint64_t pid_ns = 0;
};
std::string app_cgroup_name(const Owner& owner);
// The inode of /proc/self/ns/pid, which names our pid namespace.
std::uint64_t own_pid_ns();
std::optional<Owner> parse_app_cgroup_name(std::string_view name);

// ---- I/O helpers shared by the backends. ----

// Reads a small file, relative to dirfd (AT_FDCWD for an absolute path).
Result<std::string> read_text_at(int dirfd, const std::string& name);
// Reads the open file name to its end.
Result<std::string> read_text(int fd, const std::string& name);
// Writes text to an existing file in one write(2), as cgroupfs expects.
Result<void> write_text_at(int dirfd, const std::string& name, std::string_view text);
// The value of "key N" in a flat keyed file (cgroup.events, memory.events, memory.oom_control).
std::optional<std::int64_t> keyed_value(std::string_view text, std::string_view key);

// The pids in cgroup.procs of the directory and of every cgroup below it.
Result<std::vector<int>> read_procs_tree(int dirfd);
// Removes the directory and every cgroup below it, deepest first. Gone already is success.
Result<void> remove_tree(const std::string& dir);

// Whether /proc/PID/cgroup puts pid in the cgroup rel_path (or below) of hierarchy id.
bool pid_in_cgroup(int pid, int hierarchy_id, std::string_view rel_path);
// Whether the process owner.pid runs and started at owner.start_time. our_pid_ns: own_pid_ns(),
// for a caller that judges many owners.
bool owner_running(const Owner& owner, std::uint64_t our_pid_ns = own_pid_ns());
// This process as an Owner (pid and /proc/self/stat start time).
Result<Owner> self_owner();

// Sends sig to every listed process that still_ours confirms, through a pidfd held while it is
// confirmed (so a recycled pid is never hit). With repeat, lists again and signals what is new
// until a listing shows nothing new: that catches processes forked while we were killing.
// Returns how many processes were signalled. This process is never signalled.
Result<int> signal_listed(const std::function<Result<std::vector<int>>()>& list, int sig,
                          const std::function<bool(int)>& still_ours, bool repeat);

// Waits until pred holds or timeout_ms passes, checking pred again at each change the kernel
// announces on events_fd (v2's cgroup.events, POLLPRI), which pred must read to re-arm; without
// one (v1), every few milliseconds. For rare paths only (freezing, stale clean-up), before or
// beside the event loop.
bool wait_until(const std::function<bool()>& pred, int timeout_ms, int events_fd = -1);

// Stale clean-up (see create_app_cgroup): for each child of the cgroup directory parent_fd (an
// O_DIRECTORY fd, whose offset this uses up) named for a supervisor of our pid namespace
// (self.pid_ns) that no longer runs, open() it, SIGKILL everything in it, wait (bounded) until
// it is empty, and remove it. Best-effort: a directory that resists is left for the next
// supervisor.
using OpenExisting = std::function<Result<std::unique_ptr<AppCgroup>>(const std::string& name)>;
void clean_stale(int parent_fd, const Owner& self, const OpenExisting& open);

// ---- Backends. ----

// v2: creates the app cgroup beside us (or beside a `supervisor` leaf, see cgroup_v2.cpp), in
// the hierarchy find_v2_hierarchy found.
Result<std::unique_ptr<AppCgroup>> create_v2(const Hierarchy& h);
// v2 on an existing directory (rel_path as /proc/PID/cgroup names it).
Result<std::unique_ptr<AppCgroup>> open_v2(const std::string& dir, const std::string& rel_path);
// The SIGKILL fallback for kernels without cgroup.kill (freeze, kill each, thaw); exposed so
// that tests exercise it where cgroup.kill exists. cg must come from create_v2/open_v2.
Result<int> v2_kill_by_freezing(AppCgroup& cg, int sig);

// v1: the first of freezer, pids, name=systemd where a child cgroup can be made.
Result<std::unique_ptr<AppCgroup>> create_v1(const std::string& mountinfo,
                                             const std::string& proc_cgroup);
Result<std::unique_ptr<AppCgroup>> open_v1(const Hierarchy& h, const std::string& name);

// none: the app is this process's descendants.
std::unique_ptr<AppCgroup> create_none();

}  // namespace sup::os::cgroup_detail
