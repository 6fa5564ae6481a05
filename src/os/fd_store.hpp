// The fd store (SPEC 10): file descriptors the app gave the supervisor to keep (FDSTORE=1 on its
// notify socket), by name, passed to every later incarnation after the listening sockets, as
// systemd's FileDescriptorStoreMax= does. State in a memfd survives the app's crash this way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace sup::os {

class FdStore {
 public:
  struct Entry {
    std::uint64_t id = 0;  // unique for the supervisor's life, for the hang-up watch
    UniqueFd fd;
    std::string name;
    bool poll = true;  // dropped when it reports POLLHUP or POLLERR (FDPOLL=0: never)
  };

  explicit FdStore(std::size_t max) : max_(max) {}

  // Keeps fds under name, as many as fit under the limit; the rest are closed. Returns the ids
  // of those kept.
  std::vector<std::uint64_t> add(std::vector<UniqueFd> fds, const std::string& name, bool poll);
  // Drops (closes) every fd stored under name; returns how many.
  std::size_t remove(const std::string& name);
  // Drops the entry with this id; false if there is none.
  bool remove_id(std::uint64_t id);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(std::uint64_t id) const;
  std::size_t max() const { return max_; }

 private:
  std::size_t max_;
  std::uint64_t next_id_ = 1;
  std::vector<Entry> entries_;
};

}  // namespace sup::os
