#include "os/notify_socket.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "os/file.hpp"
#include "util/strings.hpp"

namespace sup::os {
namespace {

// The kernel's SCM_MAX_FD: no datagram carries more fds than this, so a control buffer of
// this size receives every one of them and none is silently dropped before we can close it.
constexpr std::size_t kScmMaxFd = 253;

constexpr std::size_t kMaxSunPath = sizeof(sockaddr_un{}.sun_path) - 1;  // room for the NUL

struct SocketAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
};

// A NOTIFY_SOCKET value as a sockaddr, with sd_notify's rules: '/' is a path (the length
// includes the NUL), '@' an abstract name (a leading NUL, no terminator, the length says
// where it ends).
Result<SocketAddress> to_sockaddr(std::string_view address) {
  SocketAddress out;
  out.addr.sun_family = AF_UNIX;
  const auto base = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path));
  if (address.empty()) return errno_error("empty socket address", EINVAL);
  if (address.front() == '@') {
    const std::string_view name = address.substr(1);
    if (name.empty()) return errno_error("empty abstract socket name", EINVAL);
    if (name.size() > kMaxSunPath) return errno_error(address, ENAMETOOLONG);
    std::memcpy(out.addr.sun_path + 1, name.data(), name.size());
    out.len = base + 1 + static_cast<socklen_t>(name.size());
    return out;
  }
  if (address.front() != '/') return errno_error(address, EAFNOSUPPORT);
  if (address.size() > kMaxSunPath) return errno_error(address, ENAMETOOLONG);
  std::memcpy(out.addr.sun_path, address.data(), address.size());
  out.len = base + static_cast<socklen_t>(address.size()) + 1;
  return out;
}

Result<UniqueFd> open_receiver(const SocketAddress& address, std::string_view what) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno_error("socket(AF_UNIX, SOCK_DGRAM)");
  // With SO_PASSCRED the kernel attaches the sender's credentials to every datagram, whether
  // or not the sender asked; that is what lets us refuse foreign senders (unix(7)).
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    return errno_error("setsockopt(SO_PASSCRED)");
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.addr), address.len) != 0) {
    return errno_error("binding " + std::string(what));
  }
  return fd;
}

// What create_at names a socket file: "<prefix><pid>-" + kRandomChars random characters of
// kNameAlphabet + kSocketSuffix (is_notify_socket_name recognises exactly that).
constexpr std::string_view kNameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kRandomChars = 6;
constexpr std::string_view kSocketSuffix = ".notify";

// `length` random letters and digits, for names nobody can guess and bind first.
Result<std::string> random_name(std::size_t length) {
  std::string bytes(length, '\0');
  if (::getrandom(bytes.data(), length, 0) != static_cast<ssize_t>(length)) {
    return errno_error("getrandom");
  }
  for (char& c : bytes) c = kNameAlphabet[static_cast<unsigned char>(c) % kNameAlphabet.size()];
  return bytes;
}

// /run/supervisor is shared by every supervisor on the machine; trust it only if it cannot be
// a trap laid by someone else: a real directory (not a symlink), ours, not group/other
// writable.
bool usable_base(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return false;
  return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 022) == 0;
}

}  // namespace

Result<NotifySocket> NotifySocket::create_in(const std::string& base_dir, SocketAccess access) {
  return create_at(base_dir, "supervisor-", access);
}

