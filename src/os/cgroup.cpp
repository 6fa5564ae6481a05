// The cgroup adapter's shared half: discovery from /proc texts, the helpers both cgroup backends
// use, stale clean-up, the "none" backend and the mode choice. The v2 and v1 backends live in
// cgroup_v2.cpp and cgroup_v1.cpp.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/proc_parse.hpp"
#include "os/cgroup_backends.hpp"
#include "os/file.hpp"
#include "os/mount_table.hpp"
#include "os/proc.hpp"
#include "util/strings.hpp"

namespace sup::os {
namespace cgroup_detail {
namespace {

constexpr std::string_view kPrefix = "supervisor.";

// Our cgroup's directory inside one mount of its hierarchy, if that mount shows it. A mount's
// root field is the cgroup it exposes (a container often sees only its own subtree), so our
// path must be that root or below it.
std::optional<std::string> dir_in_mount(const core::MountEntry& m, std::string_view own) {
  for (auto part : split(own, '/')) {
    if (part == "..") return std::nullopt;  // outside our cgroup namespace
  }
  std::string_view rel = own;
  if (m.root != "/") {
    if (!path_within(own, m.root)) return std::nullopt;
    rel = own.substr(m.root.size());
  }
  if (rel == "/") rel = {};
  if (m.mount_point == "/" && !rel.empty()) return std::string(rel);
  return m.mount_point + std::string(rel);
}

bool has_item(std::string_view list, std::string_view item) {
  for (auto part : split(list, ',')) {
    if (part == item) return true;
  }
  return false;
}

// A cgroup that was removed shows as "/path (deleted)" (cgroup v2, proc_cgroup_show()).
Result<std::string> own_path_of(std::string path, std::string_view what) {
  if (core::strip_deleted(path).size() != path.size()) {
    return logic_error("our " + std::string(what) + " cgroup " + path + " has been removed");
  }
  return path;
}

Result<Hierarchy> locate(const std::vector<core::MountEntry>& mounts, Hierarchy h,
                         std::string_view what) {
  for (const auto& m : mounts) {
    if (auto dir = dir_in_mount(m, h.own_path)) {
      h.mount_point = m.mount_point;
      h.own_dir = std::move(*dir);
      return h;
    }
  }
  return logic_error("our cgroup " + h.own_path + " is outside every " + std::string(what) +
                     " mount (mounted from " + mounts.front().root + ")");
}

using Clock = std::chrono::steady_clock;

}  // namespace

Result<Hierarchy> find_v2_hierarchy(std::string_view mountinfo, std::string_view proc_cgroup) {
  return find_v2_hierarchy(core::parse_mountinfo(mountinfo, "cgroup2"), proc_cgroup);
}

Result<Hierarchy> find_v2_hierarchy(const std::vector<core::MountEntry>& mounts,
                                    std::string_view proc_cgroup) {
  Hierarchy h;
  const auto own = core::proc_cgroup_v2_path(proc_cgroup);
  if (own) {
    auto path = own_path_of(std::string(*own), "cgroup2");
    if (!path) return std::move(path).error();
    h.own_path = std::move(*path);
  }
  if (mounts.empty()) return logic_error("no cgroup2 mount");
  if (!own) return logic_error("no \"0::\" line in /proc/self/cgroup");
  return locate(mounts, std::move(h), "cgroup2");
}

Result<Hierarchy> find_v1_hierarchy(std::string_view mountinfo, std::string_view proc_cgroup,
                                    std::string_view controller) {
  Hierarchy h;
  h.controller = std::string(controller);
  bool found = false;
  for (auto& e : core::parse_proc_cgroup(proc_cgroup)) {
    if (e.hierarchy == 0) continue;
    for (const auto& c : e.controllers) {
      if (c != controller) continue;
      auto path = own_path_of(std::move(e.path), h.controller);
      if (!path) return std::move(path).error();
      h.id = e.hierarchy;
      h.own_path = std::move(*path);
      found = true;
      break;
    }
    if (found) break;
  }
  std::vector<core::MountEntry> mounts;
  for (auto& m : core::parse_mountinfo(mountinfo, "cgroup")) {
    if (has_item(m.super_options, controller)) {
      mounts.push_back(std::move(m));
    }
  }
  const std::string what = "cgroup " + h.controller;
  if (mounts.empty()) return logic_error("no " + what + " mount in /proc/self/mountinfo");
  if (!found) return logic_error("no " + h.controller + " line in /proc/self/cgroup");
  return locate(mounts, std::move(h), what);
}

std::string child_path(std::string_view parent, std::string_view name) {
  std::string out(parent);
  if (out.empty() || out.back() != '/') out += '/';
  return out + std::string(name);
}

bool path_within(std::string_view path, std::string_view base) {
  if (base == "/") return starts_with(path, "/");
  if (!starts_with(path, base)) return false;
  return path.size() == base.size() || path[base.size()] == '/';
}

std::string app_cgroup_name(const Owner& owner) {
  return std::string(kPrefix) + std::to_string(owner.pid) + "." + std::to_string(owner.start_time) +
         "." + std::to_string(owner.pid_ns);
}

std::optional<Owner> parse_app_cgroup_name(std::string_view name) {
  if (!starts_with(name, kPrefix)) return std::nullopt;
  const auto fields = split(name.substr(kPrefix.size()), '.');
  if (fields.size() != 3) return std::nullopt;
  auto pid = parse_int(fields[0], 1, 1 << 22);  // PID_MAX_LIMIT
  auto start = parse_int(fields[1], 0, INT64_MAX);
  auto ns = parse_int(fields[2], 0, INT64_MAX);
  if (!pid || !start || !ns) return std::nullopt;
  return Owner{static_cast<int>(*pid), static_cast<std::uint64_t>(*start),
               static_cast<std::uint64_t>(*ns)};
}

Result<std::string> read_text_at(int dirfd, const std::string& name) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("opening " + name);
  return read_text(fd.get(), name);
}

Result<std::string> read_text(int fd, const std::string& name) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("reading " + name);
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

Result<void> write_text_at(int dirfd, const std::string& name, std::string_view text) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno_error("opening " + name);
  // cgroupfs takes one value per write(2); a short write is an error, never a partial value.
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return errno_error("writing " + name);
  }
  return {};
}

