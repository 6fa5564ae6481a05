// Where a filesystem is mounted in our mount namespace (SPEC 5: found, never assumed).
// Adapters: they return Result, never log, never exit.
#pragma once

#include <vector>

#include "core/proc_parse.hpp"
#include "util/result.hpp"

namespace sup::os {

// The cgroup2 mounts, in the order /proc/self/mountinfo lists them, with their root and mount
// point (super_options stays empty). Asks listmount(2) and statmount(2) (Linux 6.8), one mount
// at a time, so that the kernel formats no table of every mount; reads /proc/self/mountinfo
// where those are missing (an older kernel, or a seccomp profile that refuses them).
Result<std::vector<core::MountEntry>> cgroup2_mounts();

// Each way alone, for tests: listmount/statmount (an error where missing), and mountinfo.
Result<std::vector<core::MountEntry>> cgroup2_mounts_listed();
Result<std::vector<core::MountEntry>> cgroup2_mounts_from_mountinfo();

}  // namespace sup::os
