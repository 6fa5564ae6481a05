// The sockets of --listen (SPEC 10): bound by the supervisor at start-up, before the app's
// privileges are dropped (port 80 with -u www-data works), kept open for the supervisor's whole
// life and handed to every incarnation after the sockets systemd passed (os/listen_fds).
//
// Socket options, and why:
//   every socket   SOCK_CLOEXEC: it reaches a child only through SpawnSpec::pass_fds.
//                  Blocking, as systemd passes them; the app may change that.
//   TCP            SO_REUSEADDR: a restarted supervisor can bind again while connections of
//                  the previous one are in TIME_WAIT. listen(SOMAXCONN): clients that arrive
//                  while the app restarts wait in the backlog; none is refused.
//   IPv6           IPV6_V6ONLY: [::]:80 and 0.0.0.0:80 are two sockets that can coexist, and
//                  [::]:80 means IPv6 only, whatever net.ipv6.bindv6only says.
//   UDP            no SO_REUSEADDR: on UDP it would let a second socket share the port and
//                  hide an address in use.
//   unix:PATH      stream, listen(SOMAXCONN). Whatever is at PATH is replaced only if it is a
//                  socket nobody accepts on (a stale one: connect(2) is refused); a live
//                  socket is "in use", anything else an error. Created with mode 0666, like
//                  systemd's SocketMode= default: a socket is for clients, who need write
//                  permission to connect; restrict access with the directory's permissions.
//                  Owned by -u/-g when given (lchown: never through a symlink), so the app
//                  owns its endpoint. Removed when the supervisor ends (ListenFds::files).
//   unix:@NAME     abstract: no file, no permissions, gone with the socket.
// A host name is resolved once, here; of its addresses the first IPv4 one is bound, else the
// first (like Go's net.Listen), so "localhost:8080" is 127.0.0.1:8080.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/listen_address.hpp"
#include "os/listen_fds.hpp"
#include "os/privileges.hpp"
#include "util/result.hpp"

namespace sup::os {

// One bound socket, and its file for unix:PATH.
struct BoundSocket {
  UniqueFd fd;
  std::string name;                 // its LISTEN_FDNAMES entry
  std::optional<SocketFile> file;   // unix:PATH only
};

// Binds one --listen socket; `owner` is the app's resolved -u/-g (lchown of a socket file, when
// set_uid/set_gid). Error messages read "--listen=VALUE: why".
Result<BoundSocket> bind_listen(const core::ListenSpec& spec, const Credentials& owner);

// Binds every spec in order and appends the sockets to `into`, after what it holds. On the
// first failure nothing is appended: the sockets bound so far are closed and their files
// removed, and the error names the address that failed.
Result<void> add_listen_sockets(ListenFds& into, std::span<const core::ListenSpec> specs,
                                const Credentials& owner);

// The start-up step: the sockets systemd passed (take_listen_fds_from_env), then those of
// --listen. On an error nothing is bound or left behind.
Result<ListenFds> open_listen_sockets(std::span<const core::ListenSpec> specs,
                                      const Credentials& owner);

}  // namespace sup::os