std::optional<std::int64_t> keyed_value(std::string_view text, std::string_view key) {
  for (auto line : split(text, '\n')) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos || line.substr(0, space) != key) continue;
    return parse_int(trim(line.substr(space + 1)), INT64_MIN, INT64_MAX);
  }
  return std::nullopt;
}

Result<std::vector<int>> read_procs_tree(int dirfd) {
  auto text = read_text_at(dirfd, "cgroup.procs");
  if (!text) return std::move(text).error();
  std::vector<int> out;
  for (auto line : split(*text, '\n')) {
    if (auto pid = parse_int(line, 1, INT32_MAX)) out.push_back(static_cast<int>(*pid));
  }
  // The app may make cgroups of its own below ours (a nested supervisor, a container runtime).
  // A fresh open of ".", not a dup: a dup would share (and leave at the end) dirfd's offset.
  UniqueFd own(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!own) return errno_error("opening cgroup");
  const bool listed = for_each_entry(own.get(), [&](const char* name, unsigned char type) {
    if (type != DT_DIR || name[0] == '.') return;
    UniqueFd sub(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!sub) return;  // removed meanwhile
    auto more = read_procs_tree(sub.get());
    if (!more) return;  // likewise
    out.insert(out.end(), more->begin(), more->end());
  });
  if (!listed) return errno_error("listing cgroup");
  return out;
}

