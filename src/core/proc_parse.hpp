// Parsers for /proc text, kept apart from the I/O so they are tested on strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sup::core {

struct ProcStat {
  int pid = 0;
  char state = '?';     // R S D Z T …
  int ppid = 0;
  int pgrp = 0;
  int session = 0;
  std::uint64_t flags = 0;       // field 9: the kernel's PF_* flags
  std::uint64_t start_time = 0;  // clock ticks after boot
};

// PF_FORKNOEXEC in ProcStat::flags: forked and not exec'd since, so the process still runs its
// parent's image. The kernel clears it on exec (include/linux/sched.h).
inline constexpr std::uint64_t kPfForkNoExec = 0x40;

// /proc/PID/stat: "pid (comm) state ppid pgrp session … starttime(22nd) …". comm may hold
// spaces and parentheses, so the fields start after the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// A /proc/PID/cgroup line: "0::/path" (v2) or "4:memory,cpu:/path" / "1:name=systemd:/path".
struct CgroupEntry {
  int hierarchy = 0;
  std::vector<std::string> controllers;  // empty for v2; "name=systemd" kept as is
  std::string path;
};
std::vector<CgroupEntry> parse_proc_cgroup(std::string_view text);
// Only the cgroup2 path, the "0::" line's, without taking the v1 lines apart.
std::optional<std::string_view> proc_cgroup_v2_path(std::string_view text);

// A /proc/PID/mountinfo line reduced to what cgroup discovery needs.
struct MountEntry {
  std::string root;         // field 4: the root of the mount within its filesystem
  std::string mount_point;  // field 5
  std::string fs_type;      // after " - "
  std::string super_options;  // last field: "rw,memory" for a v1 controller mount
};
// Only the mounts of one filesystem type ("cgroup2", "cgroup").
std::vector<MountEntry> parse_mountinfo(std::string_view text, std::string_view fs_type);

// /proc/PID/exe's target with the " (deleted)" suffix dropped (a replaced binary).
std::string_view strip_deleted(std::string_view exe);

// The interpreter a `#!` script names, as fs/binfmt_script.c reads it from the file's first
// bytes (`head`, at most kShebangHead of them): after "#!" and blanks, up to the next blank,
// newline or NUL. nullopt for a file that is no script (or names no interpreter).
inline constexpr std::size_t kShebangHead = 256;  // BINPRM_BUF_SIZE
std::optional<std::string> shebang_interpreter(std::string_view head);

// The text of a pid file: one positive decimal PID, surrounding whitespace allowed.
std::optional<int> parse_pidfile(std::string_view text);

}  // namespace sup::core
