#include "os/listen_sockets.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>

namespace sup::os {
namespace {

using core::ListenKind;
using core::ListenSpec;

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

struct AddrinfoFree {
  void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};

Result<Address> resolve(const ListenSpec& spec) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = spec.kind == ListenKind::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  // An IPv6 literal (it came in brackets) must not be looked up as a name.
  if (spec.host.find(':') != std::string::npos) hints.ai_flags |= AI_NUMERICHOST;
  const std::string port = std::to_string(spec.port);
  addrinfo* raw = nullptr;
  const int rc = ::getaddrinfo(spec.host.c_str(), port.c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
  if (rc == EAI_SYSTEM) return errno_error("resolving " + spec.host);
  if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY) {
    return Error{ENOENT, "unknown host '" + spec.host + "'"};
  }
  if (rc != 0) {
    return Error{EINVAL, "resolving '" + spec.host + "': " + ::gai_strerror(rc)};
  }
  // The first IPv4 address if there is one, else the first: "localhost" is 127.0.0.1, the
  // address clients most likely try first.
  const addrinfo* chosen = list.get();
  for (const addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
  }
  if (chosen == nullptr || chosen->ai_addrlen > sizeof(sockaddr_storage)) {
    return Error{ENOENT, "unknown host '" + spec.host + "'"};
  }
  Address out;
  std::memcpy(&out.storage, chosen->ai_addr, chosen->ai_addrlen);
  out.length = chosen->ai_addrlen;
  out.family = chosen->ai_family;
  return out;
}

Address unix_address(const ListenSpec& spec) {
  Address out;
  auto* un = reinterpret_cast<sockaddr_un*>(&out.storage);
  un->sun_family = AF_UNIX;
  out.family = AF_UNIX;
  if (spec.kind == ListenKind::kUnixAbstract) {
    // A leading NUL, then the name, without a terminator: the length says where it ends,
    // the way systemd and ss(8) write "@NAME".
    std::memcpy(un->sun_path + 1, spec.path.data(), spec.path.size());
    out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + spec.path.size());
  } else {
    std::memcpy(un->sun_path, spec.path.data(), spec.path.size());
    out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + spec.path.size() + 1);
  }
  return out;
}

Result<void> set_flag(int fd, int level, int option, const char* what) {
  const int on = 1;
  if (::setsockopt(fd, level, option, &on, sizeof on) != 0) return errno_error(what);
  return {};
}

// Makes room at a unix:PATH: nothing there, or a stale socket (removed). A socket that accepts
// connections belongs to someone running; anything that is not a socket is not ours to delete.
Result<void> clear_socket_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return errno_error(path);
  }
  if (!S_ISSOCK(st.st_mode)) return Error{EEXIST, path + " exists and is not a socket"};
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe) return errno_error("socket");
  ListenSpec spec;
  spec.kind = ListenKind::kUnixPath;
  spec.path = path;
  const Address address = unix_address(spec);
  // Refused: nobody listens, the file is left over from a process that is gone. Connected,
  // EAGAIN (a full backlog) or EPROTOTYPE (a live datagram socket): in use.
  if (::connect(probe.get(), address.get(), address.length) == 0 || errno == EAGAIN ||
      errno == EPROTOTYPE) {
    return Error{EADDRINUSE, path + " is in use: a running process accepts connections on it"};
  }
  if (errno == ENOENT) return {};  // gone meanwhile
  if (errno != ECONNREFUSED) return errno_error(path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("removing " + path);
  return {};
}

// bind(2) for a unix:PATH with mode 0666 whatever the umask, set through the umask rather than
// a chmod afterwards, which would follow a symlink put in the socket's place meanwhile.
int bind_unix_path(int fd, const Address& address) {
  const mode_t old = ::umask(0111);
  const int rc = ::bind(fd, address.get(), address.length);
  const int err = errno;
  ::umask(old);
  errno = err;
  return rc;
}

// Owner and identity of a socket file just bound; on failure the file is removed.
Result<SocketFile> claim_socket_file(const std::string& path, const Credentials& owner) {
  if (owner.set_uid || owner.set_gid) {
    const uid_t uid = owner.set_uid ? owner.uid : static_cast<uid_t>(-1);
    const gid_t gid = owner.set_gid ? owner.gid : static_cast<gid_t>(-1);
    if (::lchown(path.c_str(), uid, gid) != 0) {
      auto error = errno_error("chown " + path);
      ::unlink(path.c_str());
      return error;
    }
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    auto error = errno_error(path);
    ::unlink(path.c_str());
    return error;
  }
  return SocketFile(path, st.st_dev, st.st_ino);
}

Result<BoundSocket> bind_one(const ListenSpec& spec, const Credentials& owner) {
  const bool is_unix =
      spec.kind == ListenKind::kUnixPath || spec.kind == ListenKind::kUnixAbstract;
  Address address;
  if (is_unix) {
    address = unix_address(spec);
  } else {
    auto resolved = resolve(spec);
    if (!resolved) return std::move(resolved).error();
    address = *resolved;
  }
  const int type = spec.kind == ListenKind::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(::socket(address.family, type | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("socket");
  if (spec.kind == ListenKind::kTcp) {
    if (auto r = set_flag(fd.get(), SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"); !r) return r.error();
  }
  if (address.family == AF_INET6) {
    if (auto r = set_flag(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY"); !r) return r.error();
  }

  BoundSocket out;
  out.name = spec.name;
  if (spec.kind == ListenKind::kUnixPath) {
    if (auto r = clear_socket_path(spec.path); !r) return std::move(r).error();
    if (bind_unix_path(fd.get(), address) != 0) return errno_error(spec.path);
    auto file = claim_socket_file(spec.path, owner);
    if (!file) return std::move(file).error();
    out.file.emplace(std::move(*file));
  } else if (::bind(fd.get(), address.get(), address.length) != 0) {
    // The reason alone ("Address already in use"): the caller names the address.
    return Error{errno, std::strerror(errno)};
  }
  if (type == SOCK_STREAM && ::listen(fd.get(), SOMAXCONN) != 0) return errno_error("listen");
  out.fd = std::move(fd);
  return out;
}

}  // namespace

Result<BoundSocket> bind_listen(const ListenSpec& spec, const Credentials& owner) {
  auto bound = bind_one(spec, owner);
  if (!bound) return std::move(bound).error().with("--listen=" + spec.text);
  return bound;
}

Result<void> add_listen_sockets(ListenFds& into, std::span<const ListenSpec> specs,
                                const Credentials& owner) {
  std::vector<BoundSocket> bound;
  for (const ListenSpec& spec : specs) {
    auto socket = bind_listen(spec, owner);
    if (!socket) return std::move(socket).error();  // `bound` closes and unlinks the rest
    bound.push_back(std::move(*socket));
  }
  for (BoundSocket& socket : bound) {
    into.fds.push_back(std::move(socket.fd));
    into.names.push_back(std::move(socket.name));
    if (socket.file) into.files.push_back(std::move(*socket.file));
  }
  return {};
}

Result<ListenFds> open_listen_sockets(std::span<const ListenSpec> specs,
                                      const Credentials& owner) {
  auto listen = take_listen_fds_from_env();
  if (!listen) return std::move(listen).error().with("socket activation");
  if (auto r = add_listen_sockets(*listen, specs, owner); !r) return std::move(r).error();
  return listen;
}

}  // namespace sup::os
