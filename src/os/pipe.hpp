// A close-on-exec pipe whose read end does not block (the --notify-fd readiness channel).
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

struct Pipe {
  UniqueFd read_end;   // O_NONBLOCK
  UniqueFd write_end;
};

Result<Pipe> make_pipe();

// Reads what is there without blocking. Returns false at end of file (every writer closed it)
// or on an error; *newline is set when a '\n' was among the bytes read.
bool drain_pipe(int fd, bool* newline);

}  // namespace sup::os
