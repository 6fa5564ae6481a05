#include "os/event_loop.hpp"

#include <sys/epoll.h>

#include <cerrno>

namespace sup::os {

Result<EventLoop> EventLoop::create() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return errno_error("epoll_create1");
  return EventLoop(UniqueFd(fd));
}

namespace {

Result<void> add_events(int epfd, int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return errno_error("epoll_ctl add");
  return {};
}

}  // namespace

Result<void> EventLoop::add(int fd, std::uint64_t token) {
  return add_events(epfd_.get(), fd, EPOLLIN, token);
}

Result<void> EventLoop::add_priority_watch(int fd, std::uint64_t token) {
  return add_events(epfd_.get(), fd, EPOLLPRI, token);
}

Result<void> EventLoop::add_hangup_watch(int fd, std::uint64_t token) {
  return add_events(epfd_.get(), fd, 0, token);  // EPOLLHUP and EPOLLERR are always reported
}

void EventLoop::remove(int fd) { ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr); }

Result<std::vector<std::uint64_t>> EventLoop::wait(int timeout_ms) {
  epoll_event events[16];
  for (;;) {
    const int n = ::epoll_wait(epfd_.get(), events, 16, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("epoll_wait");
    }
    std::vector<std::uint64_t> tokens;
    tokens.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) tokens.push_back(events[i].data.u64);
    return tokens;
  }
}

}  // namespace sup::os
