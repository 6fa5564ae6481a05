// Privilege drop for the app (-u, -g). Names are resolved in the parent, in a UserDb (NSS is
// not async-signal-safe after fork); the child applies the result with async-signal-safe calls.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "os/user_db.hpp"
#include "util/result.hpp"

namespace sup::os {

struct Credentials {
  bool set_uid = false;
  bool set_gid = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups; applied whenever set_gid or set_uid
};

// Resolves "-u NAME|UID" and "-g NAME|GID" in db. With a user, the primary group and
// supplementary groups come from the user database unless -g overrides the primary group.
Result<Credentials> resolve_credentials(const std::string& user, const std::string& group,
                                        const UserDb& db);

// In the child, between fork and exec: setgroups, setgid, setuid, then checks that root cannot
// be regained. Returns 0 or an errno; *step names the call that failed. Async-signal-safe.
int apply_credentials(const Credentials& creds, const char** step) noexcept;

}  // namespace sup::os
