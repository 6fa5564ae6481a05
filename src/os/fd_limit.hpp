// The supervisor's own fd limit (RLIMIT_NOFILE). It holds every socket it passes on and every
// fd the app stores (SPEC 7, 10), and needs a few of its own beside them: under systemd's
// default soft limit of 1024 a few hundred sockets would exhaust it. So, as systemd advises
// daemons (systemd.exec(5), LimitNOFILE=), it raises its soft limit to the hard limit, and
// gives the app the soft limit it was started with (os::SpawnSpec::fd_soft_limit): programs
// that use select(2) break on fds above 1024.
#pragma once

#include <sys/resource.h>

#include <optional>

#include "util/result.hpp"

namespace sup::os {

// Raises this process's soft RLIMIT_NOFILE to its hard limit. Returns the soft limit it had,
// or nullopt if that was the hard limit already (nothing to give back).
Result<std::optional<rlim_t>> raise_fd_limit();

}  // namespace sup::os
