// The cgroup v2 backend: a child of our own cgroup in the unified hierarchy, wherever that is
// mounted (/sys/fs/cgroup on pure-v2 systems, /sys/fs/cgroup/unified on hybrid ones).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

#include "os/cgroup_backends.hpp"
#include "util/strings.hpp"

namespace sup::os::cgroup_detail {
namespace {

constexpr const char* kLeaf = "supervisor";

class V2Cgroup final : public AppCgroup {
 public:
  V2Cgroup(std::string dir, std::string rel_path, UniqueFd dir_fd, UniqueFd procs_fd,
           UniqueFd events_file)
      : dir_(std::move(dir)),
        rel_path_(std::move(rel_path)),
        dir_fd_(std::move(dir_fd)),
        procs_fd_(std::move(procs_fd)),
        events_file_(std::move(events_file)) {}
  // Best-effort, for error paths: the normal path calls remove() once the app has ended.
  ~V2Cgroup() override { (void)remove(); }

  const char* backend() const override { return "v2"; }
  const std::string& path() const override { return dir_; }
  // After a cgroup.kill, this kernel (seen on 6.18) also kills every later child that
  // clone3(CLONE_INTO_CGROUP) places here: the fork compares the cgroup's kill sequence with
  // the one of the parent's cgroup. Children join through cgroup.procs from then on, still
  // before exec.
  int clone_fd() const override { return killed_ ? -1 : dir_fd_.get(); }
  int join_fd() const override { return procs_fd_.get(); }
  int events_fd() const override { return events_file_.get(); }

  // Reading the file is what re-arms its EPOLLPRI notification (kernfs tracks the event count
  // per open file).
  void drain_events() override { (void)events_text(); }

  Result<std::vector<int>> pids() const override {
    auto found = read_procs_tree(dir_fd_.get());
    if (!found) return std::move(found).error().with(dir_);
    return found;
  }

  Result<bool> populated() const override {
    auto text = events_text();
    if (!text) return std::move(text).error().with(dir_);
    // "populated" counts the cgroups below ours too (cgroup-v2.rst, cgroup.events).
    auto value = keyed_value(*text, "populated");
    if (!value) return logic_error(dir_ + "/cgroup.events: no populated field");
    return *value != 0;
  }

  Result<int> kill_all(int sig) override {
    if (sig != SIGKILL) return signal_listed(list_fn(), sig, member_fn(), false);
    auto found = pids();
    if (!found) return std::move(found).error();
    if (found->empty()) return 0;
    // cgroup.kill (Linux 5.14) kills the whole subtree atomically, forks in flight included.
    auto r = write_text_at(dir_fd_.get(), "cgroup.kill", "1");
    if (r) {
      killed_ = true;
      return static_cast<int>(found->size());
    }
    if (r.error().code != ENOENT) return std::move(r).error().with(dir_);
    return kill_by_freezing(sig);
  }

  // crun's cgroup_killall_path fallback: freeze so nothing forks while we enumerate, signal
  // each, and thaw whatever happens. A frozen task still dies of SIGKILL (cgroup-v2.rst,
  // "Core Interface Files": cgroup.freeze). Without cgroup.freeze (before 5.2), or if freezing
  // does not settle, repeated passes catch what forked meanwhile.
  Result<int> kill_by_freezing(int sig) {
    const bool frozen = write_text_at(dir_fd_.get(), "cgroup.freeze", "1") &&
                        wait_until([&] { return frozen_now(); }, 1000, events_fd());
    auto n = signal_listed(list_fn(), sig, member_fn(), !frozen);
    // A thaw that fails leaves a cgroup that never empties: the caller's deadline sees to it.
    (void)write_text_at(dir_fd_.get(), "cgroup.freeze", "0");
    return n;
  }

