// --listen sockets against the real kernel: each kind of address, its socket options, a unix
// socket file's replacement rules, mode, owner and removal, and the errors a user can cause.
#include "os/listen_sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace sup::os {
namespace {

using core::ListenSpec;

ListenSpec spec_of(const std::string& value) {
  auto spec = core::parse_listen(value);
  EXPECT_TRUE(spec.has_value()) << value;
  return spec ? *spec : ListenSpec{};
}

BoundSocket bind_ok(const std::string& value, const Credentials& owner = {}) {
  auto bound = bind_listen(spec_of(value), owner);
  EXPECT_TRUE(bound.has_value()) << value << ": " << (bound ? "" : bound.error().message);
  if (!bound) return {};
  return std::move(*bound);
}

Error bind_error(const std::string& value, const Credentials& owner = {}) {
  auto bound = bind_listen(spec_of(value), owner);
  EXPECT_FALSE(bound.has_value()) << value << " was bound";
  if (bound) return {};
  EXPECT_EQ(bound.error().message.rfind("--listen=" + value + ": ", 0), 0u)
      << bound.error().message;
  return bound.error();
}

int int_option(int fd, int level, int option) {
  int value = -1;
  socklen_t len = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, option, &value, &len), 0) << std::strerror(errno);
  return value;
}

int port_of(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

bool ipv6_loopback() {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// Connects a unix stream client to `path`; true if it connected.
bool connects(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un addr = unix_address(path);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

// A socket file at `path` that nobody listens on any more: what a killed server leaves.
void make_stale_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un addr = unix_address(path);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class ListenSockets : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/listen-sockets-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    const std::string cmd = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(ListenSockets, TcpOnLoopbackListensWithReuseAddrAndCloseOnExec) {
  BoundSocket s = bind_ok("web=127.0.0.1:0");
  ASSERT_TRUE(s.fd);
  EXPECT_EQ(s.name, "web");
  EXPECT_FALSE(s.file.has_value());
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 1);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_REUSEADDR), 1);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_DOMAIN), AF_INET);
  EXPECT_TRUE(::fcntl(s.fd.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_FALSE(::fcntl(s.fd.get(), F_GETFL) & O_NONBLOCK);  // as systemd passes them
  EXPECT_GT(port_of(s.fd.get()), 0);
}

TEST_F(ListenSockets, HostNameLocalhostIsTheIpv4Loopback) {
  BoundSocket s = bind_ok("localhost:0");
  ASSERT_TRUE(s.fd);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EXPECT_EQ(addr.sin_family, AF_INET);
  EXPECT_EQ(ntohl(addr.sin_addr.s_addr), INADDR_LOOPBACK);
}

TEST_F(ListenSockets, Ipv6LoopbackIsV6Only) {
  if (!ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  BoundSocket s = bind_ok("[::1]:0");
  ASSERT_TRUE(s.fd);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_DOMAIN), AF_INET6);
  EXPECT_EQ(int_option(s.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY), 1);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 1);
}