Result<NotifySocket> NotifySocket::create(SocketAccess access) {
  // /run/supervisor is the conventional place for a root daemon, made by the first one; mkdir
  // fails harmlessly for others (EACCES) or when another made it meanwhile (EEXIST), and
  // usable_base decides either way.
  const std::string run_dir = "/run/supervisor";
  std::vector<std::pair<std::string, std::string>> bases;  // (dir, name prefix)
  bool run_usable = usable_base(run_dir);
  if (!run_usable && (::mkdir(run_dir.c_str(), 0755) == 0 || errno == EEXIST)) {
    run_usable = usable_base(run_dir);
  }
  if (run_usable) bases.emplace_back(run_dir, "");
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    bases.emplace_back(xdg, "supervisor-");
  }
  bases.emplace_back("/tmp", "supervisor-");

  Error last{EINVAL, ""};
  for (const auto& [dir, prefix] : bases) {
    auto sock = create_at(dir, prefix, access);
    if (sock) return sock;
    last = std::move(sock).error();
  }
  // No writable directory at all (a read-only root with no /run or /tmp mount, as Kubernetes'
  // readOnlyRootFilesystem without an emptyDir): an abstract name needs none. Anyone in our
  // network namespace may send to it, as to a 0666 socket; senders are refused by credentials.
  auto abstract = create_abstract_unique();
  if (abstract) return abstract;
  return Error{abstract.error().code, "no usable runtime directory for the notify socket (" +
                                          last.message +
                                          "), nor an abstract name: " + abstract.error().message};
}

Result<NotifySocket> NotifySocket::create_abstract_unique() {
  // Unpredictable, so that nobody can bind it first and receive what the app says; a name
  // already taken (EADDRINUSE) is tried again with another.
  for (int attempt = 0;; ++attempt) {
    auto name = random_name(16);
    if (!name) return std::move(name).error();
    auto sock = create_abstract("supervisor/" + std::to_string(::getpid()) + "/" + *name);
    if (sock || sock.error().code != EADDRINUSE || attempt == 99) return sock;
  }
}

Result<NotifySocket> NotifySocket::create_abstract(std::string_view name) {
  const std::string address = "@" + std::string(name);
  auto sockaddr = to_sockaddr(address);
  if (!sockaddr) return std::move(sockaddr).error();
  auto fd = open_receiver(*sockaddr, address);
  if (!fd) return std::move(fd).error();
  return NotifySocket(std::move(*fd), address, "");
}

NotifySocket::NotifySocket(NotifySocket&& other) noexcept
    : fd_(std::move(other.fd_)),
      address_(std::exchange(other.address_, {})),
      path_(std::exchange(other.path_, {})) {}

NotifySocket& NotifySocket::operator=(NotifySocket&& other) noexcept {
  if (this != &other) {
    remove_files();
    fd_ = std::move(other.fd_);
    address_ = std::exchange(other.address_, {});
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

NotifySocket::~NotifySocket() { remove_files(); }

void NotifySocket::remove_files() noexcept {
  // A bound path outlives its socket.
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

bool is_notify_socket_name(std::string_view name, std::string_view prefix) {
  if (!starts_with(name, prefix)) return false;
  name.remove_prefix(prefix.size());
  const std::size_t digits = name.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos || name[digits] != '-') return false;
  name.remove_prefix(digits + 1);
  if (name.size() != kRandomChars + kSocketSuffix.size() ||
      name.substr(kRandomChars) != kSocketSuffix) {
    return false;
  }
  return name.substr(0, kRandomChars).find_first_not_of(kNameAlphabet) == std::string_view::npos;
}

namespace {

// A datagram socket file nobody is bound to: its supervisor died without removing it.
bool abandoned(const std::string& path) {
  auto address = to_sockaddr(path);
  if (!address) return false;
  UniqueFd probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe) return false;
  return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address->addr), address->len) !=
             0 &&
         errno == ECONNREFUSED;
}

}  // namespace

