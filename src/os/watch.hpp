// Watching a directory for a file to be written into it (inotify): how the supervisor learns
// that a launcher's daemon wrote its --main-pidfile.
#pragma once

#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

// An inotify fd that becomes readable when a file may have been written or renamed into place
// in path's directory.
Result<UniqueFd> watch_directory_of(const std::string& path);
// Empties the inotify queue after it fired.
void drain_watch(int fd);

}  // namespace sup::os
