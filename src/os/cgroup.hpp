// The app's cgroup (SPEC 5): one interface over three backends, chosen once at start.
//   v2   a child of the supervisor's own cgroup in the unified hierarchy, wherever it is
//        mounted (os/mount_table.hpp); CLONE_INTO_CGROUP;
//        cgroup.kill; cgroup.events
//   v1   a child of the supervisor's own cgroup in a v1 hierarchy (freezer preferred, so that
//        kill-all can freeze, kill each, thaw); the child joins before exec
//   none no cgroup: the app's processes are the supervisor's descendants, read from /proc
// Adapters: they return Result, never log, never exit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "util/result.hpp"

namespace sup::os {

class AppCgroup {
 public:
  virtual ~AppCgroup() = default;

  // "v2", "v1" or "none", for messages.
  virtual const char* backend() const = 0;
  // The cgroup directory, or "" for none.
  virtual const std::string& path() const = 0;

  // An O_DIRECTORY fd of the cgroup for clone3(CLONE_INTO_CGROUP), or -1.
  virtual int clone_fd() const { return -1; }
  // An O_WRONLY fd of cgroup.procs to which the child writes "0" before exec (v1, or v2 when
  // clone3 is unavailable), or -1. Writing is async-signal-safe.
  virtual int join_fd() const { return -1; }

  // Every process of the app (none: every live descendant of the supervisor).
  virtual Result<std::vector<int>> pids() const = 0;
  // Whether any process of the app remains.
  virtual Result<bool> populated() const = 0;

  // A fd that signals EPOLLPRI (POLLPRI) when the cgroup's population may have changed
  // (cgroup.events itself), or -1 where no such event exists (v1, none). After it fires, call
  // drain_events() and then populated().
  virtual int events_fd() const { return -1; }
  virtual void drain_events() {}

  // Sends sig to every process of the app; SIGKILL on v2 writes cgroup.kill, on v1 freezes,
  // kills each and thaws. Returns how many processes were found (for "killing N leftover
  // processes"); exclude is never signalled (the supervisor itself, in the none backend).
  virtual Result<int> kill_all(int sig) = 0;

  // OOM kills recorded in memory.events (oom_kill) or memory.oom_control; 0 where unknown.
  virtual int oom_kills() const { return 0; }

  // Removes the cgroup directory. Call only once the cgroup is empty.
  virtual Result<void> remove() = 0;

  // A cgroup below this one, named name, for one generation of the app (--hot-restart): what
  // this cgroup reports (pids, populated, kill_all) covers its children too. nullptr where
  // there is no cgroup to tell generations apart with (none).
  virtual Result<std::unique_ptr<AppCgroup>> make_child(const std::string& name) = 0;
};

// Creates the app's cgroup for the requested mode. kAuto tries v2, then v1, then none; an
// explicit v2 or v1 that cannot be set up is an error. Also cleans up stale cgroups left by a
// supervisor that was killed with SIGKILL (named for a pid and start time that no longer run):
// their processes are killed and the directories removed. With auto, `fallback` (if given)
// receives why a backend other than v2 is used ("" when v2 is), for one log line.
Result<std::unique_ptr<AppCgroup>> create_app_cgroup(core::CgroupMode mode,
                                                     std::string* fallback = nullptr);

}  // namespace sup::os
