// One mount, looked up by its mount point through statx(2) and statmount(2) (Linux 6.8): a
// few microseconds, where /proc/self/mountinfo is generated in full for every read (tens of
// microseconds, on the path of every start; issue 11).
#pragma once

#include <string>

#include "core/proc_parse.hpp"
#include "util/result.hpp"

namespace sup::os {

// The mount whose mount point is path (the one visible there, if several are stacked), with
// its root, mount point and file-system type; super_options stays empty. Errors: ENOSYS where
// the kernel has no statmount (or a seccomp filter denies it), ENOENT where path does not
// exist, EINVAL where path is not itself a mount point (it lies inside a mount above).
Result<core::MountEntry> mount_at(const std::string& path);

}  // namespace sup::os
