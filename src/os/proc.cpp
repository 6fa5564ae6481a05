#include "os/proc.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "util/unique_fd.hpp"

namespace sup::os {
namespace {

std::string read_small_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  std::string out;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::optional<core::ProcStat> read_stat(pid_t pid) {
  return core::parse_proc_stat(read_small_file("/proc/" + std::to_string(pid) + "/stat"));
}

std::string read_exe(pid_t pid) {
  char buf[4096];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0) return {};
  return std::string(core::strip_deleted(std::string_view(buf, static_cast<std::size_t>(n))));
}

std::string executable_of(const std::string& path) {
  std::string file = path;
  // An interpreter may be a script itself; the kernel gives up (ELOOP) beyond this depth
  // (fs/exec.c, exec_binprm), and so does the exec.
  constexpr int kMaxInterpreters = 5;
  for (int depth = 0; depth <= kMaxInterpreters; ++depth) {
    char resolved[PATH_MAX];
    if (::realpath(file.c_str(), resolved) == nullptr) return file;
    file = resolved;
    UniqueFd fd(::open(resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return file;
    char head[core::kShebangHead];
    const ssize_t n = ::read(fd.get(), head, sizeof head);
    if (n <= 0) return file;
    auto interpreter =
        core::shebang_interpreter(std::string_view(head, static_cast<std::size_t>(n)));
    if (!interpreter) return file;
    file = std::move(*interpreter);
  }
  return file;
}

std::vector<core::ProcInfo> snapshot(const std::vector<int>& pids) {
  std::vector<core::ProcInfo> out;
  out.reserve(pids.size());
  for (int pid : pids) {
    auto st = read_stat(pid);
    if (!st) continue;
    out.push_back({pid, st->ppid, st->start_time, read_exe(pid), st->state,
                   (st->flags & core::kPfForkNoExec) != 0, st->session});
  }
  return out;
}

bool is_same_executable_as_self(pid_t pid) {
  const std::string exe = read_exe(pid);
  return !exe.empty() && exe == read_exe(::getpid());
}

bool is_running(pid_t pid) {
  auto st = read_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

std::optional<std::uint64_t> live_start_time(pid_t pid) {
  auto st = read_stat(pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  return st->start_time;
}

}  // namespace sup::os
