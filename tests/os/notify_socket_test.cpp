// The notify socket and notify_systemd, on real sockets.
#include "os/notify_socket.hpp"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "in_child.hpp"

namespace sup::os {
namespace {

namespace fs = std::filesystem;

// A private temp directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "notify-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Waits (bounded, no sleep) until fd is readable.
bool wait_readable(int fd, int timeout_ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

Datagram receive_one(NotifySocket& sock) {
  EXPECT_TRUE(wait_readable(sock.fd()));
  auto r = sock.receive();
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r || !*r) {
    ADD_FAILURE() << "no datagram";
    return {};
  }
  return std::move(**r);
}

int count_open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// A plain receiving socket standing in for systemd's /run/systemd/notify.
UniqueFd bind_listener(const std::string& address) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socklen_t len = offsetof(sockaddr_un, sun_path);
  if (address[0] == '@') {
    std::memcpy(addr.sun_path + 1, address.data() + 1, address.size() - 1);
    len += static_cast<socklen_t>(address.size());
  } else {
    std::memcpy(addr.sun_path, address.data(), address.size());
    len += static_cast<socklen_t>(address.size() + 1);
  }
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  return fd;
}

std::string recv_bytes(int fd) {
  EXPECT_TRUE(wait_readable(fd));
  char buf[8192];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n < 0 ? std::string("<error>") : std::string(buf, static_cast<std::size_t>(n));
}

std::string unique_name(const char* what) {
  return std::string("supervisor-test/") + what + "/" + std::to_string(::getpid());
}

// --- the app-facing socket -------------------------------------------------------------

TEST(NotifySocket, DatagramFromAForkedChildCarriesItsPid) {
  TempDir tmp;
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock) << sock.error().message;
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(go[1]);
    auto r = notify_systemd(sock->address(), "READY=1\nSTATUS=child here");
    char c;
    // Stays alive until the parent has received its datagram.
    [[maybe_unused]] auto n = ::read(go[0], &c, 1);
    _exit(r ? 0 : 1);
  }
  ::close(go[0]);

  Datagram d = receive_one(*sock);
  EXPECT_EQ(d.bytes, "READY=1\nSTATUS=child here");
  EXPECT_FALSE(d.truncated);
  EXPECT_EQ(d.pid, child);
  EXPECT_TRUE(d.fds.empty());

  ::close(go[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(NotifySocket, NothingWaitingIsNullopt) {
  TempDir tmp;
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock);
  auto r = sock->receive();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST(NotifySocket, TooLargeDatagramIsReportedTruncated) {
  TempDir tmp;
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock);
  const std::string big = "STATUS=" + std::string(5000, 'x');
  ASSERT_TRUE(notify_systemd(sock->address(), big));
  ASSERT_TRUE(notify_systemd(sock->address(), "READY=1"));

  Datagram d = receive_one(*sock);
  EXPECT_TRUE(d.truncated);
  EXPECT_EQ(d.bytes.size(), core::kMaxNotifyBytes);
  EXPECT_EQ(d.bytes, big.substr(0, core::kMaxNotifyBytes));
  // The next datagram is whole: truncation does not bleed into it.
  Datagram next = receive_one(*sock);
  EXPECT_FALSE(next.truncated);
  EXPECT_EQ(next.bytes, "READY=1");
}

TEST(NotifySocket, ExactlyTheBufferSizeIsNotTruncated) {
  TempDir tmp;
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock);
  const std::string exact(core::kMaxNotifyBytes, 'y');
  ASSERT_TRUE(notify_systemd(sock->address(), exact));
  Datagram d = receive_one(*sock);
  EXPECT_FALSE(d.truncated);
  EXPECT_EQ(d.bytes, exact);
}