TEST_F(ListenSockets, Ipv6AndIpv4WildcardsOnOnePortCoexist) {
  if (!ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  BoundSocket v6 = bind_ok("[::]:0");
  ASSERT_TRUE(v6.fd);
  const std::string port = std::to_string(port_of(v6.fd.get()));
  BoundSocket v4 = bind_ok("0.0.0.0:" + port);
  EXPECT_TRUE(v4.fd);
}

TEST_F(ListenSockets, UdpIsADatagramSocketWithoutReuseAddr) {
  BoundSocket s = bind_ok("dns=udp:127.0.0.1:0");
  ASSERT_TRUE(s.fd);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_REUSEADDR), 0);
  const int port = port_of(s.fd.get());
  // It receives what is sent to it.
  UniqueFd client(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::sendto(client.get(), "hi", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 2);
  char buf[8];
  EXPECT_EQ(::recv(s.fd.get(), buf, sizeof buf, 0), 2);
  // A second UDP socket on the port is refused, not shared.
  const Error e = bind_error("udp:127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(e.code, EADDRINUSE);
}

TEST_F(ListenSockets, TcpAddressInUseNamesTheAddress) {
  BoundSocket first = bind_ok("127.0.0.1:0");
  ASSERT_TRUE(first.fd);
  const std::string value = "127.0.0.1:" + std::to_string(port_of(first.fd.get()));
  const Error e = bind_error(value);
  EXPECT_EQ(e.code, EADDRINUSE);
  EXPECT_EQ(e.message, "--listen=" + value + ": " + std::strerror(EADDRINUSE));
}

TEST_F(ListenSockets, UnknownHost) {
  const Error e = bind_error("no-such-host.invalid:80");
  EXPECT_NE(e.message.find("unknown host 'no-such-host.invalid'"), std::string::npos) << e.message;
}

TEST_F(ListenSockets, AddressNotOnThisMachine) {
  // 192.0.2.0/24 is TEST-NET-1, documentation only: no interface has it.
  const Error e = bind_error("192.0.2.1:80");
  EXPECT_EQ(e.code, EADDRNOTAVAIL) << e.message;
}

TEST_F(ListenSockets, PrivilegedPortIsPermissionDeniedForAnUnprivilegedSupervisor) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become nobody";
  std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  int start = 1024;
  in >> start;
  if (start <= 81) GTEST_SKIP() << "port 81 is not privileged here";
  // In a child that gives up root: gtest is single-threaded, the child may allocate.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(2);
    auto r = bind_listen(spec_of("127.0.0.1:81"), {});
    const std::string msg = r ? "bound" : r.error().message;
    (void)!::write(p[1], msg.data(), msg.size());
    _exit(r || r.error().code != EACCES ? 1 : 0);
  }
  ::close(p[1]);
  std::string msg;
  char buf[256];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << msg;
  EXPECT_EQ(msg, "--listen=127.0.0.1:81: Permission denied");
}

