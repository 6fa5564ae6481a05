// Whole small files: replaced atomically for readers in other processes (the pid file, the
// status file), and read with a bound (a health probe must never hang or balloon).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace sup::os {

// Writes text to path through a temp file in the same directory and rename(2), so readers see
// the old text or the new, never a mix, and a symlink at path is replaced, never followed.
// Errors read "WHAT: why".
Result<void> replace_file(const std::string& path, std::string_view text, mode_t mode,
                          const std::string& what);

// Calls visit(name, d_type) for each entry of the directory open as dir_fd but "." and "..",
// from the fd's current offset (which this uses up), with getdents64 into a buffer on the
// stack: opendir(3) allocates 32 KiB on the heap at each call, on paths taken at every start and
// restart. Returns false if the listing failed part-way.
bool for_each_entry(int dir_fd,
                    const std::function<void(const char* name, unsigned char type)>& visit);

// The text of the regular file at path, which must be at most max bytes. A FIFO or a device is
// refused without blocking. Errors read "cannot read PATH: why".
Result<std::string> read_regular_file(const std::string& path, std::size_t max);

// What is at path before replace_file takes it over, for the caller to decide whether it may:
// nullopt when nothing is there, or a symlink (replace_file replaces the link, never what it
// points to); the text of a regular file of at most max bytes. Anything else, which replacing
// would destroy (a device, a FIFO, a directory, a bigger file), is an error that reads
// "WHAT: exists and is ...".
Result<std::optional<std::string>> read_replaceable(const std::string& path, std::size_t max,
                                                    const std::string& what);

}  // namespace sup::os
