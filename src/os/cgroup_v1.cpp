// The cgroup v1 backend: a child of our own cgroup in one v1 hierarchy. Any hierarchy tracks
// processes (children inherit it across fork); freezer is preferred because it makes kill-all
// race-free, then pids, then systemd's named hierarchy, which every systemd v1 system has.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "os/cgroup_backends.hpp"
#include "util/strings.hpp"

namespace sup::os::cgroup_detail {
namespace {

constexpr const char* kControllers[] = {"freezer", "pids", "name=systemd"};

class V1Cgroup final : public AppCgroup {
 public:
  V1Cgroup(const Hierarchy& h, std::string dir, std::string rel_path, UniqueFd dir_fd,
           UniqueFd procs_fd)
      : hierarchy_(h),
        hierarchy_id_(h.id),
        freezer_(h.controller == "freezer"),
        dir_(std::move(dir)),
        rel_path_(std::move(rel_path)),
        dir_fd_(std::move(dir_fd)),
        procs_fd_(std::move(procs_fd)) {}
  // Best-effort, for error paths: the normal path calls remove() once the app has ended.
  ~V1Cgroup() override { (void)remove(); }

  const char* backend() const override { return "v1"; }
  const std::string& path() const override { return dir_; }
  int join_fd() const override { return procs_fd_.get(); }

  // v1 cgroup.procs lists only the cgroup's own processes; the app may have made cgroups below.
  Result<std::vector<int>> pids() const override {
    auto found = read_procs_tree(dir_fd_.get());
    if (!found) return std::move(found).error().with(dir_);
    return found;
  }

  // v1 has no cgroup.events; release notifications need a system-wide release_agent, which is
  // not ours to set. The supervisor re-checks on SIGCHLD instead.
  Result<bool> populated() const override {
    auto found = pids();
    if (!found) return std::move(found).error();
    return !found->empty();
  }

  Result<int> kill_all(int sig) override {
    auto list = [this] { return pids(); };
    auto member = [this](int pid) { return pid_in_cgroup(pid, hierarchy_id_, rel_path_); };
    if (sig != SIGKILL) return signal_listed(list, sig, member, false);
    if (!freezer_) return signal_listed(list, sig, member, true);
    // Freeze, so nothing forks while we enumerate; frozen tasks take the SIGKILL when thawed
    // (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst). The thaw always runs. A
    // freeze that does not settle (a task stuck in D state) falls back to repeated passes.
    const bool frozen = write_text_at(dir_fd_.get(), "freezer.state", "FROZEN") &&
                        wait_until([this] { return freezer_state() == "FROZEN"; }, 1000);
    auto n = signal_listed(list, sig, member, !frozen);
    // A thaw that fails leaves a cgroup that never empties: the caller's deadline sees to it.
    (void)write_text_at(dir_fd_.get(), "freezer.state", "THAWED");
    return n;
  }

  Result<void> remove() override {
    if (removed_) return {};
    if (auto r = remove_tree(dir_); !r) return r;
    removed_ = true;
    return {};
  }

  Result<std::unique_ptr<AppCgroup>> make_child(const std::string& name) override {
    Hierarchy below = hierarchy_;
    below.own_dir = dir_;
    below.own_path = rel_path_;
    const std::string dir = dir_ + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) return errno_error("creating " + dir);
    auto child = open_v1(below, name);
    if (!child) (void)::rmdir(dir.c_str());  // undoing our own mkdir; the error is child's
    return child;
  }

 private:
  std::string freezer_state() const {
    auto text = read_text_at(dir_fd_.get(), "freezer.state");
    return text ? std::string(trim(*text)) : std::string();
  }

  Hierarchy hierarchy_;  // the one we were made in
  int hierarchy_id_;
  bool freezer_;
  std::string dir_;
  std::string rel_path_;  // as /proc/PID/cgroup names it, for membership checks
  UniqueFd dir_fd_;
  UniqueFd procs_fd_;
  bool removed_ = false;
};

}  // namespace

Result<std::unique_ptr<AppCgroup>> open_v1(const Hierarchy& h, const std::string& name) {
  const std::string dir = h.own_dir + "/" + name;
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return errno_error("opening " + dir);
  UniqueFd procs_fd(::openat(dir_fd.get(), "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!procs_fd) return errno_error("opening " + dir + "/cgroup.procs");
  return std::unique_ptr<AppCgroup>(std::make_unique<V1Cgroup>(
      h, dir, child_path(h.own_path, name), std::move(dir_fd), std::move(procs_fd)));
}

Result<std::unique_ptr<AppCgroup>> create_v1(const std::string& mountinfo,
                                             const std::string& proc_cgroup) {
  auto self = self_owner();
  if (!self) return std::move(self).error().with("cgroup v1");
  const std::string name = app_cgroup_name(*self);
  std::string why;  // every hierarchy's reason, for the error when none works
  for (const char* controller : kControllers) {
    auto h = find_v1_hierarchy(mountinfo, proc_cgroup, controller);
    if (h) {
      if (UniqueFd own(::open(h->own_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); own) {
        clean_stale(own.get(), *self, [&](const std::string& n) { return open_v1(*h, n); });
      }
      const std::string dir = h->own_dir + "/" + name;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        auto cg = open_v1(*h, name);
        if (cg) return cg;
        (void)::rmdir(dir.c_str());  // undoing our own mkdir; the error to report is cg's
        h = std::move(cg).error();
      } else {
        h = errno_error("creating " + dir);
      }
    }
    why += (why.empty() ? "" : "; ") + std::string(controller) + ": " + h.error().message;
  }
  return logic_error("cgroup v1: " + why);
}

}  // namespace sup::os::cgroup_detail