Result<void> remove_tree(const std::string& path) {
  // A cgroup without cgroups below is removed by rmdir alone, with no fd: the supervisor may be
  // at its fd limit (issue 12).
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
  if (errno != EBUSY && errno != ENOTEMPTY && errno != EEXIST) {
    return errno_error("removing " + path);
  }
  std::vector<std::string> subdirs;
  {
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      if (errno == ENOENT) return {};
      return errno_error("opening " + path);
    }
    for_each_entry(dir.get(), [&](const char* name, unsigned char type) {
      if (type == DT_DIR && name[0] != '.') subdirs.emplace_back(name);
    });
  }
  for (const auto& sub : subdirs) {
    if (auto r = remove_tree(path + "/" + sub); !r) return r;
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return errno_error("removing " + path);
  return {};
}

bool pid_in_cgroup(int pid, int hierarchy_id, std::string_view rel_path) {
  auto text = read_text_at(AT_FDCWD, "/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return false;
  for (const auto& e : core::parse_proc_cgroup(*text)) {
    if (e.hierarchy == hierarchy_id) return path_within(e.path, rel_path);
  }
  return false;
}

std::uint64_t own_pid_ns() {
  struct stat st {};
  if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_ino);
}

bool owner_running(const Owner& owner, std::uint64_t our_pid_ns) {
  // Not of our pid namespace: we cannot tell, so it is not ours to clean up.
  if (owner.pid_ns != our_pid_ns) return true;
  auto st = read_stat(owner.pid);
  return st && st->state != 'Z' && st->state != 'X' && st->start_time == owner.start_time;
}

Result<Owner> self_owner() {
  auto text = read_text_at(AT_FDCWD, "/proc/self/stat");
  if (!text) return std::move(text).error();
  auto st = core::parse_proc_stat(*text);
  if (!st) return logic_error("/proc/self/stat: cannot parse");
  return Owner{st->pid, st->start_time, own_pid_ns()};
}

Result<int> signal_listed(const std::function<Result<std::vector<int>>()>& list, int sig,
                          const std::function<bool(int)>& still_ours, bool repeat) {
  // A process is (pid, start time): a pid seen in an earlier pass may since have died and been
  // reused by a process forked meanwhile, which must be signalled too.
  std::set<std::pair<int, std::uint64_t>> seen;
  int ours = 0;
  const int self = ::getpid();
  for (int pass = 0; pass < 64; ++pass) {
    auto pids = list();
    if (!pids) {
      if (pass == 0) return std::move(pids).error();
      break;
    }
    bool fresh = false;
    for (int pid : *pids) {
      if (pid == self) continue;
      // Holding the pidfd pins the process: what we check next is about the one we signal.
      // ESRCH (gone meanwhile) is fine at either step. (Raw syscalls: glibc 2.36's
      // <sys/pidfd.h> lacks extern "C" and does not link from C++.)
      UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      if (!pidfd) continue;
      auto st = read_stat(pid);
      if (!st || !seen.emplace(pid, st->start_time).second) continue;
      fresh = true;
      if (!still_ours(pid)) continue;  // left the app, or a recycled pid
      ++ours;
      (void)::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0);
    }
    if (!repeat || !fresh) break;
  }
  return ours;
}

bool wait_until(const std::function<bool()>& pred, int timeout_ms, int events_fd) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (pred()) return true;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (events_fd >= 0) {
      pollfd changed{events_fd, POLLPRI, 0};
      if (::poll(&changed, 1, static_cast<int>(left)) >= 0 || errno == EINTR) continue;
      events_fd = -1;  // not pollable after all: look every few milliseconds instead
    }
    std::this_thread::sleep_for(std::min(pause, std::chrono::milliseconds(left)));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

