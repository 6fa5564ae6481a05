// Socket activation passed through (SPEC 7): the supervisor takes over the sockets systemd
// handed it (LISTEN_FDS), keeps them open for its whole life, and gives them to every
// incarnation of the app at fds 3, 4, … with LISTEN_PID set to that incarnation's own pid.
//
// LISTEN_PID is known only after clone, and the child may not allocate before exec. So the
// environment the parent builds carries a placeholder entry, kListenPidPlaceholder, whose
// value is wide enough for any pid; the child, between clone and exec, calls
// fill_pid_placeholders(envp), which overwrites the placeholder's value in place with getpid()
// (the child's copy-on-write copy of the buffer; the parent's placeholder stays for the next
// spawn). WATCHDOG_PID (--watchdog) has the same need and uses the same mechanism.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/notify_message.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

// "LISTEN_PID=" and ten '?': ten digits hold any pid_t, and a placeholder left unfilled by
// mistake parses as no pid at all, so the app ignores the fds rather than trusting them.
inline constexpr char kListenPidPlaceholder[] = "LISTEN_PID=??????????";
// The same for WATCHDOG_PID, which --watchdog gives the app next to WATCHDOG_USEC.
inline constexpr char kWatchdogPidPlaceholder[] = "WATCHDOG_PID=??????????";

// A unix socket file the supervisor bound (--listen=unix:PATH). The destructor unlinks it if
// PATH still holds that very socket (same device and inode), so a socket someone else bound
// there since is left alone. Move-only.
class SocketFile {
 public:
  SocketFile(std::string path, dev_t dev, ino_t ino) noexcept
      : path_(std::move(path)), dev_(dev), ino_(ino) {}
  SocketFile(SocketFile&& other) noexcept
      : path_(std::exchange(other.path_, {})), dev_(other.dev_), ino_(other.ino_) {}
  SocketFile& operator=(SocketFile&& other) noexcept;
  SocketFile(const SocketFile&) = delete;
  SocketFile& operator=(const SocketFile&) = delete;
  ~SocketFile();
  const std::string& path() const noexcept { return path_; }

 private:
  void remove() noexcept;
  std::string path_;  // "" once moved from
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// Every socket the app gets at fd 3 on: those systemd passed (take_listen_fds), then those
// bound for --listen (os/listen_sockets).
struct ListenFds {
  std::vector<UniqueFd> fds;       // fds[i] is the app's fd 3 + i (systemd's arrived as such)
  std::vector<std::string> names;  // names[i]: its LISTEN_FDNAMES entry ("unknown" if none)
  std::vector<SocketFile> files;   // socket files of --listen=unix:PATH, removed at the end
  bool empty() const noexcept { return fds.empty(); }
};

// Takes ownership of fds 3 .. 3 + env.count - 1. Each must be open (EBADF otherwise: systemd
// promised an fd that is not there, and none is taken); each is set close-on-exec so that it
// reaches a child only through SpawnSpec::pass_fds. Call before opening anything else that
// could be given one of those numbers, and before any sweep that closes inherited fds.
Result<ListenFds> take_listen_fds(const core::ListenFdsEnv& env);

// The whole start-up step: reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, unsets all three
// in any case (sd_listen_fds(unset_environment=1): whatever they said, they must not reach a
// child), and takes the fds when the variables are meant for this process. No variables, or
// variables for another pid: an empty ListenFds, not an error.
Result<ListenFds> take_listen_fds_from_env();

// One fd handed to an incarnation with the socket activation protocol, and its name.
struct PassedFd {
  int fd = -1;
  std::string name;
};

// The listening sockets, in order, for one spawn.
std::vector<PassedFd> passed_fds(const ListenFds& listen);

// For one spawn: (our fd, the app's fd) pairs for SpawnSpec::pass_fds, fds[i] -> 3 + i.
std::vector<std::pair<int, int>> listen_pass_fds(const std::vector<PassedFd>& fds);

// For one spawn: "LISTEN_FDS=N", "LISTEN_FDNAMES=a:b:…" and kListenPidPlaceholder, to append
// to the app's environment (from which inherited LISTEN_* entries must have been removed, see
// core::is_service_manager_var). Empty when there are no fds.
std::vector<std::string> listen_env(const std::vector<PassedFd>& fds);

// Async-signal-safe. Writes `pid` in decimal followed by a NUL into slot[0 .. width), e.g. the
// value of a placeholder entry. Returns false and writes nothing if pid is not positive or the
// digits and the NUL do not fit in width bytes.
bool format_pid_into(char* slot, std::size_t width, pid_t pid) noexcept;

// Async-signal-safe, for the child between clone and exec: every entry of envp (a
// NULL-terminated array of writable "NAME=value" strings) that equals kListenPidPlaceholder or
// kWatchdogPidPlaceholder exactly gets getpid() as its value. Any other entry, including a
// LISTEN_PID that is not the placeholder, is left alone. Returns how many were filled.
int fill_pid_placeholders(char* const* envp) noexcept;

}  // namespace sup::os
