// The sd_notify protocol as values (SPEC 7): parsing what the app sends on its NOTIFY_SOCKET,
// formatting what the supervisor sends up to systemd, and reading the service manager's
// environment (WATCHDOG_*, LISTEN_*). Pure: callers pass getenv() results and their own pid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace sup::core {

// The largest notification accepted. systemd reads into a buffer of about this size
// (NOTIFY_BUFFER_MAX is larger, but no real client sends more than a line or two); a datagram
// above it is dropped whole, never cut.
inline constexpr std::size_t kMaxNotifyBytes = 4096;

// Whether text may name a passed fd in LISTEN_FDNAMES: 1 to 255 printable ASCII characters,
// no ':' (the separator). systemd's fdname_is_valid.
bool fdname_is_valid(std::string_view text);

// One datagram, decoded. Flags are set only by their exact assignment ("READY=1", not
// "READY=0"); the optionals only when the key is present and well-formed.
struct NotifyMessage {
  bool ready = false;                 // READY=1
  bool stopping = false;              // STOPPING=1
  bool reloading = false;             // RELOADING=1
  bool watchdog_ping = false;         // WATCHDOG=1
  bool watchdog_trigger = false;      // WATCHDOG=trigger: act as if the watchdog expired
  std::optional<std::string> status;  // STATUS=text, verbatim: may be empty or invalid UTF-8
  std::optional<int> mainpid;         // MAINPID=N, 1 <= N <= INT32_MAX
  std::optional<std::uint64_t> extend_timeout_usec;  // EXTEND_TIMEOUT_USEC=N
  std::optional<std::uint64_t> watchdog_usec;        // WATCHDOG_USEC=N (0 allowed)
  std::optional<std::uint64_t> monotonic_usec;       // MONOTONIC_USEC=N, with RELOADING=1
  // The fd store (SPEC 10): the datagram's fds are to be kept (FDSTORE=1) under FDNAME=, or
  // the fds stored under FDNAME= dropped (FDSTOREREMOVE=1); FDPOLL=0: never dropped on
  // POLLHUP/POLLERR. FDNAME= must be a valid name (fdname_is_valid), else the datagram is bad.
  bool fdstore = false;
  bool fdstore_remove = false;
  bool fdpoll_off = false;
  std::optional<std::string> fdname;
  // Lines that are none of the above and were skipped: other keys (ERRNO=, BUSERROR=,
  // FDSTOREREMOVE=0, …), other values of known flags (READY=0), lines without '='.
  // Repeats of a key already seen count here too: the first occurrence wins, as in systemd.
  std::size_t ignored = 0;

  bool operator==(const NotifyMessage&) const = default;
};

// Parses one datagram: newline-separated KEY=VALUE lines; blank lines (a trailing newline) are
// skipped. Errors, for which the caller drops the whole datagram: empty, larger than
// kMaxNotifyBytes, a NUL byte anywhere, or a malformed number in MAINPID=, EXTEND_TIMEOUT_USEC=
// or WATCHDOG_USEC= (even in a repeat). Error.code is EMSGSIZE for the size, EINVAL otherwise;
// the message is short and printable, for a debug line.
Result<NotifyMessage> parse_notify(std::string_view datagram);

// The inverse, for what the supervisor sends upward: one line per set field, '\n'-separated,
// no trailing newline, in a fixed order (MAINPID, READY, RELOADING, STOPPING, STATUS, WATCHDOG,
// WATCHDOG=trigger, WATCHDOG_USEC, EXTEND_TIMEOUT_USEC). `ignored` is not represented. STATUS
// text passes through sanitize_status, so text relayed from the app can never inject an
// assignment such as "MAINPID=" into the supervisor's own message. Empty for an empty message.
std::string format_notify(const NotifyMessage& message);

// A datagram's ancillary data (the control buffer recvmsg filled, msg_controllen bytes),
// decoded: the sender's pid (SCM_CREDENTIALS) and the fds it passed (SCM_RIGHTS), in order.
// The kernel builds it, but the walk trusts no length in it: a header shorter than a header or
// longer than what is left of the buffer ends it, so nothing outside the buffer is read.
struct NotifyControl {
  std::optional<int> pid;
  std::vector<int> fds;
};
NotifyControl parse_notify_control(const void* control, std::size_t length);

// A status text safe for one "STATUS=" line: '\n', '\r' and NUL become spaces and the text is
// cut to at most 1024 bytes (never inside a UTF-8 sequence).
std::string sanitize_status(std::string_view text);

// sd_watchdog_enabled(3): the watchdog interval systemd expects pings at, or nullopt when there
// is none for us: WATCHDOG_USEC unset, not a positive number, or WATCHDOG_PID set to something
// other than self_pid (then the variables were meant for another process). Arguments are the
// raw environment values, nullopt when unset.
std::optional<std::uint64_t> parse_watchdog_env(std::optional<std::string_view> watchdog_usec,
                                                std::optional<std::string_view> watchdog_pid,
                                                int self_pid);

// Socket activation (sd_listen_fds(3)): the fds start at 3.
inline constexpr int kListenFdsStart = 3;
// More than this many passed fds is treated as garbage: it is the kernel's default fs.nr_open,
// the most fds one process can have. Not systemd's soft limit of 1024: with a hard limit above
// it, any number the limits allow is passed on (SPEC 7).
inline constexpr int kMaxListenFds = 1 << 20;

struct ListenFdsEnv {
  int count = 0;                   // fds kListenFdsStart .. kListenFdsStart + count - 1
  std::vector<std::string> names;  // exactly count entries; "unknown" where systemd gave none
  bool operator==(const ListenFdsEnv&) const = default;
};

// sd_listen_fds_with_names(3) semantics: nullopt when LISTEN_PID or LISTEN_FDS is unset or
// malformed, LISTEN_PID is not self_pid, or the count is 0 or above kMaxListenFds. Names come
// from LISTEN_FDNAMES split on ':'; if it is unset or its entry count differs from the fd count,
// every name is "unknown" (the fds matter more than their labels, so they are kept).
std::optional<ListenFdsEnv> parse_listen_fds_env(std::optional<std::string_view> listen_pid,
                                                 std::optional<std::string_view> listen_fds,
                                                 std::optional<std::string_view> listen_fdnames,
                                                 int self_pid);

// Whether an environment entry ("NAME=value") is one of the service manager's hand-over
// variables (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID, LISTEN_PID, LISTEN_FDS,
// LISTEN_FDNAMES). They describe the supervisor's own relation to systemd, so they are removed
// from the app's environment and replaced by the supervisor's own values where it has any.
bool is_service_manager_var(std::string_view entry);

}  // namespace sup::core
