#include "core/notify_message.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

#include "util/strings.hpp"

namespace sup::core {
namespace {

constexpr std::size_t kMaxStatusBytes = 1024;
constexpr std::int64_t kMaxPid = std::numeric_limits<std::int32_t>::max();

// systemd parses these with safe_atou64: plain decimal digits. from_chars on an unsigned type
// already refuses signs, spaces and overflow; the end check refuses suffixes.
std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The offending line for a debug message: cut, and non-printable bytes shown as '?', so a
// hostile datagram cannot forge log lines or terminal escapes.
std::string printable(std::string_view line) {
  constexpr std::size_t kMaxShown = 64;
  std::string out;
  for (char c : line.substr(0, kMaxShown)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (line.size() > kMaxShown) out += "...";
  return out;
}

Error malformed(std::string_view line) { return Error{EINVAL, "malformed " + printable(line)}; }

// Sets a flag from its exact assignment; anything else (another value, a repeat) is ignored.
void set_flag(bool& flag, bool matches, std::size_t& ignored) {
  if (matches && !flag) {
    flag = true;
  } else {
    ++ignored;
  }
}

template <class T>
void set_first(std::optional<T>& field, T value, std::size_t& ignored) {
  if (field) {
    ++ignored;
  } else {
    field = std::move(value);
  }
}

}  // namespace

bool fdname_is_valid(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != ':'; });
}

Result<NotifyMessage> parse_notify(std::string_view datagram) {
  if (datagram.empty()) return Error{EINVAL, "empty notification"};
  if (datagram.size() > kMaxNotifyBytes) {
    return Error{EMSGSIZE, "notification of " + std::to_string(datagram.size()) +
                               " bytes, more than " + std::to_string(kMaxNotifyBytes)};
  }
  // systemd refuses these too: a C client could never have sent one deliberately, and a NUL
  // would cut the text wherever it is later handled as a C string.
  if (datagram.find('\0') != std::string_view::npos) {
    return Error{EINVAL, "notification contains a NUL byte"};
  }

  NotifyMessage m;
  for (std::string_view line : split(datagram, '\n')) {
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      ++m.ignored;
      continue;
    }
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);

    if (key == "READY") {
      set_flag(m.ready, value == "1", m.ignored);
    } else if (key == "STOPPING") {
      set_flag(m.stopping, value == "1", m.ignored);
    } else if (key == "RELOADING") {
      set_flag(m.reloading, value == "1", m.ignored);
    } else if (key == "WATCHDOG") {
      if (value == "1") {
        set_flag(m.watchdog_ping, true, m.ignored);
      } else {
        set_flag(m.watchdog_trigger, value == "trigger", m.ignored);
      }
    } else if (key == "STATUS") {
      set_first(m.status, std::string(value), m.ignored);
    } else if (key == "MAINPID") {
      // A pid of 0 or below would name no process, or (via kill semantics) a whole group.
      auto pid = parse_int(value, 1, kMaxPid);
      if (!pid) return malformed(line);
      set_first(m.mainpid, static_cast<int>(*pid), m.ignored);
    } else if (key == "EXTEND_TIMEOUT_USEC") {
      auto usec = parse_u64(value);
      if (!usec) return malformed(line);
      set_first(m.extend_timeout_usec, *usec, m.ignored);
    } else if (key == "WATCHDOG_USEC") {
      auto usec = parse_u64(value);
      if (!usec) return malformed(line);
      set_first(m.watchdog_usec, *usec, m.ignored);
    } else if (key == "MONOTONIC_USEC") {
      auto usec = parse_u64(value);
      if (!usec) return malformed(line);
      set_first(m.monotonic_usec, *usec, m.ignored);
    } else if (key == "FDSTORE") {
      set_flag(m.fdstore, value == "1", m.ignored);
    } else if (key == "FDSTOREREMOVE") {
      set_flag(m.fdstore_remove, value == "1", m.ignored);
    } else if (key == "FDPOLL") {
      set_flag(m.fdpoll_off, value == "0", m.ignored);
    } else if (key == "FDNAME") {
      if (!fdname_is_valid(value)) return malformed(line);
      set_first(m.fdname, std::string(value), m.ignored);
    } else {
      ++m.ignored;
    }
  }
  return m;
}

std::string sanitize_status(std::string_view text) {
  std::size_t cut = text.size();
  if (cut > kMaxStatusBytes) {
    cut = kMaxStatusBytes;
    // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split in half.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out(text.substr(0, cut));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\0') c = ' ';
  }
  return out;
}