TEST_F(ListenSockets, UnixPathIsAListeningSocketFileWithMode0666WhateverTheUmask) {
  const std::string sock = path("app.sock");
  const mode_t old = ::umask(077);
  BoundSocket s = bind_ok("unix:" + sock);
  ::umask(old);
  ASSERT_TRUE(s.fd);
  ASSERT_TRUE(s.file.has_value());
  EXPECT_EQ(s.file->path(), sock);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 1);
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_REUSEADDR), 0);
  struct stat st {};
  ASSERT_EQ(::lstat(sock.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_TRUE(connects(sock));
  // The file goes with the SocketFile.
  s.file.reset();
  EXPECT_FALSE(exists(sock));
}

TEST_F(ListenSockets, UnixPathIsOwnedByTheAppsUserAndGroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Credentials nobody;
  nobody.set_uid = nobody.set_gid = true;
  nobody.uid = 65534;
  nobody.gid = 65534;
  const std::string sock = path("owned.sock");
  BoundSocket s = bind_ok("unix:" + sock, nobody);
  struct stat st {};
  ASSERT_EQ(::lstat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);

  Credentials group_only;
  group_only.set_gid = true;
  group_only.gid = 65534;
  const std::string sock2 = path("group.sock");
  BoundSocket s2 = bind_ok("unix:" + sock2, group_only);
  ASSERT_EQ(::lstat(sock2.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(st.st_gid, 65534u);
}

TEST_F(ListenSockets, UnixPathReplacesAStaleSocket) {
  const std::string sock = path("stale.sock");
  make_stale_socket(sock);
  ASSERT_TRUE(exists(sock));
  ASSERT_FALSE(connects(sock));
  BoundSocket s = bind_ok("unix:" + sock);
  ASSERT_TRUE(s.fd);
  EXPECT_TRUE(connects(sock));
}

TEST_F(ListenSockets, UnixPathRefusesASocketSomeoneListensOn) {
  const std::string sock = path("live.sock");
  BoundSocket live = bind_ok("unix:" + sock);
  ASSERT_TRUE(live.fd);
  const Error e = bind_error("unix:" + sock);
  EXPECT_EQ(e.code, EADDRINUSE);
  EXPECT_NE(e.message.find(sock + " is in use"), std::string::npos) << e.message;
  EXPECT_TRUE(connects(sock));  // the live one still has its file
}

TEST_F(ListenSockets, UnixPathRefusesToReplaceARegularFile) {
  const std::string file = path("data");
  { std::ofstream(file) << "keep me\n"; }
  const Error e = bind_error("unix:" + file);
  EXPECT_EQ(e.code, EEXIST);
  EXPECT_NE(e.message.find(file + " exists and is not a socket"), std::string::npos) << e.message;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "keep me");
}

TEST_F(ListenSockets, UnixPathInAMissingDirectory) {
  const Error e = bind_error("unix:" + path("no/such/dir.sock"));
  EXPECT_EQ(e.code, ENOENT) << e.message;
}

TEST_F(ListenSockets, SocketFileLeavesAlonePathsThatHoldAnotherSocketByNow) {
  const std::string sock = path("moved.sock");
  BoundSocket s = bind_ok("unix:" + sock);
  ASSERT_TRUE(s.file.has_value());
  ASSERT_EQ(::unlink(sock.c_str()), 0);
  make_stale_socket(sock);  // someone else's socket file, same path
  s.file.reset();
  EXPECT_TRUE(exists(sock));
}

TEST_F(ListenSockets, AbstractName) {
  const std::string name = "supervisor-listen-test-" + std::to_string(::getpid());
  BoundSocket s = bind_ok("unix:@" + name);
  ASSERT_TRUE(s.fd);
  EXPECT_FALSE(s.file.has_value());
  EXPECT_EQ(int_option(s.fd.get(), SOL_SOCKET, SO_ACCEPTCONN), 1);
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(len, offsetof(sockaddr_un, sun_path) + 1 + name.size());  // no trailing NUL
  EXPECT_EQ(addr.sun_path[0], '\0');
  EXPECT_EQ(std::string(addr.sun_path + 1, name.size()), name);
  EXPECT_EQ(bind_error("unix:@" + name).code, EADDRINUSE);
}

TEST_F(ListenSockets, AddedAfterTheInheritedOnesInOrder) {
  ListenFds listen;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  listen.fds.emplace_back(p[0]);  // stands in for a socket systemd passed
  listen.names.push_back("inherited");
  ::close(p[1]);
  const std::vector<ListenSpec> specs = {spec_of("a=127.0.0.1:0"), spec_of("unix:" + path("b"))};
  ASSERT_TRUE(add_listen_sockets(listen, specs, {}).has_value());
  ASSERT_EQ(listen.fds.size(), 3u);
  EXPECT_EQ(listen.fds[0].get(), p[0]);
  EXPECT_EQ(listen.names, (std::vector<std::string>{"inherited", "a", "listen"}));
  ASSERT_EQ(listen.files.size(), 1u);
  EXPECT_EQ(listen.files[0].path(), path("b"));
  EXPECT_EQ(listen_env(passed_fds(listen))[1], "LISTEN_FDNAMES=inherited:a:listen");
}

TEST_F(ListenSockets, AFailureAddsNothingAndLeavesNoSocketFile) {
  BoundSocket taken = bind_ok("127.0.0.1:0");
  const std::string busy = "127.0.0.1:" + std::to_string(port_of(taken.fd.get()));
  ListenFds listen;
  const std::vector<ListenSpec> specs = {spec_of("unix:" + path("first.sock")), spec_of(busy)};
  auto r = add_listen_sockets(listen, specs, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.rfind("--listen=" + busy + ": ", 0), 0u) << r.error().message;
  EXPECT_TRUE(listen.fds.empty());
  EXPECT_TRUE(listen.files.empty());
  EXPECT_FALSE(exists(path("first.sock")));
}

}  // namespace
}  // namespace sup::os