int NotifySocket::remove_stale_neighbours() const {
  if (path_.empty()) return 0;
  const std::size_t slash = path_.rfind('/');
  const std::string dir = path_.substr(0, slash);
  const std::string own = path_.substr(slash + 1);
  const std::string prefix = own.substr(0, own.find_first_of("0123456789"));
  UniqueFd entries(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!entries) return 0;
  int removed = 0;
  for_each_entry(entries.get(), [&](const char* name, unsigned char) {
    if (name == own || !is_notify_socket_name(name, prefix)) return;
    struct stat st {};
    if (::fstatat(entries.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(st.st_mode) ||
        st.st_uid != ::geteuid()) {
      return;
    }
    if (abandoned(dir + "/" + name) && ::unlinkat(entries.get(), name, 0) == 0) ++removed;
  });
  return removed;
}

Result<std::optional<Datagram>> NotifySocket::receive() {
  // On the stack, and only the datagram's bytes copied out: the EAGAIN that ends every drain,
  // and every WATCHDOG=1, cost no 4 KiB allocation.
  std::array<char, core::kMaxNotifyBytes> buffer;
  iovec iov{buffer.data(), buffer.size()};
  constexpr std::size_t kControlSize =
      CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * kScmMaxFd);
  alignas(cmsghdr) char control[kControlSize];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;

  // MSG_TRUNC as an input flag makes recvmsg return the datagram's real length (unix(7),
  // Linux 3.4+). MSG_CMSG_CLOEXEC: a received fd reaches an app only when passed on purpose.
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Datagram>{};
    return errno_error("receiving on the notify socket");
  }

  Datagram d;
  // Control messages first: every fd they carry must be owned or closed, whatever else
  // happens. Fds beyond the buffer (MSG_CTRUNC) are never installed by the kernel.
  core::NotifyControl received = core::parse_notify_control(control, msg.msg_controllen);
  for (int fd : received.fds) d.fds.emplace_back(fd);
  d.pid = received.pid.value_or(0);
  d.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  d.bytes.assign(buffer.data(), std::min(static_cast<std::size_t>(n), buffer.size()));
  return std::optional<Datagram>(std::move(d));
}

Result<void> notify_systemd(std::string_view notify_socket_env, std::string_view message) {
  if (message.empty()) return errno_error("empty notification", EINVAL);
  auto address = to_sockaddr(notify_socket_env);
  if (!address) return std::move(address).error().with("NOTIFY_SOCKET");

  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("socket(AF_UNIX, SOCK_DGRAM)");
  // Blocking, like sd_notify: a datagram socket whose receiver's queue is full (systemd busy
  // at boot, net.unix.max_dgram_qlen) makes the sender wait, and READY=1 must not be lost.
  // But the supervisor is an event loop, so the wait is bounded.
  const timeval timeout{1, 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) != 0) {
    return errno_error("setsockopt(SO_SNDTIMEO)");
  }
  ssize_t n;
  do {
    n = ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&address->addr), address->len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("notifying " + std::string(notify_socket_env));
  return {};
}

Result<NotifySocket> NotifySocket::create_at(const std::string& base, const std::string& prefix,
                                             SocketAccess access) {
  // A socket file of its own right in base, no directory around it: removing a directory
  // frees its block, which on a file system mounted with discard (ext4 here) waits for the
  // disk, milliseconds at every exit (issue 11). bind(2) creates the name atomically and
  // never follows a symlink (EADDRINUSE for any existing name), so nobody can pre-create it
  // or swap in a trap, even in /tmp; a taken name is simply retried with another.
  const std::string stem = base + "/" + prefix + std::to_string(::getpid()) + "-";
  if (stem.size() + kRandomChars + kSocketSuffix.size() > kMaxSunPath) {
    return errno_error(stem + std::string(kRandomChars, 'X') + std::string(kSocketSuffix),
                       ENAMETOOLONG);
  }
  // The socket's mode comes from the umask at bind: set it so, without a window in which the
  // socket is more open than asked. connect(2) needs write permission on the socket file.
  const mode_t mask = access == SocketAccess::kAnyUser ? 0111 : 0177;
  for (int attempt = 0;; ++attempt) {
    auto name = random_name(kRandomChars);
    if (!name) return std::move(name).error();
    const std::string path = stem + *name + std::string(kSocketSuffix);
    auto address = to_sockaddr(path);
    if (!address) return std::move(address).error();
    const mode_t old = ::umask(mask);
    auto fd = open_receiver(*address, path);
    ::umask(old);
    if (fd) return NotifySocket(std::move(*fd), path, path);
    if (fd.error().code != EADDRINUSE || attempt == 99) {
      return std::move(fd).error().with("in " + base);
    }
  }
}

}  // namespace sup::os
