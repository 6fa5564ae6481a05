// The sd_notify transport (SPEC 7): the datagram socket the supervisor serves for its app, and
// the client side the supervisor uses to talk up to systemd. Bytes and credentials only; what
// the bytes mean is core/notify_message, who may send them is the caller's decision.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/notify_message.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

// One received datagram and who sent it.
struct Datagram {
  std::string bytes;       // at most the socket's buffer size; only a prefix when truncated
  bool truncated = false;  // the sender sent more than the buffer holds (MSG_TRUNC): drop it
  // SCM_CREDENTIALS, translated by the kernel into our pid namespace. pid 0 means the kernel
  // could not tell (a sender in a pid namespace we cannot see): treat it as foreign. A sender
  // with CAP_SYS_ADMIN may claim any pid; without it, the kernel vouches for it.
  pid_t pid = 0;
  // File descriptors that came along (SCM_RIGHTS, FDSTORE=1), close-on-exec; closed with the
  // datagram unless the caller keeps them.
  std::vector<UniqueFd> fds;
};

// Who can reach a path socket. Senders are always authenticated by their credentials; this is
// only about the file permissions that gate connect(2).
enum class SocketAccess {
  kOwnerOnly,  // socket 0600: only processes with the supervisor's uid (or root) can send
  kAnyUser,    // socket 0666: an app that runs as another user (-u, or a daemon dropping
               // privileges itself before READY=1) can send as well
};

class NotifySocket {
 public:
  // Binds "<prefix><pid>-<random>.notify" in the first base directory that works:
  // /run/supervisor (created 0755 if we may, used only if it is a real directory owned by us
  // and writable by nobody else), then $XDG_RUNTIME_DIR, then /tmp; where none is writable, an
  // abstract name (create_abstract_unique). The socket file is removed by the destructor.
  static Result<NotifySocket> create(SocketAccess access);
  // The same under one given base directory (for tests, and for callers with their own place).
  static Result<NotifySocket> create_in(const std::string& base_dir, SocketAccess access);
  // Binds the abstract name `name` (no leading '@', not empty). Abstract names have no file
  // permissions and vanish with the socket; they are reachable from the same network
  // namespace only.
  static Result<NotifySocket> create_abstract(std::string_view name);
  // An abstract name no one can guess: "supervisor/<pid>/<16 random letters and digits>".
  static Result<NotifySocket> create_abstract_unique();

  NotifySocket(NotifySocket&& other) noexcept;
  NotifySocket& operator=(NotifySocket&& other) noexcept;
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  ~NotifySocket();

  int fd() const noexcept { return fd_.get(); }  // non-blocking; readable when a datagram waits
  // The value for the app's NOTIFY_SOCKET: an absolute path, or "@name" for an abstract socket.
  const std::string& address() const noexcept { return address_; }

  // Removes what supervisors killed by SIGKILL left beside this socket: files named as ours
  // are ("<prefix><pid>-<random>.notify"), sockets owned by our uid, to which nobody is bound
  // any more (connect(2) is refused). Returns how many it removed; 0 for an abstract socket.
  int remove_stale_neighbours() const;

  // Takes one datagram. nullopt when none is waiting (EAGAIN); callers loop until nullopt on
  // each readiness. Datagrams larger than core::kMaxNotifyBytes come back with truncated set
  // (the rest is gone). An error is a socket failure, not a bad datagram.
  Result<std::optional<Datagram>> receive();

 private:
  NotifySocket(UniqueFd fd, std::string address, std::string path)
      : fd_(std::move(fd)), address_(std::move(address)), path_(std::move(path)) {}
  // Binds "<base>/<prefix><pid>-<random>.notify".
  static Result<NotifySocket> create_at(const std::string& base, const std::string& prefix,
                                        SocketAccess access);
  void remove_files() noexcept;

  UniqueFd fd_;
  std::string address_;
  std::string path_;  // socket file, unlinked on destruction, if set
};

// Whether a file name is one create() makes: prefix, a PID, '-', six random letters and digits,
// ".notify".
bool is_notify_socket_name(std::string_view name, std::string_view prefix);

// Sends `message` (e.g. "READY=1\nSTATUS=running") as one datagram to the socket named by a
// NOTIFY_SOCKET value, as sd_notify(3) does: an absolute path, or '@' for an abstract name.
// Errors: EINVAL for an empty address or message, EAFNOSUPPORT for any other address form
// (including systemd's newer "vsock:"), ENAMETOOLONG for an address that does not fit
// sockaddr_un, and the errno of socket/sendto (ECONNREFUSED, ENOENT: nobody listens; EAGAIN:
// the receiver's queue stayed full for a second, the longest this call blocks).
Result<void> notify_systemd(std::string_view notify_socket_env, std::string_view message);

}  // namespace sup::os