TEST(NotifySocket, EmptyDatagramArrivesAsEmptyBytes) {
  TempDir tmp;
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock);
  UniqueFd client(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, sock->address().c_str());
  ASSERT_EQ(::sendto(client.get(), "", 0, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  Datagram d = receive_one(*sock);
  EXPECT_EQ(d.bytes, "");
  EXPECT_EQ(d.pid, ::getpid());
}

TEST(NotifySocket, PassedFdsComeWithTheDatagramAndCloseWithIt) {
  TempDir tmp;
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  UniqueFd read_end(p[0]);
  UniqueFd write_end(p[1]);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  // FDSTORE=1 with three fds: the write end of our pipe twice and /dev/null.
  UniqueFd client(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, sock->address().c_str());
  const int fds[3] = {write_end.get(), write_end.get(), devnull.get()};
  const char text[] = "FDSTORE=1";
  iovec iov{const_cast<char*>(text), sizeof text - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
  msghdr msg{};
  msg.msg_name = &addr;
  msg.msg_namelen = sizeof addr;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  ASSERT_EQ(::sendmsg(client.get(), &msg, 0), static_cast<ssize_t>(sizeof text - 1));
  // In flight, the pipe's write end lives on only inside the datagram.
  write_end.reset();
  devnull.reset();

  const int before = count_open_fds();
  {
    Datagram d = receive_one(*sock);
    EXPECT_EQ(d.bytes, "FDSTORE=1");
    ASSERT_EQ(d.fds.size(), 3u);
    EXPECT_EQ(count_open_fds(), before + 3);
    for (const auto& fd : d.fds) EXPECT_EQ(::fcntl(fd.get(), F_GETFD), FD_CLOEXEC);
    char buf;
    EXPECT_EQ(::read(read_end.get(), &buf, 1), -1) << "the write end is alive in the datagram";
  }
  EXPECT_EQ(count_open_fds(), before);
  // Every copy of the write end is closed, so the read end sees end-of-file, not EAGAIN.
  char buf;
  EXPECT_EQ(::read(read_end.get(), &buf, 1), 0);
}

TEST(NotifySocket, SocketFileIsPrivateAndRemoved) {
  TempDir tmp;
  std::string path;
  {
    auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
    ASSERT_TRUE(sock) << sock.error().message;
    path = sock->address();
    EXPECT_EQ(fs::path(path).parent_path(), fs::path(tmp.path()));
    EXPECT_NE(fs::path(path).filename().string().find(std::to_string(::getpid())),
              std::string::npos);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);

    // A move hands the clean-up over; the moved-from object removes nothing.
    NotifySocket moved = std::move(*sock);
    EXPECT_EQ(moved.address(), path);
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

// The mode comes from the umask at bind, whatever the caller's umask is.
TEST(NotifySocket, AnyUserAccessOpensTheSocketFile) {
  TempDir tmp;
  const mode_t old = ::umask(077);
  auto sock = NotifySocket::create_in(tmp.path(), SocketAccess::kAnyUser);
  EXPECT_EQ(::umask(old), 077u) << "the caller's umask is restored";
  ASSERT_TRUE(sock);
  struct stat st {};
  ASSERT_EQ(::stat(sock->address().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);
}

// Two sockets in one base get names of their own.
TEST(NotifySocket, NamesInOneBaseDiffer) {
  TempDir tmp;
  auto first = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  auto second = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->address(), second->address());
}

// A socket file bound and then closed without unlink: what a SIGKILLed supervisor leaves.
void leave_abandoned_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << path;
  ::close(fd);
}

TEST(NotifySocket, StaleNeighboursAreRemovedAndNothingElse) {
  TempDir tmp;
  auto self = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  auto alive = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  ASSERT_TRUE(self && alive);
  const std::string dir = tmp.path() + "/";
  leave_abandoned_socket(dir + "supervisor-4242-abc123.notify");
  leave_abandoned_socket(dir + "supervisor-77-zz9zz9.notify");
  // Not ours to judge: another naming, another prefix, a regular file with our naming.
  leave_abandoned_socket(dir + "other.sock");
  leave_abandoned_socket(dir + "4242-abc123.notify");
  std::ofstream(dir + "supervisor-5-aaaaaa.notify") << "not a socket";

  EXPECT_EQ(self->remove_stale_neighbours(), 2);
  EXPECT_FALSE(fs::exists(dir + "supervisor-4242-abc123.notify"));
  EXPECT_FALSE(fs::exists(dir + "supervisor-77-zz9zz9.notify"));
  EXPECT_TRUE(fs::exists(self->address()));
  EXPECT_TRUE(fs::exists(alive->address())) << "a live supervisor's socket is kept";
  EXPECT_TRUE(fs::exists(dir + "other.sock"));
  EXPECT_TRUE(fs::exists(dir + "4242-abc123.notify"));
  EXPECT_TRUE(fs::exists(dir + "supervisor-5-aaaaaa.notify"));
  EXPECT_EQ(self->remove_stale_neighbours(), 0);
}

// A root supervisor's socket goes in /run/supervisor, which the first one makes, and which is
// trusted only while nobody else can write to it. Run in a child with an empty tmpfs on /run,
// in a mount namespace of its own.
TEST(NotifySocket, RunSupervisorIsMadeOnceAndTrustedOnlyIfNotWritableByOthers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  const std::string said = what_failed_in_child([]() -> std::string {
    const auto in_run_dir = [](const Result<NotifySocket>& s) {
      return s && s->address().rfind("/run/supervisor/", 0) == 0;
    };
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", "/run", "tmpfs", 0, "size=64k") != 0) {
      return "cannot mount a tmpfs on /run";
    }
    if (!in_run_dir(NotifySocket::create(SocketAccess::kOwnerOnly))) {
      return "the first socket is not in a new /run/supervisor";
    }
    struct stat st {};
    if (::stat("/run/supervisor", &st) != 0 || (st.st_mode & 07777) != 0755) {
      return "/run/supervisor is not a 0755 directory";
    }
    if (!in_run_dir(NotifySocket::create(SocketAccess::kOwnerOnly))) {
      return "the second socket is not in the existing /run/supervisor";
    }
    if (::chmod("/run/supervisor", 0777) != 0) return "chmod";
    if (in_run_dir(NotifySocket::create(SocketAccess::kOwnerOnly))) {
      return "a /run/supervisor that others can write to is used";
    }
    return "";
  });
  EXPECT_EQ(said, "");
}

TEST(NotifySocket, AbstractSocketHasNoNeighbours) {
  auto sock = NotifySocket::create_abstract_unique();
  ASSERT_TRUE(sock) << sock.error().message;
  EXPECT_EQ(sock->remove_stale_neighbours(), 0);
}

TEST(NotifySocketName, OnlyTheNamesCreateMakes) {
  struct Case {
    std::string_view name, prefix;
    bool ours;
  };
  const Case cases[] = {
      {"123-abc0z9.notify", "", true},
      {"supervisor-1-aaaaaa.notify", "supervisor-", true},
      {"supervisor-1-aaaaaa.notify", "", false},
      {"123-abc0z9.notify", "supervisor-", false},
      {"-abc0z9.notify", "", false},
      {"12a-abc0z9.notify", "", false},
      {"123-abc0z.notify", "", false},
      {"123-abc0z99.notify", "", false},
      {"123-ABC0Z9.notify", "", false},
      {"123-abc0z9.notify.tmp", "", false},
      {"123-abc0z9", "", false},
      {"", "", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_notify_socket_name(c.name, c.prefix), c.ours) << c.name << " / " << c.prefix;
  }
}

TEST(NotifySocket, AccessDecidesWhetherAnotherUserCanSend) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to another user";
  TempDir tmp;
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  auto owner_only = NotifySocket::create_in(tmp.path(), SocketAccess::kOwnerOnly);
  auto any_user = NotifySocket::create_in(tmp.path(), SocketAccess::kAnyUser);
  ASSERT_TRUE(owner_only && any_user);
  // The child drops to nobody (65534) and tries both: exit code bit 0 = owner-only refused
  // with EACCES, bit 1 = any-user delivered.
  const int code = in_child([&] {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) return 100;
    int bits = 0;
    auto r = notify_systemd(owner_only->address(), "READY=1");
    if (!r && r.error().code == EACCES) bits |= 1;
    if (notify_systemd(any_user->address(), "READY=1")) bits |= 2;
    return bits;
  });
  ASSERT_EQ(code, 3);
  Datagram d = receive_one(*any_user);
  EXPECT_EQ(d.bytes, "READY=1");
}

