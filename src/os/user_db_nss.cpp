// Kept in a file of its own: the static binary never links it, so static glibc's NSS code
// (and its link-time warnings) stay out.
#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <utility>

#include "os/user_db.hpp"

namespace sup::os {
namespace {

// Calls a getpw*_r or getgr*_r function and returns take(entry) while the entry's strings,
// which live in the buffer, are still there. ERANGE means the buffer is too small: retry with
// a bigger one (a group of thousands of members needs more than the usual 16 KiB).
template <class Entry, class Call, class Take>
auto lookup(const char* what, Call&& call, Take&& take)
    -> Result<std::optional<decltype(take(std::declval<const Entry&>()))>> {
  using Out = std::optional<decltype(take(std::declval<const Entry&>()))>;
  std::vector<char> buf(16384);
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    const int err = call(&entry, buf.data(), buf.size(), &found);
    if (err == ERANGE && buf.size() < (1u << 24)) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (err != 0) return errno_error(what, err);
    if (found == nullptr) return Out{};
    return Out{take(entry)};
  }
}

UserEntry to_user(const passwd& pw) { return UserEntry{pw.pw_name, pw.pw_uid, pw.pw_gid}; }

}  // namespace

Result<std::optional<UserEntry>> NssUserDb::user_by_name(const std::string& name) const {
  return lookup<passwd>(
      "getpwnam_r",
      [&](passwd* pw, char* buf, size_t n, passwd** found) {
        return ::getpwnam_r(name.c_str(), pw, buf, n, found);
      },
      to_user);
}

Result<std::optional<UserEntry>> NssUserDb::user_by_uid(uid_t uid) const {
  return lookup<passwd>(
      "getpwuid_r",
      [&](passwd* pw, char* buf, size_t n, passwd** found) {
        return ::getpwuid_r(uid, pw, buf, n, found);
      },
      to_user);
}

Result<std::optional<gid_t>> NssUserDb::group_by_name(const std::string& name) const {
  return lookup<group>(
      "getgrnam_r",
      [&](group* gr, char* buf, size_t n, group** found) {
        return ::getgrnam_r(name.c_str(), gr, buf, n, found);
      },
      [](const group& gr) { return gr.gr_gid; });
}

Result<std::vector<gid_t>> NssUserDb::groups_of(const std::string& user, gid_t primary) const {
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  while (::getgrouplist(user.c_str(), primary, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

}  // namespace sup::os