  int oom_kills() const override {
    // Present only where the memory controller is enabled for us (never on hybrid systems),
    // which does not change while we run: look once.
    if (no_memory_events_) return 0;
    // Opened here, not by read_text_at: its error message (strerror, a gettext lookup) would
    // be made at every first exit, for a file that is missing as a rule.
    UniqueFd file(::openat(dir_fd_.get(), "memory.events", O_RDONLY | O_CLOEXEC));
    auto text =
        file ? read_text(file.get(), "memory.events") : Result<std::string>(logic_error("missing"));
    if (!text) {
      no_memory_events_ = true;
      return 0;
    }
    return static_cast<int>(keyed_value(*text, "oom_kill").value_or(0));
  }

  Result<void> remove() override {
    if (!removed_) {
      if (auto r = remove_tree(dir_); !r) return r;
      removed_ = true;
    }
    if (!leaf_parent_.empty()) {
      leave_leaf(leaf_parent_);
      leaf_parent_.clear();
    }
    return {};
  }

  Result<std::unique_ptr<AppCgroup>> make_child(const std::string& name) override {
    const std::string dir = dir_ + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) return errno_error("creating " + dir);
    auto child = open_v2(dir, rel_path_ + "/" + name);
    if (!child) (void)::rmdir(dir.c_str());  // undoing our own mkdir; the error is child's
    return child;
  }

  // Records that create moved us into <parent>/supervisor, so remove() moves us back.
  void set_leaf_parent(std::string parent) { leaf_parent_ = std::move(parent); }

  // Moves this process from <parent>/supervisor back to parent and removes the leaf. If the
  // parent no longer accepts processes (controllers enabled meanwhile: EBUSY) we stay in the
  // leaf; it is empty once we exit and the next supervisor reuses it.
  static void leave_leaf(const std::string& parent) {
    UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir || !write_text_at(dir.get(), "cgroup.procs", "0")) return;
    (void)::unlinkat(dir.get(), kLeaf, AT_REMOVEDIR);  // EBUSY: another supervisor is there
  }

 private:
  std::function<Result<std::vector<int>>()> list_fn() const {
    return [this] { return pids(); };
  }
  std::function<bool(int)> member_fn() const {
    return [this](int pid) { return pid_in_cgroup(pid, 0, rel_path_); };
  }
  bool frozen_now() const {
    auto text = events_text();
    return text && keyed_value(*text, "frozen").value_or(0) == 1;
  }

  // cgroup.events, read through the file already open for the events: no new fd, so this
  // works at the fd limit too (issue 12); kernfs makes the text afresh at offset 0, and the
  // read re-arms the file's POLLPRI (kernfs counts events per open file).
  Result<std::string> events_text() const {
    char buf[512];
    const ssize_t n = ::pread(events_file_.get(), buf, sizeof buf - 1, 0);
    if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    return read_text_at(dir_fd_.get(), "cgroup.events");
  }

  std::string dir_;
  std::string rel_path_;  // as /proc/PID/cgroup names it, for membership checks
  UniqueFd dir_fd_;
  UniqueFd procs_fd_;
  UniqueFd events_file_;
  mutable bool no_memory_events_ = false;
  bool killed_ = false;  // cgroup.kill was used: see clone_fd()
  bool removed_ = false;
  std::string leaf_parent_;
};

// Whether our own cgroup must hold no processes besides its children, so that we belong in a
// leaf: not for the root cgroup (exempt from the no-internal-processes rule, and it has no
// cgroup.type), but where controllers are enabled for our children (the rule applies), or where
// systemd delegated the cgroup to us (it marks it with a trusted./user.delegate xattr,
// systemd >= 251) and expects processes only in leaves.
bool needs_leaf(int own_fd, const std::string& own_dir) {
  struct stat st {};
  if (::fstatat(own_fd, "cgroup.type", &st, 0) != 0) return false;
  if (auto sub = read_text_at(own_fd, "cgroup.subtree_control"); sub && !trim(*sub).empty()) {
    return true;
  }
  char value[8];
  return ::getxattr(own_dir.c_str(), "trusted.delegate", value, sizeof value) > 0 ||
         ::getxattr(own_dir.c_str(), "user.delegate", value, sizeof value) > 0;
}

