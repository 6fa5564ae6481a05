// The value of --listen=[NAME=]ADDRESS (SPEC 10), parsed into what the OS layer binds. Pure: a
// host name stays a name here; resolving it is the OS layer's job.
//
//   HOST:PORT        TCP; HOST an IPv4 address or a host name
//   [IPV6]:PORT      TCP on an IPv6 address
//   udp:HOST:PORT    UDP (also udp:[IPV6]:PORT)
//   unix:PATH        unix stream socket at an absolute PATH
//   unix:@NAME       unix stream socket in the abstract namespace
//
// NAME, the socket's LISTEN_FDNAMES entry, defaults to "listen". The text before the first '='
// is a NAME only if it holds no ':': every ADDRESS has a ':' before any '=' it may contain, so
// "unix:/run/a=b" is an address and "web=unix:/run/a=b" a name and an address.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace sup::core {

enum class ListenKind { kTcp, kUdp, kUnixPath, kUnixAbstract };

struct ListenSpec {
  std::string text;            // the whole value as given, for messages: "--listen=" + text
  std::string name = "listen"; // its LISTEN_FDNAMES entry
  ListenKind kind = ListenKind::kTcp;
  std::string host;            // kTcp, kUdp: without brackets ("::1", "127.0.0.1", "localhost")
  int port = 0;                // kTcp, kUdp: 0..65535 (0: the kernel picks one)
  std::string path;            // kUnixPath: the absolute path; kUnixAbstract: NAME without '@'
  bool operator==(const ListenSpec&) const = default;
};

inline constexpr std::string_view kDefaultListenName = "listen";
// systemd's FDNAME_MAX: longer names are not valid in LISTEN_FDNAMES.
inline constexpr std::size_t kMaxListenNameLength = 255;
// sockaddr_un::sun_path holds 108 bytes: a path and its NUL, or '\0' and an abstract name.
inline constexpr std::size_t kMaxUnixPathLength = 107;

// Parses one --listen value. An Error's message is "--listen=VALUE: why".
Result<ListenSpec> parse_listen(std::string_view value);

// Whether name may appear in LISTEN_FDNAMES: 1 to 255 printable ASCII characters, no ':' (the
// separator). systemd also allows the empty name; here it is refused, as a likely typo.
bool valid_listen_name(std::string_view name);

}  // namespace sup::core
