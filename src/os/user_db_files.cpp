#include <fcntl.h>

#include <cerrno>

#include "core/user_db.hpp"
#include "os/cgroup_backends.hpp"  // cgroup_detail::read_text_at: a small file, whole
#include "os/user_db.hpp"

namespace sup::os {
namespace {

UserEntry to_user(core::PasswdEntry&& entry) {
  return UserEntry{std::move(entry.name), entry.uid, entry.gid};
}

}  // namespace

Result<std::string> FilesUserDb::read(const char* file) const {
  std::string path = root_;
  if (path.empty() || path.back() != '/') path += '/';
  path += file;
  auto text = cgroup_detail::read_text_at(AT_FDCWD, path);
  // No file, no entries: a minimal container image may have no /etc/passwd at all.
  if (!text && (text.error().code == ENOENT || text.error().code == ENOTDIR)) return {""};
  return text;
}

Result<std::optional<UserEntry>> FilesUserDb::user_by_name(const std::string& name) const {
  auto text = read("etc/passwd");
  if (!text) return std::move(text).error();
  auto entry = core::find_user(*text, name);
  if (!entry) return std::optional<UserEntry>{};
  return std::optional<UserEntry>{to_user(std::move(*entry))};
}

Result<std::optional<UserEntry>> FilesUserDb::user_by_uid(uid_t uid) const {
  auto text = read("etc/passwd");
  if (!text) return std::move(text).error();
  auto entry = core::find_user(*text, core::Id{uid});
  if (!entry) return std::optional<UserEntry>{};
  return std::optional<UserEntry>{to_user(std::move(*entry))};
}

Result<std::optional<gid_t>> FilesUserDb::group_by_name(const std::string& name) const {
  auto text = read("etc/group");
  if (!text) return std::move(text).error();
  auto entry = core::find_group(*text, name);
  if (!entry) return std::optional<gid_t>{};
  return std::optional<gid_t>{entry->gid};
}

Result<std::vector<gid_t>> FilesUserDb::groups_of(const std::string& user, gid_t primary) const {
  auto text = read("etc/group");
  if (!text) return std::move(text).error();
  auto ids = core::group_list(*text, user, primary);
  return std::vector<gid_t>(ids.begin(), ids.end());
}

}  // namespace sup::os
