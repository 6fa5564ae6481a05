#include "os/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>

#include "util/strings.hpp"

namespace sup::os {
namespace {

constexpr std::int64_t kMaxId = 4294967294;  // (uid_t)-1 is "no change"

Result<passwd> lookup_user(const std::string& user, std::vector<char>& buf) {
  passwd pw{};
  passwd* found = nullptr;
  buf.resize(16384);
  int err = 0;
  if (auto id = parse_int(user, 0, kMaxId)) {
    err = ::getpwuid_r(static_cast<uid_t>(*id), &pw, buf.data(), buf.size(), &found);
    if (err == 0 && found == nullptr) {
      // A numeric uid without a user entry is allowed: no name, no groups.
      pw.pw_uid = static_cast<uid_t>(*id);
      pw.pw_gid = static_cast<gid_t>(*id);
      pw.pw_name = nullptr;
      return pw;
    }
  } else {
    err = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  }
  if (err != 0) return errno_error("user '" + user + "'", err);
  if (found == nullptr) return logic_error("user '" + user + "': no such user");
  return pw;
}

Result<gid_t> lookup_group(const std::string& group) {
  if (auto id = parse_int(group, 0, kMaxId)) return static_cast<gid_t>(*id);
  std::vector<char> buf(16384);
  for (;;) {
    struct group gr {};
    struct group* found = nullptr;
    const int err = ::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
    if (err == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (err != 0) return errno_error("group '" + group + "'", err);
    if (found == nullptr) return logic_error("group '" + group + "': no such group");
    return gr.gr_gid;
  }
}

}  // namespace

Result<Credentials> resolve_credentials(const std::string& user, const std::string& group) {
  Credentials creds;
  if (!user.empty()) {
    std::vector<char> buf;
    auto pw = lookup_user(user, buf);
    if (!pw) return std::move(pw).error();
    creds.set_uid = true;
    creds.uid = pw->pw_uid;
    creds.set_gid = true;
    creds.gid = pw->pw_gid;
    if (pw->pw_name != nullptr) {
      int count = 64;
      std::vector<gid_t> groups(static_cast<std::size_t>(count));
      while (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
      }
      groups.resize(static_cast<std::size_t>(count));
      creds.groups = std::move(groups);
    } else {
      creds.groups = {creds.gid};
    }
  }
  if (!group.empty()) {
    auto gid = lookup_group(group);
    if (!gid) return std::move(gid).error();
    creds.set_gid = true;
    creds.gid = *gid;
    if (user.empty()) creds.groups = {*gid};
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
