// Turning the command line into something that can be spawned: PROGRAM resolved once to an
// absolute path (SPEC 2), and the --fork handshake.
#pragma once

#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::app {

// Resolves PROGRAM: a path with a slash as given (made absolute), a bare name through PATH.
// Error.code: ENOENT (not found, exit 127), EACCES or EISDIR (cannot execute, exit 126).
Result<std::string> resolve_program(const std::string& program, const char* path_env);

// --fork: the foreground process forks; the child becomes the supervisor in a new session and
// gets the write end of a pipe, on which it writes one byte once the app has started. The
// foreground process never returns: it exits 0 on that byte, or with the supervisor's own exit
// status if the pipe closes without it (the supervisor has already printed why).
Result<UniqueFd> daemonize();

// Writes the "started" byte and closes the pipe (no-op on an empty fd).
void report_started(UniqueFd& ready_fd);

}  // namespace sup::app
