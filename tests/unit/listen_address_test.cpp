// parse_listen (SPEC 10): every ADDRESS form, NAME, and every error naming the value.
#include "core/listen_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"

namespace sup::core {
namespace {

ListenSpec ok(const std::string& value) {
  auto r = parse_listen(value);
  EXPECT_TRUE(r.has_value()) << value << ": " << (r ? "" : r.error().message);
  if (!r) return {};
  EXPECT_EQ(r->text, value);
  return *std::move(r);
}

std::string err(const std::string& value) {
  auto r = parse_listen(value);
  EXPECT_FALSE(r.has_value()) << value << " was accepted";
  if (r) return {};
  EXPECT_EQ(r.error().message.rfind("--listen=" + value + ": ", 0), 0u) << r.error().message;
  return r.error().message;
}

TEST(ParseListen, TcpHostPort) {
  const ListenSpec s = ok("127.0.0.1:8080");
  EXPECT_EQ(s.kind, ListenKind::kTcp);
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 8080);
  EXPECT_EQ(s.name, "listen");
  EXPECT_EQ(s.path, "");
}

TEST(ParseListen, TcpHostNameAndWildcard) {
  EXPECT_EQ(ok("localhost:80").host, "localhost");
  EXPECT_EQ(ok("0.0.0.0:80").host, "0.0.0.0");
  EXPECT_EQ(ok("web-1.example.org:443").host, "web-1.example.org");
}

TEST(ParseListen, PortBounds) {
  EXPECT_EQ(ok("127.0.0.1:0").port, 0);
  EXPECT_EQ(ok("127.0.0.1:65535").port, 65535);
  EXPECT_NE(err("127.0.0.1:65536").find("'65536' is not a port number 0-65535"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:-1").find("not a port number"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:http").find("'http' is not a port number"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:").find("'' is not a port number"), std::string::npos);
  EXPECT_NE(err("127.0.0.1: 80").find("not a port number"), std::string::npos);
}

TEST(ParseListen, Ipv6InBrackets) {
  ListenSpec s = ok("[::1]:8080");
  EXPECT_EQ(s.kind, ListenKind::kTcp);
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 8080);
  s = ok("[::]:80");
  EXPECT_EQ(s.host, "::");
  EXPECT_EQ(ok("[fe80::1%lo]:80").host, "fe80::1%lo");
}

TEST(ParseListen, Ipv6Errors) {
  EXPECT_NE(err("::1:8080").find("an IPv6 address needs brackets"), std::string::npos);
  EXPECT_NE(err("[::1:8080").find("missing ']'"), std::string::npos);
  EXPECT_NE(err("[::1]8080").find("expected :PORT after ']'"), std::string::npos);
  EXPECT_NE(err("[::1]").find("expected :PORT after ']'"), std::string::npos);
  EXPECT_NE(err("[]:80").find("empty IPv6 address"), std::string::npos);
  EXPECT_NE(err("[127.0.0.1]:80").find("[] are for an IPv6 address"), std::string::npos);
}

TEST(ParseListen, Udp) {
  ListenSpec s = ok("udp:127.0.0.1:5353");
  EXPECT_EQ(s.kind, ListenKind::kUdp);
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 5353);
  s = ok("udp:[::1]:53");
  EXPECT_EQ(s.kind, ListenKind::kUdp);
  EXPECT_EQ(s.host, "::1");
  EXPECT_NE(err("udp:5353").find("expected [NAME=]HOST:PORT"), std::string::npos);
  EXPECT_NE(err("udp::5353").find("missing HOST"), std::string::npos);
}

TEST(ParseListen, UnixPath) {
  const ListenSpec s = ok("unix:/run/app.sock");
  EXPECT_EQ(s.kind, ListenKind::kUnixPath);
  EXPECT_EQ(s.path, "/run/app.sock");
  EXPECT_EQ(s.host, "");
  // A ':' or '=' in a path is part of the path.
  EXPECT_EQ(ok("unix:/run/a:b=c").path, "/run/a:b=c");
}

TEST(ParseListen, UnixPathErrors) {
  EXPECT_NE(err("unix:").find("missing PATH"), std::string::npos);
  EXPECT_NE(err("unix:run/app.sock").find("must be absolute"), std::string::npos);
  EXPECT_TRUE(parse_listen("unix:/" + std::string(106, 'x')).has_value());  // 107 bytes
  EXPECT_NE(err("unix:/" + std::string(107, 'x')).find("longer than a unix socket address"),
            std::string::npos);
}

TEST(ParseListen, UnixAbstract) {
  const ListenSpec s = ok("unix:@app");
  EXPECT_EQ(s.kind, ListenKind::kUnixAbstract);
  EXPECT_EQ(s.path, "app");
  EXPECT_EQ(ok("unix:@a/b:c").path, "a/b:c");
  EXPECT_NE(err("unix:@").find("empty abstract socket name"), std::string::npos);
  EXPECT_TRUE(parse_listen("unix:@" + std::string(107, 'x')).has_value());
  EXPECT_FALSE(parse_listen("unix:@" + std::string(108, 'x')).has_value());
}

TEST(ParseListen, NameBeforeTheAddress) {
  ListenSpec s = ok("web=127.0.0.1:80");
  EXPECT_EQ(s.name, "web");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 80);
  s = ok("admin=unix:/run/a=b");
  EXPECT_EQ(s.name, "admin");
  EXPECT_EQ(s.path, "/run/a=b");
  s = ok("dns=udp:[::1]:53");
  EXPECT_EQ(s.name, "dns");
  EXPECT_EQ(s.kind, ListenKind::kUdp);
  EXPECT_EQ(ok("my socket=unix:@x").name, "my socket");  // systemd allows spaces
  EXPECT_EQ(ok(std::string(255, 'n') + "=127.0.0.1:1").name, std::string(255, 'n'));
}