TEST(NotifySocket, BaseThatCannotHoldTheSocketIsAnError) {
  auto missing =
      NotifySocket::create_in("/nonexistent-supervisor-test-dir", SocketAccess::kOwnerOnly);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  auto too_long =
      NotifySocket::create_in("/tmp/" + std::string(120, 'd'), SocketAccess::kOwnerOnly);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ENAMETOOLONG);
}

TEST(NotifySocket, CreatePicksARuntimeDirectory) {
  auto sock = NotifySocket::create(SocketAccess::kOwnerOnly);
  ASSERT_TRUE(sock) << sock.error().message;
  EXPECT_EQ(sock->address().front(), '/');
  const std::string path = sock->address();
  ASSERT_TRUE(notify_systemd(sock->address(), "WATCHDOG=1"));
  EXPECT_EQ(receive_one(*sock).bytes, "WATCHDOG=1");
  *sock = std::move(*NotifySocket::create_abstract(unique_name("reassign")));
  EXPECT_FALSE(fs::exists(path));  // assignment removed the old socket's file
}

TEST(NotifySocket, AbstractAddress) {
  const std::string name = unique_name("abstract");
  auto sock = NotifySocket::create_abstract(name);
  ASSERT_TRUE(sock) << sock.error().message;
  EXPECT_EQ(sock->address(), "@" + name);
  ASSERT_TRUE(notify_systemd(sock->address(), "MAINPID=1234"));
  Datagram d = receive_one(*sock);
  EXPECT_EQ(d.bytes, "MAINPID=1234");
  EXPECT_EQ(d.pid, ::getpid());
  // The name is taken while the socket lives.
  auto again = NotifySocket::create_abstract(name);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EADDRINUSE);
  EXPECT_FALSE(NotifySocket::create_abstract(""));
}

