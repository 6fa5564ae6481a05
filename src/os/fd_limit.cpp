#include "os/fd_limit.hpp"

namespace sup::os {

Result<std::optional<rlim_t>> raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return errno_error("getrlimit RLIMIT_NOFILE");
  const rlim_t soft = limit.rlim_cur;
  if (soft == limit.rlim_max) return std::optional<rlim_t>();
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return errno_error("raising RLIMIT_NOFILE");
  return std::optional(soft);
}

}  // namespace sup::os
