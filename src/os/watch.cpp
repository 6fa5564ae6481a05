#include "os/watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include "util/strings.hpp"

namespace sup::os {

Result<UniqueFd> watch_directory_of(const std::string& path) {
  UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return errno_error("inotify_init1");
  if (::inotify_add_watch(fd.get(), directory_of(path).c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    return errno_error("watching " + path);
  }
  return fd;
}

void drain_watch(int fd) {
  alignas(inotify_event) char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace sup::os
