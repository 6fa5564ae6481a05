#include "os/pidfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/proc_parse.hpp"
#include "os/file.hpp"
#include "os/proc.hpp"
#include "util/strings.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {
namespace {

// "4194304\n" with room for the spaces and CRs of hand-written ones.
constexpr std::size_t kMaxPidfileBytes = 63;

}  // namespace

Result<void> write_pidfile(const std::string& path, pid_t pid) {
  return replace_file(path, std::to_string(pid) + "\n", 0644, "pidfile " + path);
}

void remove_pidfile_if_ours(const std::string& path, pid_t pid) {
  auto contents = read_pidfile(path);
  if (contents && *contents == pid) ::unlink(path.c_str());
}

std::optional<pid_t> read_pidfile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  char buf[kMaxPidfileBytes + 1];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  return core::parse_pidfile(std::string_view(buf, static_cast<std::size_t>(n)));
}

Result<void> check_pidfile_free(const std::string& path) {
  const std::string dir = directory_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errno_error("pidfile " + path);
  if (!S_ISDIR(st.st_mode)) return errno_error("pidfile " + path, ENOTDIR);
  // access(2) alone would say yes to root on a read-only mount; W_OK plus a probe file tells.
  const std::string probe = path + ".probe." + std::to_string(::getpid());
  UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno_error("pidfile " + path);
  ::unlink(probe.c_str());

  // Only a pid file may be replaced: a typo such as -p /etc/passwd must not destroy that file.
  auto existing = read_replaceable(path, kMaxPidfileBytes, "pidfile " + path);
  if (!existing) return std::move(existing).error();
  if (!*existing || trim(**existing).empty()) return {};
  const auto pid = core::parse_pidfile(**existing);
  if (!pid) return logic_error("pidfile " + path + ": exists and does not hold a PID");
  if (*pid != ::getpid() && is_same_executable_as_self(*pid)) {
    return logic_error("pidfile " + path + ": already in use by running supervisor pid " +
                       std::to_string(*pid));
  }
  return {};
}

}  // namespace sup::os