TEST(NotifySocket, UniqueAbstractNamesAreUnguessableAndDistinct) {
  auto first = NotifySocket::create_abstract_unique();
  auto second = NotifySocket::create_abstract_unique();
  ASSERT_TRUE(first && second);
  const std::string prefix = "@supervisor/" + std::to_string(::getpid()) + "/";
  ASSERT_EQ(first->address().rfind(prefix, 0), 0u) << first->address();
  EXPECT_EQ(first->address().size(), prefix.size() + 16) << first->address();
  EXPECT_NE(first->address(), second->address());
  ASSERT_TRUE(notify_systemd(second->address(), "READY=1"));
  EXPECT_EQ(receive_one(*second).bytes, "READY=1");
}

// --- talking up to systemd -------------------------------------------------------------

TEST(NotifySystemd, PathAddressGetsTheExactBytes) {
  TempDir tmp;
  const std::string path = tmp.path() + "/notify";
  UniqueFd listener = bind_listener(path);
  const std::string message =
      "MAINPID=" + std::to_string(::getpid()) + "\nREADY=1\nSTATUS=running pid 4711";
  auto r = notify_systemd(path, message);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(recv_bytes(listener.get()), message);
}

TEST(NotifySystemd, AbstractAddressGetsTheExactBytes) {
  const std::string address = "@" + unique_name("systemd");
  UniqueFd listener = bind_listener(address);
  ASSERT_TRUE(notify_systemd(address, "STOPPING=1"));
  EXPECT_EQ(recv_bytes(listener.get()), "STOPPING=1");
  ASSERT_TRUE(notify_systemd(address, "WATCHDOG=1"));
  EXPECT_EQ(recv_bytes(listener.get()), "WATCHDOG=1");
}

TEST(NotifySystemd, BadAddressesAndMessages) {
  auto expect_code = [](std::string_view address, std::string_view message, int code) {
    auto r = notify_systemd(address, message);
    ASSERT_FALSE(r) << address;
    EXPECT_EQ(r.error().code, code) << address << ": " << r.error().message;
  };
  expect_code("", "READY=1", EINVAL);
  expect_code("@", "READY=1", EINVAL);
  expect_code("relative/path", "READY=1", EAFNOSUPPORT);
  expect_code("vsock:2:1234", "READY=1", EAFNOSUPPORT);
  expect_code("/" + std::string(200, 'x'), "READY=1", ENAMETOOLONG);
  expect_code("/nonexistent-dir/notify", "READY=1", ENOENT);
  expect_code("@" + unique_name("nobody-listens"), "READY=1", ECONNREFUSED);
  TempDir tmp;
  UniqueFd listener = bind_listener(tmp.path() + "/n");
  expect_code(tmp.path() + "/n", "", EINVAL);
}

}  // namespace
}  // namespace sup::os