// A supervisor killed with SIGKILL cannot remove its app's cgroup, and the app's processes
// live on in it, unsupervised. The next supervisor started in the same cgroup (typically by
// the same init script or unit) finds the directory by its name, sees that its owner
// (pid + start time, in our pid namespace) no longer runs, and kills and removes what was
// left. A cgroup made in another pid namespace is never judged.
void clean_stale(int parent_fd, const Owner& self, const OpenExisting& open) {
  std::vector<std::string> stale;
  // The caller's fd: no open of a path of our own, on the path of every start (issue 11).
  for_each_entry(parent_fd, [&](const char* name, unsigned char type) {
    if (type != DT_DIR) return;
    auto owner = parse_app_cgroup_name(name);
    if (owner && !owner_running(*owner, self.pid_ns)) stale.emplace_back(name);
  });
  // Best effort: what cannot be cleaned now stays stale, and the next start tries again.
  for (const auto& name : stale) {
    auto cg = open(name);
    if (!cg) continue;
    (void)(*cg)->kill_all(SIGKILL);
    (void)wait_until(
        [&] {
          auto populated = (*cg)->populated();
          return !populated || !*populated;
        },
        2000, (*cg)->events_fd());
    (void)(*cg)->remove();
  }
}

namespace {

// The app is every live descendant of this process, found by walking down from it. The
// supervisor is a subreaper, so orphans stay descendants.
class NoneCgroup final : public AppCgroup {
 public:
  const char* backend() const override { return "none"; }
  const std::string& path() const override { return path_; }

  Result<std::vector<int>> pids() const override {
    auto procs = scan();
    if (!procs) return std::move(procs).error();
    std::vector<int> out;
    out.reserve(procs->size());
    for (const auto& st : *procs) out.push_back(st.pid);
    return out;
  }

  Result<bool> populated() const override {
    auto procs = scan();
    if (!procs) return std::move(procs).error();
    return !procs->empty();
  }

  Result<int> kill_all(int sig) override {
    std::unordered_map<int, std::uint64_t> start_times;
    auto list = [&]() -> Result<std::vector<int>> {
      auto procs = scan();
      if (!procs) return std::move(procs).error();
      std::vector<int> out;
      for (const auto& st : *procs) {
        start_times[st.pid] = st.start_time;
        out.push_back(st.pid);
      }
      return out;
    };
    // Without a cgroup the pid's identity is its start time, re-read with the pidfd held.
    auto still_ours = [&](int pid) {
      auto st = read_stat(pid);
      auto it = start_times.find(pid);
      return st && it != start_times.end() && st->start_time == it->second;
    };
    return signal_listed(list, sig, still_ours, sig == SIGKILL);
  }

  Result<void> remove() override { return {}; }

  Result<std::unique_ptr<AppCgroup>> make_child(const std::string&) override {
    return std::unique_ptr<AppCgroup>();
  }

 private:
  static Result<std::vector<core::ProcStat>> scan() {
    std::vector<core::ProcStat> out;
    std::vector<int> todo{::getpid()};
    const Children children = children_files() ? Children(children_of) : children_from_stat();
    while (!todo.empty()) {
      const int parent = todo.back();
      todo.pop_back();
      auto kids = children(parent);
      if (!kids) return std::move(kids).error();
      for (int pid : *kids) {
        auto st = read_stat(pid);
        if (!st) continue;  // gone meanwhile
        todo.push_back(pid);
        if (st->state != 'Z' && st->state != 'X') out.push_back(*st);  // zombies are gone
      }
    }
    return out;
  }

  using Children = std::function<Result<std::vector<int>>(int)>;

  // Whether the kernel lists a task's children in /proc (CONFIG_PROC_CHILDREN, which Debian,
  // Fedora and Ubuntu kernels set): a property of the kernel, checked once.
  static bool children_files() {
    static const bool have =
        ::access(("/proc/self/task/" + std::to_string(::getpid()) + "/children").c_str(), R_OK) ==
        0;
    return have;
  }

