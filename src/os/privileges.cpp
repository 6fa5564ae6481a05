#include "os/privileges.hpp"

#include <grp.h>
#include <unistd.h>

#include <cerrno>

#include "core/user_db.hpp"
#include "util/strings.hpp"

namespace sup::os {
namespace {

// A name, or a number with or without an entry: a numeric uid without one is allowed (no
// name, its number as the group, no supplementary groups).
Result<UserEntry> lookup_user(const std::string& user, const UserDb& db) {
  const auto id = parse_int(user, 0, core::kMaxId);
  auto found = id ? db.user_by_uid(static_cast<uid_t>(*id)) : db.user_by_name(user);
  if (!found) return std::move(found).error().with("user '" + user + "'");
  if (*found) return std::move(**found);
  if (!id) return logic_error("user '" + user + "': no such user");
  return UserEntry{"", static_cast<uid_t>(*id), static_cast<gid_t>(*id)};
}

Result<gid_t> lookup_group(const std::string& group, const UserDb& db) {
  if (auto id = parse_int(group, 0, core::kMaxId)) return static_cast<gid_t>(*id);
  auto found = db.group_by_name(group);
  if (!found) return std::move(found).error().with("group '" + group + "'");
  if (!*found) return logic_error("group '" + group + "': no such group");
  return **found;
}

}  // namespace

Result<Credentials> resolve_credentials(const std::string& user, const std::string& group,
                                        const UserDb& db) {
  Credentials creds;
  std::string name;  // the user's, when it has an entry
  if (!user.empty()) {
    auto pw = lookup_user(user, db);
    if (!pw) return std::move(pw).error();
    creds.set_uid = true;
    creds.uid = pw->uid;
    creds.set_gid = true;
    creds.gid = pw->gid;
    name = pw->name;
  }
  if (!group.empty()) {
    auto gid = lookup_group(group, db);
    if (!gid) return std::move(gid).error();
    creds.set_gid = true;
    creds.gid = *gid;
  }
  if (!creds.set_gid) return creds;
  // As initgroups(3) with the primary group in force (runuser -g does the same): -g replaces
  // the user's primary group in the list too, so no group is granted that nobody asked for.
  if (name.empty()) {
    creds.groups = {creds.gid};
  } else {
    auto groups = db.groups_of(name, creds.gid);
    if (!groups) return std::move(groups).error().with("groups of user '" + user + "'");
    creds.groups = std::move(*groups);
  }
  return creds;
}

int apply_credentials(const Credentials& creds, const char** step) noexcept {
  if (!creds.set_gid && !creds.set_uid) return 0;
  *step = "setgroups";
  if (::setgroups(creds.groups.size(), creds.groups.data()) != 0) return errno;
  if (creds.set_gid) {
    *step = "setgid";
    if (::setresgid(creds.gid, creds.gid, creds.gid) != 0) return errno;
  }
  if (creds.set_uid) {
    *step = "setuid";
    if (::setresuid(creds.uid, creds.uid, creds.uid) != 0) return errno;
    // A dropped user must not be able to become root again.
    if (creds.uid != 0 && ::setuid(0) == 0) {
      *step = "verifying the privilege drop";
      return EPERM;
    }
  }
  return 0;
}

}  // namespace sup::os
