#include "os/fd_store.hpp"

#include <algorithm>

namespace sup::os {

std::vector<std::uint64_t> FdStore::add(std::vector<UniqueFd> fds, const std::string& name,
                                        bool poll) {
  std::vector<std::uint64_t> kept;
  for (auto& fd : fds) {
    if (entries_.size() >= max_) break;  // the rest close with the vector
    entries_.push_back({next_id_, std::move(fd), name, poll});
    kept.push_back(next_id_++);
  }
  return kept;
}

std::size_t FdStore::remove(const std::string& name) {
  return std::erase_if(entries_, [&](const Entry& e) { return e.name == name; });
}

bool FdStore::remove_id(std::uint64_t id) {
  return std::erase_if(entries_, [&](const Entry& e) { return e.id == id; }) != 0;
}

const FdStore::Entry* FdStore::find(std::uint64_t id) const {
  const auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; });
  return it == entries_.end() ? nullptr : &*it;
}

}  // namespace sup::os