  // The children of every thread of pid, from /proc/PID/task/TID/children: a few reads per
  // process of the app, instead of one per process on the machine (issue 11: the full scan
  // cost milliseconds per restart).
  static Result<std::vector<int>> children_of(int pid) {
    const std::string task = "/proc/" + std::to_string(pid) + "/task";
    std::vector<int> out;
    UniqueFd dir(::open(task.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return out;  // it exited meanwhile
    for_each_entry(dir.get(), [&](const char* name, unsigned char) {
      auto text = read_text_at(dir.get(), std::string(name) + "/children");
      if (!text) return;  // the thread exited meanwhile
      for (auto word : split(trim(*text), ' ')) {
        if (auto child = parse_int(word, 1, INT32_MAX)) out.push_back(static_cast<int>(*child));
      }
    });
    return out;
  }

  // Without those files: the ppid links of every /proc/*/stat on the machine.
  static Children children_from_stat() {
    std::unordered_map<int, std::vector<int>> children;
    UniqueFd dir(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      Error err = errno_error("listing /proc");
      return [err](int) -> Result<std::vector<int>> { return err; };
    }
    for_each_entry(dir.get(), [&](const char* name, unsigned char) {
      auto pid = parse_int(name, 1, INT32_MAX);
      if (!pid) return;
      if (auto st = read_stat(static_cast<pid_t>(*pid))) children[st->ppid].push_back(st->pid);
    });
    return [children = std::move(children)](int parent) -> Result<std::vector<int>> {
      auto it = children.find(parent);
      if (it == children.end()) return std::vector<int>{};
      return it->second;
    };
  }

  std::string path_;
};

}  // namespace

std::unique_ptr<AppCgroup> create_none() { return std::make_unique<NoneCgroup>(); }

}  // namespace cgroup_detail

Result<std::unique_ptr<AppCgroup>> create_app_cgroup(core::CgroupMode mode, std::string* fallback) {
  using namespace cgroup_detail;
  if (mode == core::CgroupMode::kNone) return create_none();
  auto proc_cgroup = read_text_at(AT_FDCWD, "/proc/self/cgroup");
  if (!proc_cgroup) {
    // Without /proc (a container's PID 1 before its mounts): none for auto, an error otherwise.
    Error err = std::move(proc_cgroup).error();
    if (mode != core::CgroupMode::kAuto) {
      return std::move(err).with(mode == core::CgroupMode::kV2 ? "cgroup v2" : "cgroup v1");
    }
    if (fallback != nullptr) {
      *fallback = "no cgroup (" + err.message + "): tracking the app as subreaper with /proc";
    }
    return create_none();
  }

  Result<std::unique_ptr<AppCgroup>> v2 = logic_error("not tried");
  if (mode != core::CgroupMode::kV1) {
    auto mounts = cgroup2_mounts();
    auto h = mounts ? find_v2_hierarchy(*mounts, *proc_cgroup)
                    : Result<Hierarchy>(std::move(mounts).error());
    v2 = h ? create_v2(*h)
           : Result<std::unique_ptr<AppCgroup>>(std::move(h).error().with("cgroup v2"));
    if (v2 || mode == core::CgroupMode::kV2) return v2;
  }
  // v1 needs each mount's super options (its controllers): the mountinfo text.
  auto mountinfo = read_text_at(AT_FDCWD, "/proc/self/mountinfo");
  auto v1 =
      mountinfo
          ? create_v1(*mountinfo, *proc_cgroup)
          : Result<std::unique_ptr<AppCgroup>>(std::move(mountinfo).error().with("cgroup v1"));
  if (mode == core::CgroupMode::kV1) return v1;
  // auto: the first backend that can be set up here; none always can. Each reason names its
  // backend ("cgroup v2: ...").
  if (fallback != nullptr) {
    *fallback = v1 ? "using cgroup v1 (" + v2.error().message + ")"
                   : "no cgroup (" + v2.error().message + "; " + v1.error().message +
                         "): tracking the app as subreaper with /proc";
  }
  if (v1) return v1;
  return create_none();
}

}  // namespace sup::os
