// Pid files: the supervisor's own (-p), written atomically, and the app's (-P), read as a hint.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "util/result.hpp"

namespace sup::os {

// Writes "PID\n" to path through a temp file in the same directory and rename(2), so readers
// never see a partial file and a symlink at path is replaced, never followed.
Result<void> write_pidfile(const std::string& path, pid_t pid);

// Removes path if it still holds pid (someone may have taken it over since).
void remove_pidfile_if_ours(const std::string& path, pid_t pid);

// Reads a pid file without following a symlink. nullopt if it is absent or holds no valid PID.
std::optional<pid_t> read_pidfile(const std::string& path);

// Refuses the start when path names a live supervisor other than ourselves (another instance
// holds it), when something other than a pid file is there (replacing it would destroy it), or
// when the directory cannot take the file. The error names the path.
Result<void> check_pidfile_free(const std::string& path);

}  // namespace sup::os

