#include "core/listen_address.hpp"

#include <cctype>

#include "util/strings.hpp"

namespace sup::core {
namespace {

constexpr std::string_view kForms =
    "expected [NAME=]HOST:PORT, [IPV6]:PORT, udp:HOST:PORT, unix:PATH or unix:@NAME";

Error bad(std::string_view value, std::string_view why) {
  return logic_error("--listen=" + std::string(value) + ": " + std::string(why));
}

// "HOST:PORT" or "[IPV6]:PORT" into spec.host and spec.port.
Result<void> parse_host_port(std::string_view value, std::string_view address, ListenSpec& spec) {
  std::string_view host;
  std::string_view port;
  if (starts_with(address, "[")) {
    const auto close = address.find(']');
    if (close == std::string_view::npos) return bad(value, "missing ']' after the IPv6 address");
    host = address.substr(1, close - 1);
    if (host.empty()) return bad(value, "empty IPv6 address in []");
    // Brackets are what tell an IPv6 address's colons from the port's; anything else in
    // them is a mistake getaddrinfo might still accept (an IPv4 address, a name).
    if (host.find(':') == std::string_view::npos) {
      return bad(value, "[] are for an IPv6 address, e.g. [::1]:8080");
    }
    if (address.size() == close + 1 || address[close + 1] != ':') {
      return bad(value, "expected :PORT after ']'");
    }
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return bad(value, kForms);
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.empty()) return bad(value, "missing HOST (0.0.0.0 or [::] for every address)");
    if (const auto first = host.find(':'); first != std::string_view::npos) {
      // "tcp:…", "udp6:…": a word that cannot be the start of an IPv6 address.
      const std::string_view word = host.substr(0, first);
      for (char c : word) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
          return bad(value, "unknown kind '" + std::string(word) + ":' (" +
                                std::string(kForms) + ")");
        }
      }
      return bad(value, "an IPv6 address needs brackets, e.g. [::1]:8080");
    }
  }
  for (char c : host) {
    if (c == '[' || c == ']' || c == '/' || c <= ' ' || c >= 127) {
      return bad(value, "'" + std::string(host) + "' is not a host name or address");
    }
  }
  auto number = parse_int(port, 0, 65535);
  if (!number) return bad(value, "'" + std::string(port) + "' is not a port number 0-65535");
  spec.host = host;
  spec.port = static_cast<int>(*number);
  return {};
}

Result<void> parse_unix(std::string_view value, std::string_view rest, ListenSpec& spec) {
  if (starts_with(rest, "@")) {
    spec.kind = ListenKind::kUnixAbstract;
    spec.path = rest.substr(1);
    if (spec.path.empty()) return bad(value, "empty abstract socket name after '@'");
  } else {
    spec.kind = ListenKind::kUnixPath;
    spec.path = rest;
    if (spec.path.empty()) return bad(value, "missing PATH after 'unix:'");
    // The path is bound now and unlinked at exit; relative to which directory would be a
    // question nobody should have to ask.
    if (spec.path.front() != '/') return bad(value, "the socket's PATH must be absolute");
  }
  if (spec.path.size() > kMaxUnixPathLength) {
    return bad(value, "longer than a unix socket address can be (" +
                          std::to_string(kMaxUnixPathLength) + " bytes)");
  }
  if (spec.path.find('\0') != std::string::npos) return bad(value, "NUL in the socket's name");
  return {};
}

}  // namespace

bool valid_listen_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxListenNameLength) return false;
  for (char c : name) {
    if (c < ' ' || c >= 127 || c == ':') return false;
  }
  return true;
}

Result<ListenSpec> parse_listen(std::string_view value) {
  ListenSpec spec;
  spec.text = value;
  std::string_view address = value;
  const auto eq = value.find('=');
  if (eq != std::string_view::npos && value.substr(0, eq).find(':') == std::string_view::npos) {
    const std::string_view name = value.substr(0, eq);
    if (!valid_listen_name(name)) {
      return bad(value, "NAME must be 1 to 255 printable characters without ':'");
    }
    spec.name = name;
    address = value.substr(eq + 1);
  }
  if (address.empty()) return bad(value, kForms);

  if (starts_with(address, "unix:")) {
    if (auto r = parse_unix(value, address.substr(5), spec); !r) return std::move(r).error();
    return spec;
  }
  spec.kind = ListenKind::kTcp;
  if (starts_with(address, "udp:")) {
    spec.kind = ListenKind::kUdp;
    address.remove_prefix(4);
  }
  if (auto r = parse_host_port(value, address, spec); !r) return std::move(r).error();
  return spec;
}

}  // namespace sup::core
