// The user database behind -u/-g, with two implementations: NSS (getpwnam_r and friends; the
// dynamic build, so LDAP, systemd-userdb and the like work) and the files /etc/passwd and
// /etc/group read directly (the static build: static glibc cannot load NSS modules, and warns
// at link time that they would have to come from a shared glibc of the very same version).
// main() picks one; resolve_credentials() works with either.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace sup::os {

struct UserEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the primary group
};

class UserDb {
 public:
  virtual ~UserDb() = default;
  // nullopt: no such entry. An Error: the database could not be read.
  virtual Result<std::optional<UserEntry>> user_by_name(const std::string& name) const = 0;
  virtual Result<std::optional<UserEntry>> user_by_uid(uid_t uid) const = 0;
  virtual Result<std::optional<gid_t>> group_by_name(const std::string& name) const = 0;
  // The user's groups as getgrouplist(3) gives them: primary first, then every group that
  // lists the user as a member.
  virtual Result<std::vector<gid_t>> groups_of(const std::string& user, gid_t primary) const = 0;
};

// NSS, through glibc: what /etc/nsswitch.conf says.
class NssUserDb final : public UserDb {
 public:
  Result<std::optional<UserEntry>> user_by_name(const std::string& name) const override;
  Result<std::optional<UserEntry>> user_by_uid(uid_t uid) const override;
  Result<std::optional<gid_t>> group_by_name(const std::string& name) const override;
  Result<std::vector<gid_t>> groups_of(const std::string& user, gid_t primary) const override;
};

// ROOT/etc/passwd and ROOT/etc/group, parsed by core/user_db. A missing file is an empty
// database (numeric ids still work); any other read error is an Error. The root is "/" in the
// product; tests point it at a directory of their own.
class FilesUserDb final : public UserDb {
 public:
  explicit FilesUserDb(std::string root = "/") : root_(std::move(root)) {}
  Result<std::optional<UserEntry>> user_by_name(const std::string& name) const override;
  Result<std::optional<UserEntry>> user_by_uid(uid_t uid) const override;
  Result<std::optional<gid_t>> group_by_name(const std::string& name) const override;
  Result<std::vector<gid_t>> groups_of(const std::string& user, gid_t primary) const override;

 private:
  Result<std::string> read(const char* file) const;
  std::string root_;
};

}  // namespace sup::os