TEST(ParseListen, BadNames) {
  EXPECT_NE(err("=127.0.0.1:80").find("NAME must be 1 to 255 printable characters"),
            std::string::npos);
  EXPECT_NE(err(std::string(256, 'n') + "=127.0.0.1:80").find("NAME must be"), std::string::npos);
  EXPECT_NE(err("a\tb=127.0.0.1:80").find("NAME must be"), std::string::npos);
  EXPECT_NE(err("caf\xc3\xa9=127.0.0.1:80").find("NAME must be"), std::string::npos);
  // A ':' before the first '=' makes the whole value an address, so a name with ':' is
  // read as one, and fails as one.
  EXPECT_FALSE(parse_listen("a:b=127.0.0.1:80").has_value());
}

TEST(ParseListen, ValidListenName) {
  EXPECT_TRUE(valid_listen_name("listen"));
  EXPECT_TRUE(valid_listen_name("~!@#$%^&*()_+ "));
  EXPECT_FALSE(valid_listen_name(""));
  EXPECT_FALSE(valid_listen_name("a:b"));
  EXPECT_FALSE(valid_listen_name("a\nb"));
  EXPECT_FALSE(valid_listen_name(std::string("a\x7f", 2)));
  EXPECT_TRUE(valid_listen_name(std::string(255, 'x')));
  EXPECT_FALSE(valid_listen_name(std::string(256, 'x')));
}

TEST(ParseListen, Garbage) {
  EXPECT_NE(err("").find("expected [NAME=]HOST:PORT, [IPV6]:PORT, udp:HOST:PORT, unix:PATH"),
            std::string::npos);
  EXPECT_NE(err("8080").find("expected [NAME=]HOST:PORT"), std::string::npos);
  EXPECT_NE(err("web=").find("expected [NAME=]HOST:PORT"), std::string::npos);
  EXPECT_NE(err(":8080").find("missing HOST (0.0.0.0 or [::] for every address)"),
            std::string::npos);
  EXPECT_NE(err("tcp:127.0.0.1:80").find("unknown kind 'tcp:'"), std::string::npos);
  EXPECT_NE(err("udp6:127.0.0.1:80").find("unknown kind 'udp6:'"), std::string::npos);
  EXPECT_NE(err("a b:80").find("'a b' is not a host name or address"), std::string::npos);
  EXPECT_NE(err("/tmp/x:80").find("is not a host name or address"), std::string::npos);
}

// --listen in parse_cli: repeatable, in order, errors as parse_listen words them.
std::vector<std::string_view> views(const std::vector<std::string>& words) {
  return {words.begin(), words.end()};
}

TEST(ParseListen, CommandLine) {
  const std::vector<std::string> words = {"--listen=127.0.0.1:80", "--listen", "b=unix:@x",
                                          "--", "/bin/app"};
  auto cfg = parse_cli(views(words));
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->listen.size(), 2u);
  EXPECT_EQ(cfg->listen[0].name, "listen");
  EXPECT_EQ(cfg->listen[0].port, 80);
  EXPECT_EQ(cfg->listen[1].name, "b");
  EXPECT_EQ(cfg->listen[1].kind, ListenKind::kUnixAbstract);

  const std::vector<std::string> none = {"/bin/app"};
  EXPECT_TRUE(parse_cli(views(none))->listen.empty());

  const std::vector<std::string> bad = {"--listen=127.0.0.1:99999", "/bin/app"};
  auto r = parse_cli(views(bad));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "--listen=127.0.0.1:99999: '99999' is not a port number 0-65535");

  const std::vector<std::string> missing = {"--listen"};
  r = parse_cli(views(missing));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "--listen: requires a value");
}

}  // namespace
}  // namespace sup::core