// systemd's layout for a delegated cgroup: we move into <own>/supervisor, the app's cgroup
// is its sibling.
Result<void> enter_leaf(const std::string& own_dir) {
  const std::string leaf = own_dir + "/" + kLeaf;
  // Two tries: a supervisor leaving the same cgroup may remove the leaf between our mkdir
  // and our write (ENOENT).
  for (int attempt = 0;; ++attempt) {
    if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
      return errno_error("creating " + leaf);
    }
    UniqueFd dir(::open(leaf.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto r = dir ? write_text_at(dir.get(), "cgroup.procs", "0")
                 : Result<void>(errno_error("opening " + leaf));
    if (r || attempt == 1 || r.error().code != ENOENT) {
      if (!r) return std::move(r).error().with("moving the supervisor into " + leaf);
      return {};
    }
  }
}

}  // namespace

namespace {

Result<std::unique_ptr<AppCgroup>> open_v2_at(UniqueFd dir_fd, const std::string& dir,
                                              const std::string& rel_path) {
  // cgroup.events signals a change with EPOLLPRI (cgroup-v2.rst), which the caller's loop
  // watches for on this very fd: no epoll instance of our own, no inotify (closing an inotify
  // fd waits for an SRCU grace period: milliseconds at every exit). The root cgroup has none,
  // and cannot be populated-tracked or killed: ENOENT.
  UniqueFd events_file(::openat(dir_fd.get(), "cgroup.events", O_RDONLY | O_CLOEXEC));
  if (!events_file) return errno_error("opening " + dir + "/cgroup.events");
  UniqueFd procs_fd(::openat(dir_fd.get(), "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!procs_fd) return errno_error("opening " + dir + "/cgroup.procs");
  return std::unique_ptr<AppCgroup>(std::make_unique<V2Cgroup>(
      dir, rel_path, std::move(dir_fd), std::move(procs_fd), std::move(events_file)));
}

}  // namespace

Result<std::unique_ptr<AppCgroup>> open_v2(const std::string& dir, const std::string& rel_path) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return errno_error("opening " + dir);
  return open_v2_at(std::move(dir_fd), dir, rel_path);
}

Result<int> v2_kill_by_freezing(AppCgroup& cg, int sig) {
  return static_cast<V2Cgroup&>(cg).kill_by_freezing(sig);
}

Result<std::unique_ptr<AppCgroup>> create_v2(const Hierarchy& h) {
  auto self = self_owner();
  if (!self) return std::move(self).error().with("cgroup v2");
  // One fd of our own cgroup for the stale sweep, the leaf check and the new cgroup: each path
  // lookup, open and close is on the path of every start (issue 11).
  UniqueFd own(::open(h.own_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!own) return errno_error("opening " + h.own_dir).with("cgroup v2");

  clean_stale(own.get(), *self, [&](const std::string& name) {
    return open_v2(h.own_dir + "/" + name, child_path(h.own_path, name));
  });

  const bool leaf = needs_leaf(own.get(), h.own_dir);
  if (leaf) {
    if (auto r = enter_leaf(h.own_dir); !r) return std::move(r).error().with("cgroup v2");
  }
  const std::string name = app_cgroup_name(*self);
  const std::string dir = h.own_dir + "/" + name;
  if (::mkdirat(own.get(), name.c_str(), 0755) != 0) {
    auto err = errno_error("creating " + dir).with("cgroup v2");
    if (leaf) V2Cgroup::leave_leaf(h.own_dir);
    return err;
  }
  UniqueFd dir_fd(::openat(own.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto cg = dir_fd ? open_v2_at(std::move(dir_fd), dir, child_path(h.own_path, name))
                   : Result<std::unique_ptr<AppCgroup>>(errno_error("opening " + dir));
  if (!cg) {
    (void)::unlinkat(own.get(), name.c_str(), AT_REMOVEDIR);  // undoing our own mkdir
    if (leaf) V2Cgroup::leave_leaf(h.own_dir);
    return std::move(cg).error().with("cgroup v2");
  }
  if (leaf) static_cast<V2Cgroup&>(**cg).set_leaf_parent(h.own_dir);
  return cg;
}

}  // namespace sup::os::cgroup_detail
