// A small epoll wrapper: register fds with a token, wait for the ready ones.
#pragma once

#include <cstdint>
#include <vector>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace sup::os {

class EventLoop {
 public:
  static Result<EventLoop> create();

  Result<void> add(int fd, std::uint64_t token);
  // Reports fd when it signals an exceptional condition (EPOLLPRI), as cgroup.events does at
  // each change of its values; it always reads, so readability would say nothing.
  Result<void> add_priority_watch(int fd, std::uint64_t token);
  // Reports fd only when it hangs up or fails (EPOLLHUP, EPOLLERR), never for data. Regular
  // files, memfds included, cannot be watched: EPERM.
  Result<void> add_hangup_watch(int fd, std::uint64_t token);
  void remove(int fd);  // harmless if fd is not registered
  // Waits until at least one fd is ready (timeout_ms < 0: forever) and returns their tokens.
  Result<std::vector<std::uint64_t>> wait(int timeout_ms = -1);

 private:
  explicit EventLoop(UniqueFd fd) : epfd_(std::move(fd)) {}
  UniqueFd epfd_;
};

}  // namespace sup::os
