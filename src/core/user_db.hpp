// Parsers for the text of /etc/passwd and /etc/group, kept apart from the I/O so they are tested
// on strings. The static binary reads these files itself (static glibc cannot load NSS modules),
// as gosu and su-exec do in containers; the lookups follow glibc's "files" module:
// - one entry a line, fields separated by ':'; blank lines, lines starting with '#' and NIS
//   compat lines ('+', '-') are skipped, leading blanks ignored, a '\r' before '\n' dropped;
// - a line that does not parse (too few fields, a name that is empty, an id that is not a
//   number from 0 to 4294967294) is skipped, never an error: the next lines still count;
// - the first entry of a name or id wins (duplicates later in the file are ignored);
// - the last line needs no trailing newline; lines may be of any length.
// One difference: glibc's getgrouplist(3) does not skip comments in /etc/group, so a line
// "#wheel:x:10:alice" gives alice group 10 through NSS; here, as for getgrnam, it is a comment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sup::core {

using Id = std::uint32_t;  // uid_t and gid_t on Linux
// The highest id a user or group can have: (Id)-1 means "no change" to setresuid(2).
inline constexpr Id kMaxId = 4294967294;

struct PasswdEntry {
  std::string name;
  Id uid = 0;
  Id gid = 0;  // the primary group
  std::string home;
  std::string shell;
};

struct GroupEntry {
  std::string name;
  Id gid = 0;
  std::vector<std::string> members;  // the fourth field, split at ','; blanks trimmed
};

// "name:password:uid:gid:gecos:home:shell"; home and shell may be missing (empty then).
std::optional<PasswdEntry> parse_passwd_line(std::string_view line);
// "name:password:gid:member,member"; the member list may be missing (empty then).
std::optional<GroupEntry> parse_group_line(std::string_view line);

// The first entry of passwd_text with this name, or with this uid.
std::optional<PasswdEntry> find_user(std::string_view passwd_text, std::string_view name);
std::optional<PasswdEntry> find_user(std::string_view passwd_text, Id uid);
// The first entry of group_text with this name.
std::optional<GroupEntry> find_group(std::string_view group_text, std::string_view name);

// What getgrouplist(3) returns: primary first, then the gid of every group of group_text that
// lists user as a member, each gid once, in file order.
std::vector<Id> group_list(std::string_view group_text, std::string_view user, Id primary);

}  // namespace sup::core
