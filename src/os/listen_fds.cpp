#include "os/listen_fds.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace sup::os {
namespace {

// The ten '?' every placeholder ends with.
constexpr std::size_t kPidSlotLength = 10;

// Whether entry is exactly `placeholder`, compared by hand: strcmp is only listed as
// async-signal-safe since POSIX 2016, and this runs between clone and exec.
bool is_placeholder(const char* entry, const char* placeholder, std::size_t length) noexcept {
  std::size_t i = 0;
  while (i < length && entry[i] == placeholder[i]) ++i;
  return i == length && entry[length] == '\0';
}

std::optional<std::string> env_copy(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);  // a copy: unsetenv would leave a pointer dangling
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

}  // namespace

SocketFile& SocketFile::operator=(SocketFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

SocketFile::~SocketFile() { remove(); }

void SocketFile::remove() noexcept {
  if (path_.empty()) return;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
      st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
  path_.clear();
}

Result<ListenFds> take_listen_fds(const core::ListenFdsEnv& env) {
  // Check every fd before touching any, so a broken hand-over leaves nothing half-owned.
  for (int i = 0; i < env.count; ++i) {
    const int fd = core::kListenFdsStart + i;
    if (::fcntl(fd, F_GETFD) < 0) {
      return errno_error("LISTEN_FDS=" + std::to_string(env.count) + " but fd " +
                         std::to_string(fd) + " is not open");
    }
  }
  ListenFds out;
  for (int i = 0; i < env.count; ++i) {
    const int fd = core::kListenFdsStart + i;
    UniqueFd owned(fd);
    // systemd passes them without FD_CLOEXEC (they were meant to survive its exec of us).
    // From now on only spawn's explicit pass_fds may hand them on, so no helper process the
    // supervisor might run inherits a listening socket by accident.
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
      const int err = errno;
      (void)owned.release();  // not ours after all: leave it, and the rest, as they were
      for (auto& taken : out.fds) (void)taken.release();
      return errno_error("setting FD_CLOEXEC on fd " + std::to_string(fd), err);
    }
    out.fds.push_back(std::move(owned));
    out.names.push_back(static_cast<std::size_t>(i) < env.names.size()
                            ? env.names[static_cast<std::size_t>(i)]
                            : "unknown");
  }
  return out;
}

Result<ListenFds> take_listen_fds_from_env() {
  const auto pid = env_copy("LISTEN_PID");
  const auto fds = env_copy("LISTEN_FDS");
  const auto names = env_copy("LISTEN_FDNAMES");
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  const auto env = core::parse_listen_fds_env(view(pid), view(fds), view(names), ::getpid());
  if (!env) return ListenFds{};
  return take_listen_fds(*env);
}

std::vector<PassedFd> passed_fds(const ListenFds& listen) {
  std::vector<PassedFd> out;
  out.reserve(listen.fds.size());
  for (std::size_t i = 0; i < listen.fds.size(); ++i) {
    out.push_back({listen.fds[i].get(), listen.names[i]});
  }
  return out;
}

std::vector<std::pair<int, int>> listen_pass_fds(const std::vector<PassedFd>& fds) {
  std::vector<std::pair<int, int>> out;
  out.reserve(fds.size());
  for (std::size_t i = 0; i < fds.size(); ++i) {
    out.emplace_back(fds[i].fd, core::kListenFdsStart + static_cast<int>(i));
  }
  return out;
}

std::vector<std::string> listen_env(const std::vector<PassedFd>& fds) {
  if (fds.empty()) return {};
  std::string names = "LISTEN_FDNAMES=";
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (i > 0) names += ':';
    names += fds[i].name;
  }
  return {"LISTEN_FDS=" + std::to_string(fds.size()), std::move(names), kListenPidPlaceholder};
}

bool format_pid_into(char* slot, std::size_t width, pid_t pid) noexcept {
  if (pid <= 0) return false;
  char digits[16];
  std::size_t n = 0;
  for (auto v = static_cast<unsigned long>(pid); v != 0; v /= 10) {
    digits[n++] = static_cast<char>('0' + v % 10);
  }
  if (n + 1 > width) return false;
  for (std::size_t i = 0; i < n; ++i) slot[i] = digits[n - 1 - i];
  slot[n] = '\0';  // the rest of the placeholder stays behind the terminator, unseen
  return true;
}

int fill_pid_placeholders(char* const* envp) noexcept {
  constexpr std::size_t kListenLength = sizeof kListenPidPlaceholder - 1;
  constexpr std::size_t kWatchdogLength = sizeof kWatchdogPidPlaceholder - 1;
  const pid_t self = ::getpid();
  int filled = 0;
  for (char* const* e = envp; *e != nullptr; ++e) {
    std::size_t length = 0;
    if (is_placeholder(*e, kListenPidPlaceholder, kListenLength)) {
      length = kListenLength;
    } else if (is_placeholder(*e, kWatchdogPidPlaceholder, kWatchdogLength)) {
      length = kWatchdogLength;
    } else {
      continue;
    }
    // The slot is the ten '?' plus the entry's own terminator.
    if (format_pid_into(*e + length - kPidSlotLength, kPidSlotLength + 1, self)) ++filled;
  }
  return filled;
}

}  // namespace sup::os