std::string format_notify(const NotifyMessage& m) {
  std::string out;
  auto line = [&out](std::string_view text) {
    if (!out.empty()) out += '\n';
    out += text;
  };
  if (m.mainpid) line("MAINPID=" + std::to_string(*m.mainpid));
  if (m.ready) line("READY=1");
  if (m.reloading) line("RELOADING=1");
  if (m.monotonic_usec) line("MONOTONIC_USEC=" + std::to_string(*m.monotonic_usec));
  if (m.stopping) line("STOPPING=1");
  if (m.status) line("STATUS=" + sanitize_status(*m.status));
  if (m.watchdog_ping) line("WATCHDOG=1");
  if (m.watchdog_trigger) line("WATCHDOG=trigger");
  if (m.watchdog_usec) line("WATCHDOG_USEC=" + std::to_string(*m.watchdog_usec));
  if (m.extend_timeout_usec) {
    line("EXTEND_TIMEOUT_USEC=" + std::to_string(*m.extend_timeout_usec));
  }
  if (m.fdstore) line("FDSTORE=1");
  if (m.fdstore_remove) line("FDSTOREREMOVE=1");
  if (m.fdpoll_off) line("FDPOLL=0");
  if (m.fdname) line("FDNAME=" + *m.fdname);
  return out;
}

std::optional<std::uint64_t> parse_watchdog_env(std::optional<std::string_view> watchdog_usec,
                                                std::optional<std::string_view> watchdog_pid,
                                                int self_pid) {
  if (!watchdog_usec) return std::nullopt;
  auto usec = parse_u64(*watchdog_usec);
  if (!usec || *usec == 0) return std::nullopt;
  // An unset WATCHDOG_PID means "for whoever reads it" (systemd before v209 set none).
  if (watchdog_pid) {
    auto pid = parse_int(*watchdog_pid, 1, kMaxPid);
    if (!pid || *pid != self_pid) return std::nullopt;
  }
  return usec;
}

std::optional<ListenFdsEnv> parse_listen_fds_env(std::optional<std::string_view> listen_pid,
                                                 std::optional<std::string_view> listen_fds,
                                                 std::optional<std::string_view> listen_fdnames,
                                                 int self_pid) {
  // LISTEN_PID is what makes the fds ours: without it they were meant for a parent that
  // forgot to unset the variables, and the numbers may name unrelated files.
  if (!listen_pid || !listen_fds) return std::nullopt;
  auto pid = parse_int(*listen_pid, 1, kMaxPid);
  if (!pid || *pid != self_pid) return std::nullopt;
  auto count = parse_int(*listen_fds, 0, kMaxListenFds);
  if (!count || *count == 0) return std::nullopt;

  ListenFdsEnv env;
  env.count = static_cast<int>(*count);
  if (listen_fdnames) {
    for (std::string_view name : split(*listen_fdnames, ':')) env.names.emplace_back(name);
  }
  bool usable = env.names.size() == static_cast<std::size_t>(env.count);
  for (const auto& name : env.names) usable = usable && !name.empty();
  if (!usable) env.names.assign(static_cast<std::size_t>(env.count), "unknown");
  return env;
}

bool is_service_manager_var(std::string_view entry) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
      "LISTEN_PID=",    "LISTEN_FDS=",    "LISTEN_FDNAMES="};
  for (std::string_view prefix : kNames) {
    if (starts_with(entry, prefix)) return true;
  }
  return false;
}

NotifyControl parse_notify_control(const void* control, std::size_t length) {
  // The layout of cmsg(3), without its macros: they trust cmsg_len.
  const auto* base = static_cast<const unsigned char*>(control);
  constexpr std::size_t kHeader = CMSG_LEN(0);  // the header, aligned: where data starts
  NotifyControl out;
  std::size_t offset = 0;
  while (length - offset >= sizeof(cmsghdr)) {
    cmsghdr header{};
    std::memcpy(&header, base + offset, sizeof header);
    if (header.cmsg_len < kHeader || header.cmsg_len > length - offset) break;
    const unsigned char* data = base + offset + kHeader;
    const std::size_t payload = header.cmsg_len - kHeader;
    if (header.cmsg_level == SOL_SOCKET && header.cmsg_type == SCM_RIGHTS) {
      for (std::size_t i = 0; i + sizeof(int) <= payload; i += sizeof(int)) {
        int fd;
        std::memcpy(&fd, data + i, sizeof fd);
        out.fds.push_back(fd);
      }
    } else if (header.cmsg_level == SOL_SOCKET && header.cmsg_type == SCM_CREDENTIALS &&
               payload >= sizeof(ucred)) {
      ucred cred{};
      std::memcpy(&cred, data, sizeof cred);
      out.pid = cred.pid;
    }
    const std::size_t step = CMSG_ALIGN(header.cmsg_len);
    if (step > length - offset) break;
    offset += step;
  }
  return out;
}

}  // namespace sup::core
