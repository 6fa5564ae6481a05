// Facts about processes, read from /proc (parsers in core/proc_parse).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/main_pid.hpp"
#include "core/proc_parse.hpp"

namespace sup::os {

std::optional<core::ProcStat> read_stat(pid_t pid);

// The target of /proc/PID/exe with " (deleted)" stripped; "" if unreadable.
std::string read_exe(pid_t pid);

// What read_exe will say of a process that has just exec'd `path` (absolute): the file with
// every symlink resolved; for a `#!` script, its interpreter's, followed through as many
// levels as the kernel follows. For when the process is gone before its exe could be read.
// A file that cannot be resolved or read is taken as it is.
std::string executable_of(const std::string& path);

// ProcInfo for each of pids that still exists (for successor election).
std::vector<core::ProcInfo> snapshot(const std::vector<int>& pids);

// Whether pid runs the same executable as this process (used to recognise a live supervisor
// named by a pid file).
bool is_same_executable_as_self(pid_t pid);

// Whether pid is alive and not a zombie.
bool is_running(pid_t pid);

// The start time (ProcStat::start_time) of pid if it is alive and not a zombie: with the pid,
// it tells a process apart from a later one that got the same pid.
std::optional<std::uint64_t> live_start_time(pid_t pid);

}  // namespace sup::os
